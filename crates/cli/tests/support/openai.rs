//! An in-process server that speaks OpenAI's Files, Batches and Chat Completions
//! APIs as documented, with a scripted model whose replies (and failures) are
//! chosen per request by the test.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

/// What the scripted model does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A normal completion with this content.
    Content(String),
    /// `finish_reason: length` with this (cut) content.
    Truncated(String),
    /// A 500 for this request (error file in batches, HTTP 500 in sync).
    ServerError,
    /// Batches: not run before the batch expired (no line in any file).
    Expire,
}

/// Decides a reply from (custom id or "", request body).
pub type Model = dyn Fn(&str, &Value) -> Reply + Send + Sync;

#[derive(Default)]
struct St {
    files: HashMap<String, Vec<u8>>,
    batches: HashMap<String, Value>,
    polls: HashMap<String, u32>,
    next: u32,
    /// Custom ids of every batch input line received.
    submitted: Vec<String>,
    /// Every chat completion body received (sync).
    chats: Vec<Value>,
    /// Batch creations.
    created: u32,
    /// 429s still to send before serving chat completions.
    throttle: u32,
    /// Batch creations to answer with 400 although the batch was created.
    lose_create: u32,
    auth: Vec<String>,
    /// Every embeddings body received.
    embeddings: Vec<Value>,
    /// Embeddings requests still to answer with 500.
    embed_fail: u32,
}

/// A running fake OpenAI.
pub struct FakeOpenAi {
    pub url: String,
    st: Arc<Mutex<St>>,
}

impl FakeOpenAi {
    /// Custom ids submitted in batch input files, in order.
    pub fn submitted(&self) -> Vec<String> {
        self.st.lock().unwrap().submitted.clone()
    }
    /// Lines of each batch's input file, in the order the batches were created.
    pub fn input_lines(&self) -> Vec<usize> {
        let st = self.st.lock().unwrap();
        let mut bs: Vec<(u32, usize)> = st
            .batches
            .iter()
            .map(|(id, b)| {
                let n = id.trim_start_matches("batch_").parse().unwrap_or(0);
                (
                    n,
                    String::from_utf8_lossy(&st.files[b["input_file_id"].as_str().unwrap()])
                        .lines()
                        .count(),
                )
            })
            .collect();
        bs.sort();
        bs.into_iter().map(|(_, l)| l).collect()
    }
    /// Batches created.
    pub fn created(&self) -> u32 {
        self.st.lock().unwrap().created
    }
    /// Chat completion bodies received.
    pub fn chats(&self) -> Vec<Value> {
        self.st.lock().unwrap().chats.clone()
    }
    /// Every batch input line's body, and every chat body.
    pub fn bodies(&self) -> Vec<Value> {
        let st = self.st.lock().unwrap();
        let mut out = st.chats.clone();
        for f in st.files.values() {
            for l in String::from_utf8_lossy(f).lines() {
                if let Ok(v) = serde_json::from_str::<Value>(l)
                    && v.get("body").is_some()
                {
                    out.push(v["body"].clone());
                }
            }
        }
        out
    }
    /// Authorization headers seen.
    pub fn auth(&self) -> Vec<String> {
        self.st.lock().unwrap().auth.clone()
    }
    /// Create the next `n` batches but answer their creation with a 400, as if
    /// the answer had been lost.
    pub fn lose_create(&self, n: u32) {
        self.st.lock().unwrap().lose_create = n;
    }
    /// Input file ids of the batches created.
    pub fn batch_inputs(&self) -> Vec<String> {
        let st = self.st.lock().unwrap();
        st.batches
            .values()
            .map(|b| b["input_file_id"].as_str().unwrap().to_string())
            .collect()
    }
    /// Every embeddings request body received.
    pub fn embeddings(&self) -> Vec<Value> {
        self.st.lock().unwrap().embeddings.clone()
    }
    /// Answer the next `n` embeddings requests with 500.
    pub fn fail_embeddings(&self, n: u32) {
        self.st.lock().unwrap().embed_fail = n;
    }
    /// Answer the next `n` chat completions with 429 and `Retry-After: 0`.
    pub fn throttle(&self, n: u32) {
        self.st.lock().unwrap().throttle = n;
    }

    /// Start the server with `model`.
    pub async fn start(
        model: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static,
    ) -> FakeOpenAi {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let st: Arc<Mutex<St>> = Arc::default();
        let model: Arc<Model> = Arc::new(model);
        let (st2, model2) = (Arc::clone(&st), Arc::clone(&model));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (st, model) = (Arc::clone(&st2), Arc::clone(&model2));
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (st, model) = (Arc::clone(&st), Arc::clone(&model));
                        async move { Ok::<_, Infallible>(handle(req, &st, &model).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        FakeOpenAi { url, st }
    }
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// Whether `model` is one of OpenAI's reasoning models (as the server treats it).
fn is_reasoning(model: &str) -> bool {
    (model.starts_with("gpt-5") && !model.starts_with("gpt-5-chat"))
        || ["o1", "o3", "o4-mini"].iter().any(|p| model.starts_with(p))
}

fn bad_request(message: &str, param: &str) -> (u16, Value) {
    (
        400,
        json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": "unsupported_parameter"}}),
    )
}

/// A completion for `body` as OpenAI's models answer it. A reasoning model
/// refuses `max_tokens` and a `temperature` other than 1, spends hidden reasoning
/// tokens (by `reasoning_effort`, default medium) out of `max_completion_tokens`
/// first, and returns empty content with `finish_reason: "length"` when the
/// budget runs out before the visible answer is done.
fn completion(r: &Reply, n: u32, body: &Value) -> (u16, Value) {
    let model = body["model"].as_str().unwrap_or("");
    let reasoning = is_reasoning(model);
    if reasoning {
        if body.get("max_tokens").is_some() {
            return bad_request(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                "max_tokens",
            );
        }
        if let Some(t) = body.get("temperature")
            && t.as_f64() != Some(1.0)
        {
            return bad_request(
                &format!(
                    "Unsupported value: 'temperature' does not support {t} with this model. Only the default (1) value is supported."
                ),
                "temperature",
            );
        }
    }
    let (content, mut finish) = match r {
        Reply::Content(c) => (c.clone(), "stop"),
        Reply::Truncated(c) => (c.clone(), "length"),
        Reply::ServerError | Reply::Expire => {
            return (
                500,
                json!({"error": {"message": "The server had an error processing your request.", "type": "server_error", "param": null, "code": null}}),
            );
        }
    };
    let visible = (content.len() as u64 / 4).max(1);
    let (mut content, mut used, mut thought) = (content, visible, 0u64);
    if reasoning {
        let base = match body["reasoning_effort"].as_str().unwrap_or("medium") {
            "none" => 0,
            "minimal" => 60,
            "low" => 700,
            "medium" => 2_400,
            _ => 7_000,
        };
        // +-30% from request to request.
        thought = base * u64::from(70 + n % 61) / 100;
        let budget = body["max_completion_tokens"].as_u64().unwrap_or(u64::MAX);
        if thought + visible > budget {
            finish = "length";
            content = String::new();
            thought = thought.min(budget);
            used = budget;
        } else {
            used = thought + visible;
        }
    } else if finish == "length" {
        used = body["max_completion_tokens"].as_u64().unwrap_or(50);
    }
    (
        200,
        json!({
            "id": format!("chatcmpl-{n}"), "object": "chat.completion", "created": 1_764_000_000, "model": if model.is_empty() { "gpt-test" } else { model },
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": finish, "logprobs": null}],
            "usage": {"prompt_tokens": 1000 + n, "completion_tokens": used, "total_tokens": 1000 + u64::from(n) + used,
                "completion_tokens_details": {"reasoning_tokens": thought, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        }),
    )
}

/// The file part of a multipart body.
fn multipart_file(body: &[u8], content_type: &str) -> Vec<u8> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or("")
        .trim_matches('"');
    let text = body;
    let marker = format!("--{boundary}");
    let parts = split(text, marker.as_bytes());
    for p in parts {
        let head_end = find(p, b"\r\n\r\n").unwrap_or(0);
        let head = String::from_utf8_lossy(&p[..head_end]);
        if head.contains("name=\"file\"") {
            let mut content = &p[head_end + 4..];
            if content.ends_with(b"\r\n") {
                content = &content[..content.len() - 2];
            }
            return content.to_vec();
        }
    }
    Vec::new()
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn split<'a>(mut h: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = find(h, sep) {
        out.push(&h[..i]);
        h = &h[i + sep.len()..];
    }
    out.push(h);
    out
}

fn batch_json(id: &str, input: &str, status: &str, out: Option<&str>, err: Option<&str>) -> Value {
    json!({
        "id": id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": input, "completion_window": "24h", "status": status,
        "output_file_id": out, "error_file_id": err, "created_at": 1_764_000_000,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": {}
    })
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    st: &Mutex<St>,
    model: &Arc<Model>,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut s = st.lock().unwrap();
    s.auth.push(auth);
    s.next += 1;
    let n = s.next;
    match (method.as_str(), path.as_str()) {
        ("POST", "/v1/files") => {
            let content = multipart_file(&body, &ctype);
            let id = format!("file-{n}");
            let len = content.len();
            s.files.insert(id.clone(), content);
            reply(
                200,
                json!({"id": id, "object": "file", "bytes": len, "created_at": 1_764_000_000, "filename": "input.jsonl", "purpose": "batch"}),
            )
        }
        ("POST", "/v1/batches") => {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            let input = v["input_file_id"].as_str().unwrap_or("").to_string();
            if !s.files.contains_key(&input)
                || v["endpoint"] != "/v1/chat/completions"
                || v["completion_window"] != "24h"
            {
                return reply(
                    400,
                    json!({"error": {"message": "bad batch request", "type": "invalid_request_error", "param": null, "code": null}}),
                );
            }
            let id = format!("batch_{n}");
            s.created += 1;
            let lines: Vec<String> = String::from_utf8_lossy(&s.files[&input])
                .lines()
                .map(String::from)
                .collect();
            for l in lines {
                let v: Value = serde_json::from_str(&l).unwrap();
                s.submitted
                    .push(v["custom_id"].as_str().unwrap().to_string());
            }
            let b = batch_json(&id, &input, "validating", None, None);
            s.batches.insert(id, b.clone());
            if s.lose_create > 0 {
                s.lose_create -= 1;
                return reply(
                    400,
                    json!({"error": {"message": "the answer was lost", "type": "invalid_request_error", "param": null, "code": null}}),
                );
            }
            reply(200, b)
        }
        ("GET", "/v1/batches") => {
            let data: Vec<Value> = s.batches.values().cloned().collect();
            reply(
                200,
                json!({"object": "list", "data": data, "first_id": null, "last_id": null, "has_more": false}),
            )
        }
        ("GET", p) if p.starts_with("/v1/batches/") => {
            let id = p.trim_start_matches("/v1/batches/").to_string();
            let Some(b) = s.batches.get(&id).cloned() else {
                return reply(
                    404,
                    json!({"error": {"message": "no such batch", "type": "invalid_request_error", "param": null, "code": null}}),
                );
            };
            let polls = {
                let p = s.polls.entry(id.clone()).or_default();
                *p += 1;
                *p
            };
            if b["status"] == "completed" || b["status"] == "expired" || polls < 2 {
                let mut b = b;
                if polls < 2 {
                    b["status"] = json!("in_progress");
                }
                return reply(200, b);
            }
            // Run the batch: output lines, error lines, and expired requests.
            let input = b["input_file_id"].as_str().unwrap().to_string();
            let lines: Vec<String> = String::from_utf8_lossy(&s.files[&input])
                .lines()
                .map(String::from)
                .collect();
            let (mut out, mut err, mut expired) = (String::new(), String::new(), false);
            for (i, l) in lines.iter().enumerate() {
                let v: Value = serde_json::from_str(l).unwrap();
                let cid = v["custom_id"].as_str().unwrap();
                let r = model(cid, &v["body"]);
                if r == Reply::Expire {
                    expired = true;
                    continue;
                }
                let (code, body) = completion(&r, i as u32, &v["body"]);
                let line = json!({"id": format!("batch_req_{i}"), "custom_id": cid, "response": {"status_code": code, "request_id": format!("req_{i}"), "body": body}, "error": null});
                if code == 200 {
                    out.push_str(&format!("{line}\n"));
                } else {
                    err.push_str(&format!("{line}\n"));
                }
            }
            let (oid, eid) = (format!("file-out-{id}"), format!("file-err-{id}"));
            let has_out = !out.is_empty();
            let has_err = !err.is_empty();
            s.files.insert(oid.clone(), out.into_bytes());
            s.files.insert(eid.clone(), err.into_bytes());
            let b = batch_json(
                &id,
                &input,
                if expired { "expired" } else { "completed" },
                has_out.then_some(oid.as_str()),
                has_err.then_some(eid.as_str()),
            );
            s.batches.insert(id, b.clone());
            reply(200, b)
        }
        ("POST", p) if p.starts_with("/v1/batches/") && p.ends_with("/cancel") => {
            let id = p
                .trim_start_matches("/v1/batches/")
                .trim_end_matches("/cancel")
                .to_string();
            let Some(mut b) = s.batches.get(&id).cloned() else {
                return reply(
                    404,
                    json!({"error": {"message": "no such batch", "type": "invalid_request_error", "param": null, "code": null}}),
                );
            };
            b["status"] = json!("cancelling");
            reply(200, b)
        }
        ("GET", p) if p.starts_with("/v1/files/") && p.ends_with("/content") => {
            let id = p
                .trim_start_matches("/v1/files/")
                .trim_end_matches("/content");
            match s.files.get(id) {
                Some(f) => Response::builder()
                    .status(200)
                    .body(Full::new(Bytes::from(f.clone())))
                    .unwrap(),
                None => reply(
                    404,
                    json!({"error": {"message": "no such file", "type": "invalid_request_error", "param": null, "code": null}}),
                ),
            }
        }
        ("POST", "/v1/embeddings") => {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            s.embeddings.push(v.clone());
            if s.embed_fail > 0 {
                s.embed_fail -= 1;
                return reply(
                    500,
                    json!({"error": {"message": "The server had an error processing your request.", "type": "server_error", "param": null, "code": null}}),
                );
            }
            // A bag-of-words vector per input: similar texts, similar vectors.
            let inputs: Vec<String> = v["input"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default();
            let data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mut e = vec![0f64; 64];
                    for w in t
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                    {
                        let h = w
                            .bytes()
                            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
                        e[(h % 64) as usize] += 1.0;
                    }
                    json!({"object": "embedding", "index": i, "embedding": e})
                })
                .collect();
            let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
            reply(
                200,
                json!({"object": "list", "data": data, "model": v["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}),
            )
        }
        ("POST", "/v1/chat/completions") => {
            if s.throttle > 0 {
                s.throttle -= 1;
                return Response::builder()
                    .status(429)
                    .header("retry-after", "0")
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(
                        json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}).to_string(),
                    )))
                    .unwrap();
            }
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            s.chats.push(v.clone());
            drop(s);
            let r = model("", &v);
            let (code, body) = completion(&r, n, &v);
            reply(code, body)
        }
        _ => reply(
            404,
            json!({"error": {"message": format!("no route {method} {path}"), "type": "invalid_request_error", "param": null, "code": null}}),
        ),
    }
}
