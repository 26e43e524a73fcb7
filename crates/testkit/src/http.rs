//! A local HTTP server that records every request and answers with a handler:
//! what tests of the HTTP clients (issue trackers, Slack webhooks) talk to.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path of the URL.
    pub path: String,
    /// The `authorization` header (empty when none).
    pub authorization: String,
    /// The body as JSON (null when it is not JSON).
    pub body: Value,
}

type Handler = dyn Fn(&Recorded) -> (u16, Value) + Send + Sync;

/// A running server: its base URL and what it received.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Every request so far.
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Start a server answering with `handler`.
    pub async fn start(
        handler: impl Fn(&Recorded) -> (u16, Value) + Send + Sync + 'static,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, handler) = (Arc::clone(&log), Arc::clone(&handler));
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (log, handler) = (Arc::clone(&log), Arc::clone(&handler));
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().path().to_string();
                            let authorization = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let raw = req.into_body().collect().await.unwrap().to_bytes();
                            let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                            let rec = Recorded {
                                method,
                                path,
                                authorization,
                                body,
                            };
                            let (status, answer) = handler(&rec);
                            log.lock().unwrap().push(rec);
                            // A JSON string answers as plain text (Slack's "ok").
                            let (kind, body) = match answer {
                                Value::String(s) => ("text/plain", s),
                                other => ("application/json", other.to_string()),
                            };
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .header("content-type", kind)
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Server { url, requests }
    }

    /// The requests so far, and forget them.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }
}
