//! Batch mode: requests as JSONL files of the Batch API (split to its limits,
//! uploaded with `purpose=batch`), batches created, polled and taken in; and the
//! `signals batches list|cancel` side.

use std::collections::{BTreeMap, HashMap};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::batches::{
    BatchCompletionWindow, BatchEndpoint, BatchRequest, BatchStatus,
};
use async_openai::types::files::{CreateFileRequest, FileInput, FilePurpose};
use chrono::NaiveDate;
use futures::StreamExt;
use serde_json::{Value, json};
use signals_lake::Lake;

use super::Round;
use super::state::{BatchRec, State};
use super::{Answer, completion, custom_id, request_body, settle};
use crate::config::LlmConfig;
use crate::request::LlmPass;
use crate::{Error, Result};

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

pub(super) fn api(what: &'static str) -> impl Fn(async_openai::error::OpenAIError) -> Error {
    move |e| Error::from_openai(what, e)
}

pub(super) fn status_name(s: &BatchStatus) -> &'static str {
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

pub(super) async fn submit(round: &Round<'_>, state: &mut State) -> Result<()> {
    let (client, condensed, cfg, lake, date) = round.parts();
    let pending = state.pending();
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
pub(super) async fn adopt_uploaded(
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
pub(super) async fn create_batch(
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
    tracing::info!(batch = %id, %status, input_file = file_id, %date, "batch submitted");
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
pub(super) async fn result_lines(
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

pub(super) async fn poll(round: &Round<'_>, state: &mut State) -> Result<()> {
    let (client, condensed, cfg, lake, date) = round.parts();
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
        tracing::debug!(batch = %id, status = %state.batches[i].status, "batch polled");
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
