//! OpenHands V1 (the software-agent SDK) conversation folders:
//! `<conversation>/base_state.json` and `<conversation>/events/event-NNNNN-<id>.json`,
//! one event per file, each with a `kind` (`MessageEvent`, `ActionEvent`,
//! `ObservationEvent`, `UserRejectObservation`, `AgentErrorEvent`, `PauseEvent`,
//! ...). Every file names its conversation by its folder, and an event's number
//! in its file name is its `seq`, so the files can be read in any order (or
//! again) and still make one session in order.

use std::io::BufRead;

use serde_json::{Value, json};

use super::{Collected, args_text, attrs, content_text, cut, ev, read_all, s, ts};
use crate::Result;
use crate::format::{EventSink, Format};

/// An OpenHands V1 conversation's files.
#[derive(Debug, Default)]
pub struct OpenHandsV1;

/// Event kinds of the SDK that mark a file as a V1 event.
const KINDS: &[&str] = &[
    "MessageEvent",
    "ActionEvent",
    "ObservationEvent",
    "UserRejectObservation",
    "AgentErrorEvent",
    "PauseEvent",
    "SystemPromptEvent",
    "ConversationStateUpdateEvent",
    "Condensation",
    "CondensationRequest",
    "CondensationSummaryEvent",
];

/// The conversation a file belongs to: the folder holding `base_state.json`,
/// or the folder above `events/`.
fn conversation(source: &str) -> String {
    let parts: Vec<&str> = source.split(['/', '\\']).collect();
    let n = parts.len();
    let name = if n >= 3 && parts[n - 2] == "events" {
        parts[n - 3]
    } else if n >= 2 {
        parts[n - 2]
    } else {
        "stdin"
    };
    format!("openhands:{name}")
}

/// The event's number from `event-00012-<id>.json`.
fn number(source: &str) -> Option<i64> {
    let file = source.rsplit(['/', '\\']).next()?;
    file.strip_prefix("event-")?
        .split(['-', '.'])
        .next()?
        .parse()
        .ok()
}

impl Format for OpenHandsV1 {
    fn name(&self) -> &'static str {
        "openhands-v1"
    }

    fn detect(&self, file_name: &str, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        if !text.trim_start().starts_with('{') {
            return false;
        }
        if file_name == "base_state.json" {
            return text.contains("\"execution_status\"") || text.contains("\"agent\"");
        }
        file_name.starts_with("event-")
            && KINDS.iter().any(|k| {
                text.contains(&format!("\"kind\": \"{k}\""))
                    || text.contains(&format!("\"kind\":\"{k}\""))
            })
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let text = read_all(input)?;
        let v: Value = match serde_json::from_str(&text) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) | Err(_) => {
                sink.quarantine(
                    1,
                    "not a JSON object: an OpenHands V1 event or base_state.json cut short".into(),
                    &text,
                );
                return Ok(());
            }
        };
        let source = sink.source().to_string();
        let session = conversation(&source);
        let mut out = Collected::default();
        if source.ends_with("base_state.json") {
            // The conversation's start (seq 0) and, once it ended, its end.
            let mut start = ev(&session, "session_start", None);
            start.seq = Some(0);
            start.agent = Some("openhands".into());
            start.model = v
                .pointer("/agent/llm/model")
                .and_then(Value::as_str)
                .map(str::to_string);
            start.attrs = attrs(&[("sdk", json!("v1"))]);
            out.push(start, 1);
            let status = s(&v, "execution_status").unwrap_or_default();
            let end = match status.as_str() {
                "finished" => Some("completed"),
                "error" | "stuck" => Some("abandoned"),
                _ => None,
            };
            if let Some(end) = end {
                let mut e = ev(&session, "session_end", None);
                // After any event the folder can hold.
                e.seq = Some(i64::from(i32::MAX));
                e.status = Some(end.into());
                e.attrs = attrs(&[("execution_status", json!(status))]);
                out.push(e, 1);
            }
            out.emit(sink);
            return Ok(());
        }
        let Some(n) = number(&source) else {
            sink.quarantine(
                1,
                "an OpenHands V1 event file not named event-NNNNN-<id>.json: its place in the conversation is unknown".into(),
                "",
            );
            return Ok(());
        };
        let seq = Some(n + 1);
        let at = ts(&v, "timestamp");
        let kind = s(&v, "kind").unwrap_or_default();
        let src = s(&v, "source").unwrap_or_default();
        let call_id = s(&v, "tool_call_id").or_else(|| s(&v, "action_id"));
        let mut push = |mut e: crate::model::Event| {
            e.seq = seq;
            out.push(e, 1);
        };
        match kind.as_str() {
            "MessageEvent" => {
                let text = content_text(v.pointer("/llm_message/content").unwrap_or(&Value::Null));
                let kind = if src == "user" {
                    "user_message"
                } else {
                    "assistant_message"
                };
                let mut e = ev(&session, kind, at);
                e.text = Some(text);
                push(e);
            }
            "ActionEvent" => {
                let action = v.get("action").unwrap_or(&Value::Null);
                let mut e = ev(&session, "tool_call", at);
                e.call_id = call_id;
                e.tool = s(&v, "tool_name").or_else(|| s(action, "kind"));
                let mut a = action.clone();
                if let Some(o) = a.as_object_mut() {
                    o.remove("kind");
                }
                e.args = Some(args_text(&a));
                e.attrs = attrs(&[(
                    "thought",
                    json!(content_text(v.get("thought").unwrap_or(&Value::Null))),
                )]);
                push(e);
            }
            "ObservationEvent" => {
                let o = v.get("observation").unwrap_or(&Value::Null);
                let output = o
                    .get("content")
                    .map(content_text)
                    .filter(|t| !t.is_empty())
                    .or_else(|| s(o, "output"))
                    .unwrap_or_default();
                let code = o
                    .get("exit_code")
                    .or_else(|| o.pointer("/metadata/exit_code"))
                    .and_then(Value::as_i64);
                let failed = o.get("is_error").and_then(Value::as_bool) == Some(true)
                    || o.get("error")
                        .is_some_and(|e| !e.is_null() && e != &json!(false))
                    || code.is_some_and(|c| c != 0);
                let mut e = ev(&session, "tool_result", at);
                e.call_id = call_id;
                e.status = Some(if failed { "error" } else { "ok" }.into());
                e.output = Some(cut(&output));
                e.attrs = attrs(&[("exit_code", code.map_or(Value::Null, |c| json!(c)))]);
                push(e);
            }
            "UserRejectObservation" => {
                let mut e = ev(&session, "tool_result", at);
                e.call_id = call_id;
                e.status = Some("rejected".into());
                e.attrs = attrs(&[(
                    "rejection_reason",
                    v.get("rejection_reason").cloned().unwrap_or(Value::Null),
                )]);
                push(e);
            }
            "AgentErrorEvent" => {
                let mut e = ev(&session, "error", at);
                e.error_type = Some("agent_error".into());
                e.message = s(&v, "error");
                push(e);
            }
            "PauseEvent" => push(ev(&session, "interrupt", at)),
            other => sink.skipped(&format!("openhands-v1:{other}")),
        }
        out.emit(sink);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_name_their_conversation_and_place() {
        assert_eq!(
            conversation("/data/convs/4f2a9c/events/event-00012-9b1e.json"),
            "openhands:4f2a9c"
        );
        assert_eq!(
            conversation("convs/4f2a9c/base_state.json"),
            "openhands:4f2a9c"
        );
        assert_eq!(number("x/events/event-00012-9b1e.json"), Some(12));
        assert_eq!(number("x/events/notes.json"), None);
    }
}
