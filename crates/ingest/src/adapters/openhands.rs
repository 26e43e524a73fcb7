//! OpenHands (V0) event streams: the trajectory export (a JSON array of events) or
//! one event per file (`sessions/<sid>/events/<id>.json`).

use std::io::BufRead;

use serde_json::{Value, json};

use super::{Collected, args_text, attrs, cut, ev, read_all, s, ts};
use crate::Result;
use crate::format::{EventSink, Format};

/// OpenHands' event-stream JSON.
#[derive(Debug, Default)]
pub struct OpenHands;

impl Format for OpenHands {
    fn name(&self) -> &'static str {
        "openhands"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let t = text.trim_start();
        (t.starts_with('[') || t.starts_with('{'))
            && text.contains("\"source\"")
            && (text.contains("\"action\"") || text.contains("\"observation\""))
            && text.contains("\"timestamp\"")
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let text = read_all(input)?;
        let events: Vec<Value> = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(a)) => a,
            Ok(o @ Value::Object(_)) => vec![o],
            Ok(_) => {
                sink.quarantine(1, "expected a JSON array of OpenHands events".into(), &text);
                return Ok(());
            }
            Err(e) => {
                sink.quarantine(
                    e.line() as i64,
                    format!(
                        "not valid JSON ({e}); an export cut short cannot be read — export it again"
                    ),
                    &text,
                );
                return Ok(());
            }
        };
        // The export has no session id: the source file names the session.
        let session = format!(
            "openhands:{}",
            sink.source().rsplit('/').next().unwrap_or("stdin")
        );
        let mut out = Collected::default();
        let mut start = ev(
            &session,
            "session_start",
            events.first().and_then(|e| ts(e, "timestamp")),
        );
        start.agent = Some("openhands".into());
        out.push(start, 1);
        map_events(&session, &events, 0, sink, &mut out);
        out.emit(sink);
        Ok(())
    }
}

/// Map OpenHands events onto interchange events of `session`. `line` is the
/// record the events came from (0: their positions are the records).
pub(crate) fn map_events(
    session: &str,
    events: &[Value],
    line: i64,
    sink: &mut dyn EventSink,
    out: &mut Collected,
) {
    // Events without ids (the resolver's output): a call gets the id of its
    // position, and an observation without a cause answers the open call.
    let mut open: Option<String> = None;
    for (i, e) in events.iter().enumerate() {
        let n = if line > 0 { line } else { i as i64 + 1 };
        let at = ts(e, "timestamp");
        let src = e.get("source").and_then(Value::as_str).unwrap_or("");
        let id = e
            .get("id")
            .map(|v| v.to_string())
            .unwrap_or_else(|| format!("step-{}", i + 1));
        if let Some(action) = e.get("action").and_then(Value::as_str) {
            let args = e.get("args").unwrap_or(&Value::Null);
            match (src, action) {
                ("user", "message") => {
                    let mut x = ev(session, "user_message", at);
                    x.text = s(args, "content").or_else(|| s(e, "message"));
                    out.push(x, n);
                }
                ("agent", "message") | ("agent", "finish") => {
                    let mut x = ev(session, "assistant_message", at);
                    x.text = s(args, "content")
                        .or_else(|| s(args, "final_thought"))
                        .or_else(|| s(e, "message"));
                    out.push(x, n);
                }
                ("user", "reject") | ("user", "pause") | ("user", "stop") => {
                    let mut x = ev(session, "interrupt", at);
                    x.attrs = attrs(&[("action", json!(action))]);
                    out.push(x, n);
                }
                (
                    "agent",
                    "change_agent_state" | "condensation" | "recall" | "think" | "system",
                )
                | ("environment", _) => {
                    sink.skipped(&format!("openhands:action:{action}"));
                }
                (_, a) => {
                    let mut x = ev(session, "tool_call", at);
                    open = Some(id.clone());
                    x.call_id = Some(id);
                    x.tool = Some(a.to_string());
                    let mut a = args.clone();
                    if let Some(o) = a.as_object_mut() {
                        o.remove("thought");
                    }
                    x.args = Some(args_text(&a));
                    x.attrs = attrs(&[(
                        "confirmation_state",
                        args.get("confirmation_state")
                            .cloned()
                            .unwrap_or(Value::Null),
                    )]);
                    out.push(x, n);
                }
            }
        } else if let Some(obs) = e.get("observation").and_then(Value::as_str) {
            let extras = e.get("extras").unwrap_or(&Value::Null);
            let cause = e
                .get("cause")
                .filter(|c| !c.is_null())
                .map(|v| v.to_string())
                .or_else(|| {
                    // Without ids, an observation of a tool answers the open call.
                    (e.get("id").is_none()
                        && !matches!(obs, "null" | "agent_state_changed" | "error"))
                    .then(|| open.take())
                    .flatten()
                });
            match obs {
                "null" => sink.skipped("openhands:observation:null"),
                "agent_state_changed" => match extras.get("agent_state").and_then(Value::as_str) {
                    Some("error") => {
                        let mut x = ev(session, "error", at);
                        x.error_type = Some("agent_error".into());
                        x.message = s(e, "message").filter(|m| !m.is_empty());
                        out.push(x, n);
                    }
                    Some("paused" | "stopped") if src == "user" || src == "environment" => {
                        out.push(ev(session, "interrupt", at), n);
                    }
                    _ => sink.skipped("openhands:agent_state_changed"),
                },
                _ if cause.is_some() => {
                    let code = extras
                        .pointer("/metadata/exit_code")
                        .and_then(Value::as_i64);
                    let status = match obs {
                        "user_rejected" => "rejected",
                        "error" => "error",
                        _ if code.is_some_and(|c| c != 0) => "error",
                        _ if e.get("success").and_then(Value::as_bool) == Some(false) => "error",
                        _ => "ok",
                    };
                    let mut x = ev(session, "tool_result", at);
                    x.call_id = cause;
                    x.status = Some(status.into());
                    x.output = s(e, "content").or_else(|| s(e, "message")).map(|t| cut(&t));
                    x.attrs = attrs(&[("exit_code", code.map_or(Value::Null, |c| json!(c)))]);
                    out.push(x, n);
                }
                "error" => {
                    let mut x = ev(session, "error", at);
                    x.error_type = Some("agent_error".into());
                    x.message = s(e, "message");
                    out.push(x, n);
                }
                other => sink.skipped(&format!("openhands:observation:{other}")),
            }
        } else {
            sink.skipped("openhands:untyped");
        }
    }
}
