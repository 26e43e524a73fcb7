//! Live hooks: the built-in judge's detectors run inside a coding agent, on the
//! transcript so far plus the prompt the user just submitted, so that a
//! rephrasing cascade or context churn is caught while it is under way — and the
//! agent is asked to stop and ask a clarifying question (Factory's *proactive
//! clarification*) instead of the user giving up.
//!
//! `signals hook claude-code` reads Claude Code's `UserPromptSubmit` hook input
//! (`session_id`, `transcript_path`, `prompt`) on stdin and, when it finds
//! friction, prints the hook's JSON output with `additionalContext`. It never
//! quotes the user, prints nothing when nothing is found, and a failure of its
//! own never blocks the prompt (the CLI exits 0 whatever happens here).

use std::io::BufReader;

use serde::Deserialize;
use serde_json::json;
use signals_ingest::adapters::claude_code::ClaudeCode;
use signals_ingest::format::{EventSink, Format};
use signals_judge::{FrictionParams, FrictionType, Session};

/// Errors of a hook (reported on stderr by the CLI, never to the agent).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The intervention could not be logged to the lake.
    #[error("logging the intervention: {0}")]
    Log(#[from] signals_lake::Error),
    /// Its row could not be built.
    #[error("logging the intervention: {0}")]
    Row(#[from] arrow::error::ArrowError),
    /// The hook input is not the JSON the agent sends.
    #[error("hook input is not valid JSON: {0}")]
    Input(#[from] serde_json::Error),
    /// The transcript could not be read.
    #[error("reading the transcript {path}: {reason}")]
    Transcript {
        /// The transcript's path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Result alias of the hook crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Claude Code's hook input (the fields this hook reads).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClaudeCodeInput {
    /// The session.
    #[serde(default)]
    pub session_id: String,
    /// The session's transcript (JSONL).
    #[serde(default)]
    pub transcript_path: Option<String>,
    /// The event (`UserPromptSubmit`; other events are left alone).
    #[serde(default)]
    pub hook_event_name: Option<String>,
    /// The prompt just submitted.
    #[serde(default)]
    pub prompt: Option<String>,
}

/// What the hook tells the agent, per friction type (pipeline parameters
/// `hook_cascade_message` and `hook_churn_message`).
#[derive(Debug, Clone)]
pub struct Messages {
    /// When the user is restating the same request.
    pub cascade: String,
    /// When the same context keeps being added and removed.
    pub churn: String,
}

/// An intervention the hook makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Intervention {
    /// The session.
    pub session_id: String,
    /// What was found under way.
    pub friction_type: FrictionType,
    /// The hook's JSON output (one line).
    pub output: String,
}

/// Record an intervention in the lake's `interventions` table (a file of its own
/// in today's partition: hooks of concurrent sessions never collide).
pub async fn log(
    lake: &signals_lake::Lake,
    agent: &str,
    i: &Intervention,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use std::sync::Arc;

    use arrow::array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    let def = signals_lake::schema::interventions();
    let batch = RecordBatch::try_new(
        def.file_schema(),
        vec![
            Arc::new(StringArray::from(vec![i.session_id.as_str()])),
            Arc::new(StringArray::from(vec![agent])),
            Arc::new(StringArray::from(vec![i.friction_type.id()])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![at.timestamp_micros()]).with_timezone("UTC"),
            ),
        ],
    )?;
    // Unique per process and moment; the session id is not a safe file name.
    let name = format!(
        "{}-{}-{}",
        at.format("%H%M%S%6f"),
        std::process::id(),
        signals_lake::fnv1a(&i.session_id)
    );
    lake.append_to_partition(&def, at.date_naive(), &name, &batch)
        .await?;
    Ok(())
}

/// Collects a transcript's events.
#[derive(Default)]
struct Collect {
    events: Vec<signals_ingest::model::Event>,
}

impl EventSink for Collect {
    fn event(&mut self, event: signals_ingest::model::Event, _line: i64) {
        self.events.push(event);
    }
    fn quarantine(&mut self, _line: i64, _reason: String, _raw: &str) {}
    fn skipped(&mut self, _record_type: &str) {}
}

/// The judge's view of one session's events, numbered in order as the ingest
/// numbers them (a given `seq`, else the next one).
fn session(id: &str, events: Vec<signals_ingest::model::Event>) -> Session {
    let mut next = 0i64;
    let mut last_ts = None;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let seq = e.seq.unwrap_or(next);
        next = next.max(seq + 1);
        let ts = e.ts.map(|t| t.timestamp_micros()).or(last_ts);
        last_ts = ts;
        out.push(signals_judge::Event {
            seq,
            ts,
            kind: e.kind,
            text: e.text,
            call_id: e.call_id,
            tool: e.tool,
            args: e.args,
            status: e.status,
            output: e.output,
            path: e.path,
            error_type: e.error_type,
            message: e.message,
        });
    }
    out.sort_by_key(|e| e.seq);
    Session {
        id: id.to_string(),
        events: out,
    }
}

/// Run the detectors (with the pipeline's settings, `params`) for Claude Code's
/// `UserPromptSubmit`: `None` when nothing is under way (or the input is another
/// event).
pub fn claude_code(
    input: &str,
    messages: &Messages,
    params: &FrictionParams,
) -> Result<Option<Intervention>> {
    let input: ClaudeCodeInput = serde_json::from_str(input)?;
    if input
        .hook_event_name
        .as_deref()
        .is_some_and(|e| e != "UserPromptSubmit")
    {
        return Ok(None);
    }
    let Some(prompt) = input.prompt.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let mut collect = Collect::default();
    if let Some(path) = input.transcript_path.as_deref().filter(|p| !p.is_empty()) {
        match std::fs::File::open(path) {
            Ok(f) => ClaudeCode
                .read(&mut BufReader::new(f), &mut collect)
                .map_err(|e| Error::Transcript {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?,
            // A new session's transcript may not exist yet.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Transcript {
                    path: path.to_string(),
                    reason: e.to_string(),
                });
            }
        }
    }
    // The main session's events (subagents are sessions of their own).
    let mine: Vec<_> = collect
        .events
        .into_iter()
        .filter(|e| input.session_id.is_empty() || e.session_id == input.session_id)
        .collect();
    let mut s = session(&input.session_id, mine);
    let previous_turn = s.user_turns().last().map_or(-1, |e| e.seq);
    let seq = s.events.last().map_or(0, |e| e.seq + 1);
    s.events.push(signals_judge::Event {
        seq,
        ts: Some(chrono::Utc::now().timestamp_micros()),
        kind: "user_message".into(),
        text: Some(prompt.to_string()),
        ..Default::default()
    });
    let moments = signals_judge::friction::under_way(&s, params);
    // Under way: a cascade that the new prompt continues, or churn since the
    // user last spoke.
    let found = moments.iter().find_map(|m| match m.friction_type {
        FrictionType::RephrasingCascade if m.last_seq == seq => Some(m.friction_type),
        FrictionType::ContextChurn if m.last_seq > previous_turn => Some(m.friction_type),
        _ => None,
    });
    Ok(found.map(|t| {
        let text = match t {
            FrictionType::ContextChurn => &messages.churn,
            _ => &messages.cascade,
        };
        Intervention {
            session_id: input.session_id.clone(),
            friction_type: t,
            output: json!({
                "hookSpecificOutput": {
                    "hookEventName": "UserPromptSubmit",
                    "additionalContext": text,
                }
            })
            .to_string(),
        }
    }))
}
