//! The OpenHands resolver's `output.jsonl`: one line per issue it tried to
//! resolve (`issue`, `instruction`, `git_patch`, `history`, `success`, `error`,
//! `metrics`), whose `history` holds OpenHands events without ids or
//! timestamps. Each line is a session; the events are mapped as OpenHands'
//! own, calls and observations paired by position.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::{Value, json};

use super::openhands::map_events;
use super::{Collected, attrs, ev, first_json, read_json_lines, s};
use crate::Result;
use crate::format::{EventSink, Format};

/// The resolver's `output.jsonl`.
#[derive(Debug, Default)]
pub struct OpenHandsResolver;

impl Format for OpenHandsResolver {
    fn name(&self) -> &'static str {
        "openhands-resolver"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        if let Some(v) = first_json(head) {
            return v.get("instruction").is_some() && v.get("history").is_some();
        }
        // A first line longer than the head: its keys in the order they are written.
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with("{\"issue\"")
            && text.contains("\"issue_type\"")
            && text.contains("\"instruction\"")
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        read_json_lines(input, sink, |n, v, sink| {
            let Some(history) = v.get("history").and_then(Value::as_array) else {
                sink.quarantine(
                    n,
                    "no `history` array: not a line of the OpenHands resolver's output".into(),
                    &v.to_string(),
                );
                return;
            };
            let issue = v.get("issue").unwrap_or(&Value::Null);
            let name = format!(
                "{}/{}#{}",
                s(issue, "owner").unwrap_or_default(),
                s(issue, "repo").unwrap_or_default(),
                issue.get("number").map_or(n.to_string(), |x| x.to_string())
            );
            // The same issue tried twice in one file is two sessions.
            let k = seen.entry(name.clone()).or_default();
            *k += 1;
            let session = if *k == 1 {
                format!("openhands-resolver:{name}")
            } else {
                format!("openhands-resolver:{name}-{k}")
            };
            let mut out = Collected::default();
            let mut start = ev(&session, "session_start", None);
            start.agent = Some("openhands".into());
            start.attrs = attrs(&[
                ("via", json!("resolver")),
                (
                    "issue_type",
                    v.get("issue_type").cloned().unwrap_or(Value::Null),
                ),
                ("metrics", v.get("metrics").cloned().unwrap_or(Value::Null)),
            ]);
            out.push(start, n);
            // The issue is the request; the resolver's history may hold it too.
            let asks = history.iter().any(|e| {
                e.get("source").and_then(Value::as_str) == Some("user")
                    && e.get("action").and_then(Value::as_str) == Some("message")
            });
            if !asks {
                let mut u = ev(&session, "user_message", None);
                u.text = match (s(issue, "title"), s(issue, "body")) {
                    (Some(t), Some(b)) if !b.trim().is_empty() => Some(format!("{t}\n\n{b}")),
                    (Some(t), _) => Some(t),
                    _ => s(v, "instruction"),
                };
                u.attrs = attrs(&[("via", json!("issue"))]);
                out.push(u, n);
            }
            map_events(&session, history, n, sink, &mut out);
            if let Some(err) = s(v, "error").filter(|e| !e.is_empty()) {
                let mut e = ev(&session, "error", None);
                e.error_type = Some("resolver_error".into());
                e.message = Some(err);
                out.push(e, n);
            }
            let success = v.get("success").and_then(Value::as_bool);
            let mut end = ev(&session, "session_end", None);
            end.status = Some(
                match success {
                    Some(true) => "completed",
                    Some(false) => "abandoned",
                    None => "unknown",
                }
                .into(),
            );
            end.attrs = attrs(&[(
                "result_explanation",
                v.get("result_explanation").cloned().unwrap_or(Value::Null),
            )]);
            out.push(end, n);
            out.emit(sink);
        })
    }
}
