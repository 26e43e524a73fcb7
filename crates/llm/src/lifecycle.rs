//! The LLM judge's requests over a date, from first submission to the tables.
//!
//! Both passes of every analysed session go out together: in batch mode as JSONL
//! files of the Batch API (split to its limits, uploaded with `purpose=batch`),
//! in sync mode as Chat Completions calls with bounded concurrency. The state of
//! every request (attempt, batch, result) is kept in the lake
//! (`_llm/date=D.json`) after every step, so a crash or a later run resumes
//! polling and never resubmits work that was already sent. Failed, expired,
//! truncated, malformed or off-schema replies are retried up to
//! `max_attempts`; what still fails is written to `judge_failures`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::batches::{
    BatchCompletionWindow, BatchEndpoint, BatchRequest, BatchStatus,
};
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};
use chrono::NaiveDate;
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use signals_judge::delight::{Delight, DelightType};
use signals_judge::rows::{DelightRows, FacetRows, FrictionRows};
use signals_judge::run::{Selection, for_each_session};
use signals_judge::{Facet, FrictionType, Moment, Session, Severity};
use signals_lake::{Lake, schema};

use crate::cascade::{self, Screened};
use crate::condense::{Condensed, condense};
pub use crate::config::{LlmConfig, MAX_BYTES_PER_FILE, MAX_REQUESTS_PER_FILE, Mode};
use crate::reply::{self, Rejected};
use crate::request::{LlmPass, PROMPT_VERSION, body, input_tokens, output_budget};
use crate::{Error, Result};

/// One session and pass's request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Req {
    attempt: u32,
    /// `pending`, `uploaded`, `submitted`, `done` or `failed`.
    status: String,
    batch: Option<String>,
    /// The uploaded input file, between upload and batch creation (`uploaded`).
    #[serde(default)]
    file: Option<String>,
    /// Parsed rows: moments or facets (with the summary).
    result: Option<Value>,
    reason: Option<String>,
    detail: Option<String>,
    usage: Vec<Usage>,
    /// `max_completion_tokens` of the next attempt (0: not sized yet); doubled
    /// after a truncated reply.
    #[serde(default)]
    budget: u32,
    /// Attempts made before this round of retries: a re-run after the stage
    /// settled gives a failed request `max_attempts` more.
    #[serde(default)]
    base_attempt: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Usage {
    attempt: u32,
    status: String,
    input_tokens: i64,
    output_tokens: i64,
    rewritten: i64,
    #[serde(default)]
    reasoning_tokens: Option<i64>,
    #[serde(default)]
    budget: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct BatchRec {
    id: String,
    input_file_id: String,
    processed: bool,
    status: String,
}

/// The date's LLM state, kept in the lake.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    model: String,
    prompt_version: String,
    mode: Option<Mode>,
    /// `pass:session_id` -> request.
    requests: BTreeMap<String, Req>,
    batches: Vec<BatchRec>,
    /// Tokens of each session before condensing.
    full_tokens: BTreeMap<String, i64>,
    /// The process that last wrote the tables: a later process re-judges the
    /// failed requests (after a fix), the same process does not (its two passes
    /// share this state).
    #[serde(default)]
    settled_by: Option<String>,
    /// The last settlement failed more sessions than `max_failure_share`.
    #[serde(default)]
    exceeded: bool,
    /// The settings a failed request would be sent again with
    /// ([`retry_settings`]) when they last settled.
    #[serde(default)]
    settings: String,
}

/// What a fix of failed requests changes: the effort, the budgets, the attempts.
fn retry_settings(cfg: &LlmConfig) -> String {
    format!(
        "{}|{:?}|{}|{}|{}",
        cfg.reasoning_effort.id(),
        cfg.output_budget,
        cfg.max_completion_tokens,
        cfg.input_budget,
        cfg.max_attempts
    )
}

/// This process, as [`State::settled_by`] names it.
static PROCESS: LazyLock<String> = LazyLock::new(|| {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
});

impl State {
    fn path(lake: &Lake, date: NaiveDate) -> object_store::path::Path {
        lake.path(&format!("_llm/date={date}.json"))
    }

    async fn load(lake: &Lake, date: NaiveDate) -> Result<Option<State>> {
        match lake.store().get(&Self::path(lake, date)).await {
            Ok(r) => Ok(Some(serde_json::from_slice(&r.bytes().await?)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn save(&self, lake: &Lake, date: NaiveDate) -> Result<()> {
        lake.store()
            .put(
                &Self::path(lake, date),
                PutPayload::from(serde_json::to_vec(self)?),
            )
            .await?;
        Ok(())
    }
}

/// A batch the judge submitted (for `signals batches list`).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInfo {
    /// Sessions' date.
    pub date: NaiveDate,
    /// Batch id.
    pub id: String,
    /// Last known status.
    pub status: String,
    /// Whether its results were taken in.
    pub processed: bool,
}

/// Every batch the LLM judge submitted, by date.
pub async fn batches(lake: &Lake) -> Result<Vec<BatchInfo>> {
    let mut out = Vec::new();
    let mut list = lake.store().list(Some(&lake.path("_llm")));
    let mut dates = Vec::new();
    while let Some(m) = list.next().await {
        let m = m?;
        if let Some(d) = m
            .location
            .filename()
            .and_then(|f| f.strip_prefix("date="))
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|d| signals_lake::parse_date(d).ok())
        {
            dates.push(d);
        }
    }
    dates.sort();
    for d in dates {
        if let Some(s) = State::load(lake, d).await? {
            for b in s.batches {
                out.push(BatchInfo {
                    date: d,
                    id: b.id,
                    status: b.status,
                    processed: b.processed,
                });
            }
        }
    }
    Ok(out)
}

/// Cancel a batch (its finished requests stay usable; the rest are retried by the
/// next run).
pub async fn cancel(cfg: &LlmConfig, id: &str) -> Result<String> {
    let b = cfg
        .client()
        .batches()
        .cancel(id)
        .await
        .map_err(api("cancel batch"))?;
    Ok(status_name(&b.status).into())
}

fn api(what: &'static str) -> impl Fn(async_openai::error::OpenAIError) -> Error {
    move |e| Error::from_openai(what, e)
}

fn status_name(s: &BatchStatus) -> &'static str {
    match s {
        BatchStatus::Validating => "validating",
        BatchStatus::Failed => "failed",
        BatchStatus::InProgress => "in_progress",
        BatchStatus::Finalizing => "finalizing",
        BatchStatus::Completed => "completed",
        BatchStatus::Expired => "expired",
        BatchStatus::Cancelling => "cancelling",
        BatchStatus::Cancelled => "cancelled",
    }
}

/// A reply: its content, finish reason and tokens.
#[derive(Debug, Clone, Default)]
struct Reply {
    content: String,
    finish: String,
    input: i64,
    output: i64,
    reasoning: Option<i64>,
}

/// A reply, or why there was none (reason, detail).
type Answer = std::result::Result<Reply, (String, String)>;

/// Where the judge stands for a date.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Every request is done or failed; the pass's table was written.
    Done {
        /// Rows written to the pass's table.
        rows: u64,
    },
    /// Batches are still running at the provider.
    Waiting {
        /// What is running.
        note: String,
    },
}

// One lifecycle per lake and date at a time within a process (the two passes'
// stages share it); runs of one date in different processes are kept apart by
// the runner's lease.
static LOCKS: LazyLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

fn key(pass: LlmPass, session: &str) -> String {
    format!("{}:{session}", pass.id())
}

fn custom_id(k: &str, attempt: u32) -> String {
    format!("{k}:{attempt}")
}

/// Advance the date's LLM judging (submit, poll, take in results, retry) and, once
/// every request is settled, write `pass`'s table and the `judge_usage` and
/// `judge_failures` partitions (and, in a cascade, `judge_agreement`).
///
/// With a cascade the screen judges every selected session; the LLM judges the
/// sessions it flags plus a uniform random sample of the rest, and its labels
/// win where present. A pass whose failed sessions exceed
/// `max_failure_share` writes its tables and then fails, naming the top
/// reason and what to change; running it again in a later process re-judges
/// only the failed requests.
pub async fn run_pass(
    lake: &Lake,
    date: NaiveDate,
    pass: LlmPass,
    selection: &Selection,
    cfg: &LlmConfig,
) -> Result<Progress> {
    let lock = {
        let mut m = LOCKS.lock().expect("lock table");
        Arc::clone(m.entry(format!("{}|{date}", lake.url())).or_default())
    };
    let _held = lock.lock().await;
    let ctx = lake.session_context().await?;
    let mut sessions: BTreeMap<String, Session> = BTreeMap::new();
    for_each_session(&ctx, date, selection, |s| {
        sessions.insert(s.id.clone(), s.clone());
    })
    .await?;
    let screened = cfg
        .cascade
        .as_ref()
        .map(|c| cascade::screen(c, &sessions, pass));
    let chosen: BTreeSet<String> = match &screened {
        Some(sc) => sc.chosen().cloned().collect(),
        None => sessions.keys().cloned().collect(),
    };
    let mut state = State::load(lake, date).await?.unwrap_or_default();
    if state.model != cfg.model
        || state.prompt_version != PROMPT_VERSION
        || state.mode != Some(cfg.mode)
    {
        // A different model or prompt is a different judgement: start over.
        state = State {
            model: cfg.model.clone(),
            prompt_version: PROMPT_VERSION.into(),
            mode: Some(cfg.mode),
            ..State::default()
        };
    }
    if state.settled_by.as_ref().is_some_and(|p| *p != *PROCESS)
        && (state.exceeded || state.settings != retry_settings(cfg))
    {
        // A later run after the date's judging failed, or with the settings
        // changed (a fix): the failed requests get a fresh round, sized anew. A
        // rerun for any other reason keeps them failed (they were paid for).
        for r in state.requests.values_mut().filter(|r| r.status == "failed") {
            r.status = "pending".into();
            r.base_attempt = r.attempt;
            r.budget = 0;
        }
    }
    state.settled_by = None;
    let passes = crate::config::llm_passes(cfg);
    for id in &chosen {
        for p in passes {
            state.requests.entry(key(*p, id)).or_insert_with(|| Req {
                attempt: 0,
                status: "pending".into(),
                ..Req::default()
            });
        }
    }
    // Requests of sessions that left the selection (or the cascade's choice)
    // are not sent.
    for (k, r) in state.requests.iter_mut() {
        if r.status == "pending" && !counts(k, &chosen, cfg) {
            r.status = "done".into();
            r.result = None;
        }
    }
    // Only sessions with a request still open are condensed (tokenizing is the
    // costly part): a settled session's replies are already in the state.
    let open = |id: &str| {
        [LlmPass::Friction, LlmPass::Facets].iter().any(|p| {
            state
                .requests
                .get(&key(*p, id))
                .is_some_and(|r| !matches!(&r.status[..], "done" | "failed"))
        })
    };
    let condensed: BTreeMap<String, Condensed> = sessions
        .iter()
        .filter(|(id, _)| open(id))
        .map(|(id, s)| (id.clone(), condense(s, cfg.input_budget)))
        .collect();
    for (id, c) in &condensed {
        state.full_tokens.insert(id.clone(), c.full_tokens as i64);
    }
    let client = cfg.client();
    let mut delay = cfg.poll_interval;
    loop {
        match cfg.mode {
            Mode::Sync => sync_round(&client, &mut state, &condensed, cfg, lake, date).await?,
            Mode::Batch => {
                adopt_uploaded(&client, &mut state, lake, date).await?;
                poll(&client, &mut state, &condensed, cfg, lake, date).await?;
                submit(&client, &mut state, &condensed, cfg, lake, date).await?;
            }
        }
        let running: Vec<&BatchRec> = state.batches.iter().filter(|b| !b.processed).collect();
        let open = state
            .requests
            .values()
            .any(|r| matches!(&r.status[..], "pending" | "uploaded" | "submitted"));
        if !open {
            break;
        }
        if cfg.mode == Mode::Batch && !cfg.wait {
            let ids: Vec<&str> = running.iter().map(|b| b.id.as_str()).collect();
            return Ok(Progress::Waiting {
                note: format!(
                    "{} batch(es) running at the provider: {}; run again to collect",
                    ids.len(),
                    ids.join(", ")
                ),
            });
        }
        if cfg.mode == Mode::Batch {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(cfg.poll_interval * 16);
        }
    }
    let rows = write_tables(lake, date, pass, &state, &chosen, screened.as_ref(), cfg).await?;
    let failed = mostly_failed(&state, &chosen, cfg);
    state.settled_by = Some(PROCESS.clone());
    state.exceeded = failed.is_some();
    state.settings = retry_settings(cfg);
    state.save(lake, date).await?;
    match failed {
        Some(why) => Err(Error::MostlyFailed(why)),
        None => Ok(Progress::Done { rows }),
    }
}

/// Whether request `k` (`pass:session`) is part of this judgement: its session
/// is chosen and its pass is one the LLM runs.
fn counts(k: &str, chosen: &BTreeSet<String>, cfg: &LlmConfig) -> bool {
    k.split_once(':').is_some_and(|(p, s)| {
        chosen.contains(s)
            && LlmPass::from_id(p).is_some_and(|p| crate::config::llm_passes(cfg).contains(&p))
    })
}

/// Why the date's judging counts as failed: more than `max_failure_share` of the
/// judged sessions have a failed request, named by the commonest reason with
/// what to change.
fn mostly_failed(state: &State, chosen: &BTreeSet<String>, cfg: &LlmConfig) -> Option<String> {
    let failed: Vec<(&str, &Req)> = state
        .requests
        .iter()
        .filter(|(k, r)| r.status == "failed" && counts(k, chosen, cfg))
        .filter_map(|(k, r)| Some((k.split_once(':')?.1, r)))
        .collect();
    let sessions: BTreeSet<&str> = failed.iter().map(|(s, _)| *s).collect();
    if chosen.is_empty() || (sessions.len() as f64) <= cfg.max_failure_share * chosen.len() as f64 {
        return None;
    }
    let requests = state
        .requests
        .keys()
        .filter(|k| counts(k, chosen, cfg))
        .count();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &failed {
        *by_reason
            .entry(r.reason.as_deref().unwrap_or("error"))
            .or_default() += 1;
    }
    let (reason, n) = by_reason
        .iter()
        .max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r)))
        .map(|(r, n)| (*r, *n))?;
    let last = |f: &dyn Fn(&Usage) -> Option<i64>| -> Vec<i64> {
        failed
            .iter()
            .filter(|(_, r)| r.reason.as_deref() == Some(reason))
            .filter_map(|(_, r)| r.usage.last().and_then(f))
            .collect()
    };
    let profile = cfg.profile();
    let effort = profile
        .effort(cfg.reasoning_effort)
        .map_or("none", |e| e.id());
    let advice = match reason {
        "truncated" => {
            let reasoning = last(&|u| u.reasoning_tokens);
            let budgets = last(&|u| u.budget);
            let mean = |v: &[i64]| v.iter().sum::<i64>() / (v.len().max(1) as i64);
            if profile.reasoning && reasoning.iter().any(|n| *n > 0) {
                format!(
                    "the model spent its completion budget on reasoning ({} reasoning tokens on average, budget up to {}); lower llm_reasoning_effort (now {effort}) or raise llm_max_completion_tokens (now {})",
                    mean(&reasoning),
                    budgets.iter().max().copied().unwrap_or(0),
                    cfg.max_completion_tokens
                )
            } else {
                format!(
                    "the replies ran past their completion budget (up to {} tokens); raise llm_output_budget or llm_max_completion_tokens (now {})",
                    budgets.iter().max().copied().unwrap_or(0),
                    cfg.max_completion_tokens
                )
            }
        }
        "error" => {
            let detail = failed
                .iter()
                .find(|(_, r)| r.reason.as_deref() == Some("error"))
                .and_then(|(_, r)| r.detail.clone())
                .unwrap_or_default();
            format!(
                "the API answered with errors (last: {detail}); check llm_model ({}), llm_base_url and the provider's status",
                cfg.model
            )
        }
        "expired" => "the batches expired before these requests ran; run again (they are resubmitted) or use llm_mode = \"sync\"".into(),
        _ => format!(
            "the replies did not follow the JSON schema; use a model with strict structured outputs (json_schema) instead of {}",
            cfg.model
        ),
    };
    Some(format!(
        "the LLM judge failed on {} of {} sessions ({:.0}%, more than llm_max_failure_share = {:.0}%): {n} of {requests} requests {reason}: {advice}. Running again after the fix judges only the failed sessions",
        sessions.len(),
        chosen.len(),
        100.0 * sessions.len() as f64 / chosen.len() as f64,
        100.0 * cfg.max_failure_share
    ))
}

/// Take one reply's content in: validate it; a usable one settles the request,
/// anything else is retried or, out of attempts, fails. A reply cut off by the
/// completion budget doubles the budget of the retry (up to the cap): the same
/// request would be cut off the same way.
fn settle(req: &mut Req, pass: LlmPass, c: &Condensed, outcome: Answer, cfg: &LlmConfig) {
    let budget = req.budget;
    let (status, detail, reply, rewritten) = match outcome {
        Ok(r) if r.finish == "length" => {
            let detail = match r.reasoning {
                Some(n) if n > 0 => format!(
                    "cut off at {} completion tokens ({n} of them reasoning) of a budget of {budget}",
                    r.output
                ),
                _ => format!(
                    "cut off at {} completion tokens of a budget of {budget}",
                    r.output
                ),
            };
            req.budget = budget
                .saturating_mul(2)
                .min(cfg.max_completion_tokens)
                .max(budget);
            ("truncated".to_string(), detail, r, 0)
        }
        Ok(r) => {
            let parsed = match pass {
                LlmPass::Friction | LlmPass::Delight => reply::friction_and_delights(&r.content, c)
                    .map(|(ms, ds, n)| (moments_json(&ms, &ds), n)),
                LlmPass::Facets => reply::facets(&r.content, c, &cfg.discovered)
                    .map(|(fs, summary, rw)| (facets_json(&fs, &summary), u64::from(rw))),
            };
            match parsed {
                Ok((value, n)) => {
                    req.result = Some(value);
                    ("ok".to_string(), String::new(), r, n as i64)
                }
                Err(Rejected::Malformed(m)) => ("malformed".to_string(), m, r, 0),
                Err(Rejected::Schema(m)) => ("schema".to_string(), m, r, 0),
            }
        }
        Err((status, detail)) => (status, detail, Reply::default(), 0),
    };
    req.usage.push(Usage {
        attempt: req.attempt,
        status: status.clone(),
        input_tokens: reply.input,
        output_tokens: reply.output,
        rewritten,
        reasoning_tokens: reply.reasoning,
        budget: (budget > 0).then_some(i64::from(budget)),
    });
    req.batch = None;
    if status == "ok" {
        req.status = "done".into();
        req.reason = None;
        req.detail = None;
    } else if req.attempt.saturating_sub(req.base_attempt) >= cfg.max_attempts {
        req.status = "failed".into();
        req.reason = Some(status);
        req.detail = Some(detail);
    } else {
        req.status = "pending".into();
        req.reason = Some(status);
        req.detail = Some(detail);
    }
}

/// A friction reply as kept in the state: its moments, and its delights.
fn moments_json(ms: &[Moment], ds: &[Delight]) -> Value {
    json!({
        "moments": ms.iter().map(|m| {
            json!({"t": m.friction_type.id(), "s": m.severity.id(), "a": m.first_seq, "b": m.last_seq, "c": m.citation, "p": m.confidence})
        }).collect::<Vec<_>>(),
        "delights": ds.iter().map(|d| {
            json!({"t": d.delight_type.id(), "s": d.strength.id(), "a": d.first_seq, "b": d.last_seq, "c": d.citation, "p": d.confidence})
        }).collect::<Vec<_>>(),
    })
}

fn facets_json(fs: &[Facet], summary: &str) -> Value {
    json!({
        "facets": fs.iter().map(|f| json!([f.facet, f.value, f.source])).collect::<Vec<_>>(),
        "summary": summary,
    })
}

/// The content, finish reason and token counts of a Chat Completions response
/// (reasoning tokens from `usage.completion_tokens_details`, where a reasoning
/// model reports them).
fn completion(resp: &Value, fallback_input: i64) -> Answer {
    let choice = &resp["choices"][0];
    let content = choice["message"]["content"].as_str();
    let finish = choice["finish_reason"].as_str().unwrap_or("").to_string();
    let usage = &resp["usage"];
    let r = Reply {
        content: content.unwrap_or("").to_string(),
        input: usage["prompt_tokens"].as_i64().unwrap_or(fallback_input),
        output: usage["completion_tokens"].as_i64().unwrap_or(0),
        reasoning: usage["completion_tokens_details"]["reasoning_tokens"].as_i64(),
        finish,
    };
    if content.is_some() || r.finish == "length" {
        return Ok(r);
    }
    let refusal = choice["message"]["refusal"].as_str().unwrap_or("");
    Err((
        "malformed".into(),
        if refusal.is_empty() {
            "no message content in the response".into()
        } else {
            "the model refused (message.refusal)".into()
        },
    ))
}

/// The body of request `k` (`pass:session`), sized and recorded: a request's
/// first attempt gets the model's reasoning headroom + the pass's output budget,
/// a retry keeps what the last attempt left it (doubled after a truncation).
fn request_body(
    k: &str,
    req: &mut Req,
    condensed: &BTreeMap<String, Condensed>,
    cfg: &LlmConfig,
) -> Option<(LlmPass, Value)> {
    let (p, session) = k.split_once(':')?;
    let pass = LlmPass::from_id(p)?;
    let c = condensed.get(session)?;
    let output = cfg.output_budget.unwrap_or_else(|| output_budget(pass, c));
    let (first, effort) = cfg.completion(output);
    if req.budget == 0 {
        req.budget = first;
    }
    Some((
        pass,
        body(&cfg.model, pass, c, req.budget, effort, &cfg.discovered),
    ))
}

async fn sync_round(
    client: &Client<OpenAIConfig>,
    state: &mut State,
    condensed: &BTreeMap<String, Condensed>,
    cfg: &LlmConfig,
    lake: &Lake,
    date: NaiveDate,
) -> Result<()> {
    let pending: Vec<String> = state
        .requests
        .iter()
        .filter(|(_, r)| r.status == "pending")
        .map(|(k, _)| k.clone())
        .collect();
    let bodies: Vec<(String, LlmPass, Value)> = pending
        .into_iter()
        .filter_map(|k| {
            let req = state.requests.get_mut(&k).expect("request");
            let (pass, b) = request_body(&k, req, condensed, cfg)?;
            Some((k, pass, b))
        })
        .collect();
    let calls = bodies.into_iter().map(|(k, pass, b)| {
        let client = client.clone();
        async move {
            let fallback = input_tokens(&b) as i64;
            let r: std::result::Result<Value, _> = client.chat().create_byot(b).await;
            (k, pass, fallback, r)
        }
    });
    let mut results = futures::stream::iter(calls).buffer_unordered(cfg.concurrency.max(1));
    while let Some((k, pass, fallback, r)) = results.next().await {
        let outcome = match r {
            Ok(v) => completion(&v, fallback),
            Err(e) => {
                let e = Error::from_openai("chat completion", e);
                if e.is_auth() {
                    return Err(e);
                }
                Err(("error".to_string(), e.to_string()))
            }
        };
        let session = k.split_once(':').map(|x| x.1).unwrap_or("");
        let Some(c) = condensed.get(session) else {
            continue;
        };
        let req = state.requests.get_mut(&k).expect("request");
        req.attempt += 1;
        settle(req, pass, c, outcome, cfg);
    }
    state.save(lake, date).await
}

async fn submit(
    client: &Client<OpenAIConfig>,
    state: &mut State,
    condensed: &BTreeMap<String, Condensed>,
    cfg: &LlmConfig,
    lake: &Lake,
    date: NaiveDate,
) -> Result<()> {
    let pending: Vec<String> = state
        .requests
        .iter()
        .filter(|(_, r)| r.status == "pending")
        .map(|(k, _)| k.clone())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    // Split into files within the API's limits.
    let mut files: Vec<(Vec<String>, String)> = vec![(Vec::new(), String::new())];
    for k in pending {
        let req = state.requests.get_mut(&k).expect("request");
        let Some((_, b)) = request_body(&k, req, condensed, cfg) else {
            continue;
        };
        let attempt = state.requests[&k].attempt + 1;
        let line = json!({"custom_id": custom_id(&k, attempt), "method": "POST", "url": "/v1/chat/completions", "body": b}).to_string() + "\n";
        let (keys, text) = files.last_mut().expect("a file");
        if !keys.is_empty()
            && (keys.len() >= cfg.max_requests_per_file
                || text.len() + line.len() > cfg.max_bytes_per_file)
        {
            files.push((vec![k], line));
        } else {
            keys.push(k);
            text.push_str(&line);
        }
    }
    for (keys, text) in files {
        if keys.is_empty() {
            continue;
        }
        let file = client
            .files()
            .create(CreateFileRequest {
                file: FileInput::from_bytes(
                    format!("signals-{date}.jsonl"),
                    text.into_bytes().into(),
                ),
                purpose: FilePurpose::Batch,
                expires_after: None,
            })
            .await
            .map_err(api("upload batch input"))?;
        // Recorded before the batch is created: if creating it fails or the process
        // dies, the next run finds (or creates) the batch of this file, never a second one.
        for k in &keys {
            let r = state.requests.get_mut(k).expect("request");
            r.attempt += 1;
            r.status = "uploaded".into();
            r.file = Some(file.id.clone());
        }
        state.save(lake, date).await?;
        create_batch(client, state, &file.id, date, lake, None).await?;
    }
    Ok(())
}

/// Requests uploaded in a file whose batch was not recorded: adopt the provider's
/// batch of that file if it exists, else create it.
async fn adopt_uploaded(
    client: &Client<OpenAIConfig>,
    state: &mut State,
    lake: &Lake,
    date: NaiveDate,
) -> Result<()> {
    let mut files: Vec<String> = state
        .requests
        .values()
        .filter(|r| r.status == "uploaded")
        .filter_map(|r| r.file.clone())
        .collect();
    files.sort();
    files.dedup();
    if files.is_empty() {
        return Ok(());
    }
    let known = client.batches().list().await.map_err(api("list batches"))?;
    for f in files {
        let existing = known
            .data
            .iter()
            .find(|b| b.input_file_id == f)
            .map(|b| (b.id.clone(), status_name(&b.status).to_string()));
        create_batch(client, state, &f, date, lake, existing).await?;
    }
    Ok(())
}

/// Create the batch of an uploaded file (or take `existing`), and record it.
async fn create_batch(
    client: &Client<OpenAIConfig>,
    state: &mut State,
    file_id: &str,
    date: NaiveDate,
    lake: &Lake,
    existing: Option<(String, String)>,
) -> Result<()> {
    let (id, status) = match existing {
        Some(x) => x,
        None => {
            let batch = client
                .batches()
                .create(BatchRequest {
                    input_file_id: file_id.to_string(),
                    endpoint: BatchEndpoint::V1ChatCompletions,
                    completion_window: BatchCompletionWindow::W24H,
                    metadata: Some(HashMap::from([
                        ("source".to_string(), json!("agent-signals")),
                        ("date".to_string(), json!(date.to_string())),
                    ])),
                    output_expires_after: None,
                })
                .await
                .map_err(api("create batch"))?;
            (batch.id, status_name(&batch.status).to_string())
        }
    };
    for r in state.requests.values_mut() {
        if r.status == "uploaded" && r.file.as_deref() == Some(file_id) {
            r.status = "submitted".into();
            r.batch = Some(id.clone());
            r.file = None;
        }
    }
    state.batches.push(BatchRec {
        id,
        input_file_id: file_id.to_string(),
        processed: false,
        status,
    });
    // Saved after each batch: a crash never loses a paid-for submission.
    state.save(lake, date).await
}

/// The lines of a batch output or error file, as (custom id, line); lines that
/// are not JSON or have no custom id are skipped.
async fn result_lines(
    client: &Client<OpenAIConfig>,
    file_id: &str,
    what: &'static str,
) -> Result<Vec<(String, Value)>> {
    let bytes = client.files().content(file_id).await.map_err(api(what))?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| Some((v["custom_id"].as_str()?.to_string(), v)))
        .collect())
}

async fn poll(
    client: &Client<OpenAIConfig>,
    state: &mut State,
    condensed: &BTreeMap<String, Condensed>,
    cfg: &LlmConfig,
    lake: &Lake,
    date: NaiveDate,
) -> Result<()> {
    for i in 0..state.batches.len() {
        if state.batches[i].processed {
            continue;
        }
        let id = state.batches[i].id.clone();
        let b = client
            .batches()
            .retrieve(&id)
            .await
            .map_err(api("retrieve batch"))?;
        state.batches[i].status = status_name(&b.status).into();
        let terminal = matches!(
            b.status,
            BatchStatus::Completed
                | BatchStatus::Expired
                | BatchStatus::Failed
                | BatchStatus::Cancelled
        );
        if !terminal {
            continue;
        }
        let mut seen: BTreeMap<String, Answer> = BTreeMap::new();
        if let Some(f) = &b.output_file_id {
            for (cid, v) in result_lines(client, f, "download batch output").await? {
                let resp = &v["response"];
                let outcome = if resp["status_code"].as_i64() == Some(200) {
                    completion(&resp["body"], 0)
                } else {
                    Err((
                        "error".into(),
                        format!(
                            "HTTP {}: {}",
                            resp["status_code"],
                            resp["body"]["error"]["message"].as_str().unwrap_or("")
                        ),
                    ))
                };
                seen.insert(cid, outcome);
            }
        }
        if let Some(f) = &b.error_file_id {
            for (cid, v) in result_lines(client, f, "download batch errors").await? {
                let msg = v["error"]["message"]
                    .as_str()
                    .or(v["response"]["body"]["error"]["message"].as_str())
                    .unwrap_or("error")
                    .to_string();
                let code = v["response"]["status_code"]
                    .as_i64()
                    .map(|c| format!("HTTP {c}: "))
                    .unwrap_or_default();
                seen.entry(cid)
                    .or_insert(Err(("error".into(), format!("{code}{msg}"))));
            }
        }
        let missing_reason = match b.status {
            BatchStatus::Expired => ("expired", "the batch expired before this request ran"),
            BatchStatus::Cancelled => {
                ("expired", "the batch was cancelled before this request ran")
            }
            BatchStatus::Failed => ("error", "the batch failed validation"),
            _ => ("error", "no result for this request in the batch output"),
        };
        let keys: Vec<String> = state
            .requests
            .iter()
            .filter(|(_, r)| r.batch.as_deref() == Some(id.as_str()) && r.status == "submitted")
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            let session = k
                .split_once(':')
                .map(|x| x.1.to_string())
                .unwrap_or_default();
            let pass = k
                .split_once(':')
                .and_then(|x| LlmPass::from_id(x.0))
                .unwrap_or(LlmPass::Friction);
            let req = state.requests.get_mut(&k).expect("request");
            let cid = custom_id(&k, req.attempt);
            let outcome = seen
                .remove(&cid)
                .unwrap_or_else(|| Err((missing_reason.0.into(), missing_reason.1.into())));
            match condensed.get(&session) {
                Some(c) => settle(req, pass, c, outcome, cfg),
                None => {
                    // The session left the date's selection: nothing to judge.
                    req.status = "done".into();
                    req.result = None;
                }
            }
        }
        state.batches[i].processed = true;
        state.save(lake, date).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn write_tables(
    lake: &Lake,
    date: NaiveDate,
    pass: LlmPass,
    state: &State,
    chosen: &BTreeSet<String>,
    screened: Option<&Screened>,
    cfg: &LlmConfig,
) -> Result<u64> {
    let judge = format!("openai:{}", state.model);
    // Delights come from the friction request: its version.
    let version = format!("{}.{PROMPT_VERSION}", pass.request().id());
    // (session, row, judged by the LLM)
    let mut moments: Vec<(String, Moment, bool)> = Vec::new();
    let mut facets: Vec<(String, Facet, bool)> = Vec::new();
    let mut delights: Vec<(String, Delight, bool)> = Vec::new();
    // What the LLM found per session it judged (friction), for the agreement.
    let mut found: BTreeMap<String, BTreeSet<FrictionType>> = BTreeMap::new();
    for (k, r) in &state.requests {
        let Some((p, session)) = k.split_once(':') else {
            continue;
        };
        if p != pass.request().id() || r.status != "done" || !counts(k, chosen, cfg) {
            continue;
        }
        let Some(v) = &r.result else { continue };
        let sev = |x: &Value| match x.as_str() {
            Some("high") => Severity::High,
            Some("medium") => Severity::Medium,
            _ => Severity::Low,
        };
        match pass {
            LlmPass::Delight => {
                found.insert(session.to_string(), BTreeSet::new());
                for d in v["delights"].as_array().into_iter().flatten() {
                    let Some(t) = d["t"].as_str().and_then(DelightType::from_id) else {
                        continue;
                    };
                    delights.push((
                        session.to_string(),
                        Delight {
                            delight_type: t,
                            strength: sev(&d["s"]),
                            first_seq: d["a"].as_i64().unwrap_or(0),
                            last_seq: d["b"].as_i64().unwrap_or(0),
                            citation: d["c"].as_str().unwrap_or("").into(),
                            confidence: d["p"].as_f64().unwrap_or(0.0),
                        },
                        true,
                    ));
                }
            }
            LlmPass::Friction => {
                let types = found.entry(session.to_string()).or_default();
                for m in v["moments"].as_array().into_iter().flatten() {
                    let Some(t) = m["t"].as_str().and_then(FrictionType::from_id) else {
                        continue;
                    };
                    let sev = sev(&m["s"]);
                    types.insert(t);
                    moments.push((
                        session.to_string(),
                        Moment::new(
                            t,
                            sev,
                            m["a"].as_i64().unwrap_or(0),
                            m["b"].as_i64().unwrap_or(0),
                            m["c"].as_str().unwrap_or("").into(),
                            m["p"].as_f64().unwrap_or(0.0),
                        ),
                        true,
                    ));
                }
            }
            LlmPass::Facets => {
                let mut got: Vec<Facet> = v["facets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let s = |i: usize| f[i].as_str().unwrap_or("").to_string();
                        Facet::new(&s(0), &s(1), &s(2))
                    })
                    .collect();
                got.push(Facet::new(
                    "summary",
                    v["summary"].as_str().unwrap_or(""),
                    "llm",
                ));
                found.insert(session.to_string(), BTreeSet::new());
                // A model may name a value twice.
                for f in signals_judge::unique_facets(got) {
                    facets.push((session.to_string(), f, true));
                }
            }
        }
    }
    // The cascade: the screen's labels stand for every session the LLM did not
    // judge (not chosen, or failed: those are in judge_failures too).
    if let Some(sc) = screened {
        match pass {
            LlmPass::Friction => {
                for (id, ms) in &sc.moments {
                    if !found.contains_key(id) {
                        moments.extend(ms.iter().map(|m| (id.clone(), m.clone(), false)));
                    }
                }
            }
            LlmPass::Facets => {
                for (id, fs) in &sc.facets {
                    if !found.contains_key(id) {
                        for f in signals_judge::unique_facets(fs.iter().cloned()) {
                            facets.push((id.clone(), f, false));
                        }
                    }
                }
            }
            LlmPass::Delight => {
                for (id, ds) in &sc.delights {
                    if !found.contains_key(id) {
                        delights.extend(ds.iter().map(|d| (id.clone(), d.clone(), false)));
                    }
                }
            }
        }
    }
    let strs = |v: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let who = |llm: bool| -> (&str, &str) {
        match screened {
            Some(sc) if !llm => (&sc.name, &sc.version),
            _ => (&judge, &version),
        }
    };
    let rows = match pass {
        LlmPass::Friction => {
            let mut rows = FrictionRows::default();
            for (session, m, llm) in &moments {
                let (j, v) = who(*llm);
                rows.push(session, m, j, v);
            }
            let n = lake
                .write_partition_batches(&schema::frictions(), date, vec![rows.finish()?])
                .await?;
            if let Some(sc) = screened {
                let agreement = crate::cascade::agreement_batch(sc, &found, &judge)?;
                lake.write_partition_batches(&schema::judge_agreement(), date, vec![agreement])
                    .await?;
            }
            n
        }
        LlmPass::Facets => {
            let mut rows = FacetRows::default();
            for (session, f, llm) in &facets {
                let (j, v) = who(*llm);
                rows.push(session, f, j, v);
            }
            lake.write_partition_batches(&schema::session_facets(), date, vec![rows.finish()?])
                .await?
        }
        LlmPass::Delight => {
            let mut rows = DelightRows::default();
            for (session, d, llm) in &delights {
                let (j, v) = who(*llm);
                rows.push(session, d, j, v);
            }
            lake.write_partition_batches(&schema::delights(), date, vec![rows.finish()?])
                .await?
        }
    };
    // Usage and failures cover both passes; each pass writes the same rows.
    // One row per request attempt, and one per failed request.
    struct UsageRow<'a> {
        session: &'a str,
        pass: &'a str,
        u: &'a Usage,
    }
    let mode = match state.mode {
        Some(Mode::Sync) => "sync",
        _ => "batch",
    };
    let mut rows_u: Vec<UsageRow> = Vec::new();
    let mut rows_f: Vec<(&str, &str, &Req)> = Vec::new();
    for (k, r) in &state.requests {
        let Some((p, session)) = k.split_once(':') else {
            continue;
        };
        rows_u.extend(r.usage.iter().map(|u| UsageRow {
            session,
            pass: p,
            u,
        }));
        if r.status == "failed" && counts(k, chosen, cfg) {
            rows_f.push((session, p, r));
        }
    }
    let n = rows_u.len();
    let full = |s: &str| state.full_tokens.get(s).copied().unwrap_or(0);
    let usage = RecordBatch::try_new(
        schema::judge_usage().file_schema(),
        vec![
            strs(rows_u.iter().map(|r| r.session.to_string()).collect()),
            strs(rows_u.iter().map(|r| r.pass.to_string()).collect()),
            Arc::new(Int64Array::from(
                rows_u
                    .iter()
                    .map(|r| i64::from(r.u.attempt))
                    .collect::<Vec<_>>(),
            )),
            strs(vec![state.model.clone(); n]),
            strs(vec![PROMPT_VERSION.to_string(); n]),
            strs(vec![mode.to_string(); n]),
            strs(rows_u.iter().map(|r| r.u.status.clone()).collect()),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.input_tokens).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.output_tokens).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| full(r.session)).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows_u
                    .iter()
                    .map(|r| {
                        (r.u.input_tokens as f64 * cfg.input_usd_per_mtok
                            + r.u.output_tokens as f64 * cfg.output_usd_per_mtok)
                            / 1e6
                    })
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.rewritten).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u
                    .iter()
                    .map(|r| r.u.reasoning_tokens)
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.budget).collect::<Vec<_>>(),
            )),
        ],
    )?;
    lake.write_partition_batches(&schema::judge_usage(), date, vec![usage])
        .await?;
    let failures = RecordBatch::try_new(
        schema::judge_failures().file_schema(),
        vec![
            strs(rows_f.iter().map(|f| f.0.to_string()).collect()),
            strs(rows_f.iter().map(|f| f.1.to_string()).collect()),
            Arc::new(Int64Array::from(
                rows_f
                    .iter()
                    .map(|f| i64::from(f.2.attempt))
                    .collect::<Vec<_>>(),
            )),
            strs(
                rows_f
                    .iter()
                    .map(|f| f.2.reason.clone().unwrap_or_default())
                    .collect(),
            ),
            strs(
                rows_f
                    .iter()
                    .map(|f| f.2.detail.clone().unwrap_or_default())
                    .collect(),
            ),
        ],
    )?;
    lake.write_partition_batches(&schema::judge_failures(), date, vec![failures])
        .await?;
    Ok(rows)
}
