//! Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): the
//! `{timestamp, type, payload}` envelope and the legacy layout of bare items.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    Collected, args_text, attrs, content_text, cut, ev, first_json, is_injected, read_json_lines,
    s, ts,
};
use crate::Result;
use crate::format::{EventSink, Format};

/// Codex CLI's rollout JSONL.
#[derive(Debug, Default)]
pub struct Codex;

impl Format for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn detect(&self, file_name: &str, head: &[u8]) -> bool {
        first_json(head).is_some_and(|v| {
            (v.get("type").and_then(Value::as_str) == Some("session_meta") && v.get("payload").is_some())
                || (v.get("payload").is_some() && v.get("timestamp").is_some() && file_name.starts_with("rollout-"))
                // Legacy: a bare SessionMeta first.
                || (v.get("id").is_some() && v.get("instructions").is_some() && v.get("timestamp").is_some())
        })
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let mut st = State::default();
        read_json_lines(input, sink, |n, v, sink| st.line(n, v, sink))?;
        st.finish(sink);
        Ok(())
    }
}

#[derive(Default)]
struct State {
    out: Collected,
    session: Option<String>,
    /// In a fork, records replayed from the parent before the fork's own turns.
    replaying: bool,
    /// Session of each session_start (index into out).
    start_idx: Option<usize>,
    last_ts: Option<DateTime<Utc>>,
    /// Whether the session logs user turns as `event_msg user_message` (then the
    /// duplicate `response_item` copies are dropped).
    has_event_user: HashMap<String, bool>,
    /// Exit codes reported by `exec_command_end`, by call id.
    exit_codes: HashMap<String, i64>,
}

impl State {
    fn line(&mut self, n: i64, v: &Value, sink: &mut dyn EventSink) {
        if let (Some(t), Some(p)) = (v.get("type").and_then(Value::as_str), v.get("payload")) {
            let at = ts(v, "timestamp");
            if at.is_some() {
                self.last_ts = at;
            }
            self.envelope(n, t, p, at, sink);
        } else if v.get("record_type").is_some() {
            sink.skipped("codex:state");
        } else if v.get("instructions").is_some() && v.get("id").is_some() && self.session.is_none()
        {
            // Legacy SessionMeta: the only timestamp of the file.
            let at = ts(v, "timestamp");
            self.last_ts = at;
            self.start(n, v, at, false);
        } else if let Some(t) = v.get("type").and_then(Value::as_str) {
            let at = self.last_ts;
            self.item(n, t, v, at, sink);
        } else {
            sink.skipped("codex:untyped");
        }
    }

    fn start(&mut self, n: i64, meta: &Value, at: Option<DateTime<Utc>>, fork: bool) {
        let id = s(meta, "id").unwrap_or_else(|| "codex-unknown".into());
        let mut e = ev(&id, "session_start", at);
        e.agent = Some(s(meta, "originator").unwrap_or_else(|| "codex".into()));
        e.agent_version = s(meta, "cli_version");
        e.attrs = attrs(&[
            ("cwd", meta.get("cwd").cloned().unwrap_or(Value::Null)),
            (
                "forked_from_id",
                meta.get("forked_from_id").cloned().unwrap_or(Value::Null),
            ),
            ("source", meta.get("source").cloned().unwrap_or(Value::Null)),
            (
                "model_provider",
                meta.get("model_provider").cloned().unwrap_or(Value::Null),
            ),
        ]);
        self.start_idx = Some(self.out.events.len());
        self.out.push(e, n);
        self.session = Some(id);
        self.replaying = fork;
    }

    fn envelope(
        &mut self,
        n: i64,
        t: &str,
        p: &Value,
        at: Option<DateTime<Utc>>,
        sink: &mut dyn EventSink,
    ) {
        match t {
            "session_meta" => {
                let id = s(p, "id");
                if id.is_some() && id == self.session {
                    return sink.skipped("codex:session_meta");
                }
                // Inside a fork, the parent's meta line is part of the replay.
                if self.replaying {
                    return sink.skipped("codex:fork_replay");
                }
                let fork = p.get("forked_from_id").is_some_and(|f| !f.is_null());
                self.start(n, p, at, fork);
            }
            "turn_context" => {
                // The fork's own turns begin after the replayed history; a turn
                // context stamped after the fork's start ends the replay.
                if self.replaying && self.after_start(at) {
                    self.replaying = false;
                }
                if let (Some(i), Some(m)) = (self.start_idx, s(p, "model"))
                    && self.out.events[i].0.model.is_none()
                {
                    self.out.events[i].0.model = Some(m);
                }
                sink.skipped("codex:turn_context");
            }
            _ if self.replaying && !self.after_start(at) => sink.skipped("codex:fork_replay"),
            "response_item" => {
                let it = p.get("type").and_then(Value::as_str).unwrap_or("");
                self.item(n, it, p, at, sink);
            }
            "event_msg" => self.event_msg(n, p, at, sink),
            "compacted" => {
                let Some(session) = self.session.clone() else {
                    return sink.skipped("codex:compacted");
                };
                let mut e = ev(&session, "other", at);
                e.attrs = attrs(&[("kind", json!("compaction"))]);
                self.out.push(e, n);
            }
            other => sink.skipped(&format!("codex:{other}")),
        }
    }

    /// Whether `at` is more than a second after the current session's start.
    fn after_start(&self, at: Option<DateTime<Utc>>) -> bool {
        let start = self.start_idx.and_then(|i| self.out.events[i].0.ts);
        match (start, at) {
            (Some(s), Some(a)) => (a - s).num_milliseconds() > 1000,
            _ => true,
        }
    }

    fn event_msg(
        &mut self,
        n: i64,
        p: &Value,
        at: Option<DateTime<Utc>>,
        sink: &mut dyn EventSink,
    ) {
        let Some(session) = self.session.clone() else {
            return sink.skipped("codex:event_msg");
        };
        let t = p.get("type").and_then(Value::as_str).unwrap_or("");
        match t {
            "user_message" => {
                self.has_event_user.insert(session.clone(), true);
                let text = s(p, "message").unwrap_or_default();
                if is_injected(&text) || text.trim().is_empty() {
                    return sink.skipped("codex:injected");
                }
                let mut e = ev(&session, "user_message", at);
                e.text = Some(text.trim().to_string());
                e.attrs = attrs(&[("from", json!("event_msg"))]);
                self.out.push(e, n);
            }
            "turn_aborted" => {
                let mut e = ev(&session, "interrupt", at);
                e.attrs = attrs(&[("reason", p.get("reason").cloned().unwrap_or(Value::Null))]);
                self.out.push(e, n);
            }
            "undo_completed" => {
                let mut e = ev(&session, "slash_command", at);
                e.text = Some("/undo".into());
                e.attrs = attrs(&[("success", p.get("success").cloned().unwrap_or(Value::Null))]);
                self.out.push(e, n);
            }
            "exec_command_end" => {
                if let (Some(id), Some(code)) =
                    (s(p, "call_id"), p.get("exit_code").and_then(Value::as_i64))
                {
                    self.exit_codes.insert(id, code);
                }
                sink.skipped("codex:exec_command_end");
            }
            "error" | "stream_error" => {
                let mut e = ev(&session, "error", at);
                e.error_type = Some("api_error".into());
                e.message = s(p, "message");
                self.out.push(e, n);
            }
            other => sink.skipped(&format!("codex:event_msg:{other}")),
        }
    }

    fn item(
        &mut self,
        n: i64,
        t: &str,
        p: &Value,
        at: Option<DateTime<Utc>>,
        sink: &mut dyn EventSink,
    ) {
        let Some(session) = self.session.clone() else {
            return sink.skipped(&format!("codex:{t}"));
        };
        match t {
            "message" => {
                let role = p.get("role").and_then(Value::as_str).unwrap_or("");
                let text = content_text(p.get("content").unwrap_or(&Value::Null));
                match role {
                    "assistant" if !text.trim().is_empty() => {
                        let mut e = ev(&session, "assistant_message", at);
                        e.text = Some(text);
                        e.attrs =
                            attrs(&[("phase", p.get("phase").cloned().unwrap_or(Value::Null))]);
                        self.out.push(e, n);
                    }
                    "user" if !is_injected(&text) && !text.trim().is_empty() => {
                        let mut e = ev(&session, "user_message", at);
                        e.text = Some(text.trim().to_string());
                        e.attrs = attrs(&[("from", json!("response_item"))]);
                        self.out.push(e, n);
                    }
                    _ => sink.skipped(&format!("codex:message:{role}")),
                }
            }
            "function_call" | "custom_tool_call" | "local_shell_call" | "web_search_call" => {
                let mut e = ev(&session, "tool_call", at);
                e.call_id = s(p, "call_id").or_else(|| s(p, "id"));
                e.tool = s(p, "name").or_else(|| Some(t.trim_end_matches("_call").to_string()));
                let a = p
                    .get("arguments")
                    .or_else(|| p.get("input"))
                    .or_else(|| p.get("action"));
                e.args = Some(args_text(a.unwrap_or(&Value::Null)));
                self.out.push(e, n);
            }
            "function_call_output" | "custom_tool_call_output" | "local_shell_call_output" => {
                let raw = p.get("output").unwrap_or(&Value::Null);
                // Outputs are plain text, a JSON string {output, metadata{exit_code}},
                // or an array of text parts.
                let (text, code) = match raw {
                    Value::String(t) => match serde_json::from_str::<Value>(t) {
                        Ok(o @ Value::Object(_)) => (
                            s(&o, "output").unwrap_or_else(|| t.clone()),
                            o.pointer("/metadata/exit_code").and_then(Value::as_i64),
                        ),
                        _ => (t.clone(), None),
                    },
                    other => (content_text(other), None),
                };
                let code = code.or_else(|| exit_code_in(&text));
                let mut e = ev(&session, "tool_result", at);
                e.call_id = s(p, "call_id");
                e.status = Some(status_of(&text, code).into());
                e.output = Some(cut(&text));
                e.attrs = attrs(&[("exit_code", code.map_or(Value::Null, |c| json!(c)))]);
                self.out.push(e, n);
            }
            "reasoning" | "ghost_snapshot" => sink.skipped(&format!("codex:{t}")),
            other => sink.skipped(&format!("codex:{other}")),
        }
    }

    fn finish(mut self, sink: &mut dyn EventSink) {
        // User turns are logged twice in newer rollouts; keep the event_msg copy.
        let has = std::mem::take(&mut self.has_event_user);
        let codes = std::mem::take(&mut self.exit_codes);
        self.out.events.retain(|(e, _)| {
            !(e.kind == "user_message"
                && has.get(&e.session_id).copied().unwrap_or(false)
                && e.attrs
                    .as_deref()
                    .is_some_and(|a| a.contains("\"response_item\"")))
        });
        for (e, _) in &mut self.out.events {
            if e.kind == "tool_result"
                && let Some(code) = e.call_id.as_ref().and_then(|id| codes.get(id))
                && e.status.as_deref() == Some("ok")
                && *code != 0
            {
                e.status = Some("error".into());
            }
        }
        self.out.emit(sink);
    }
}

fn exit_code_in(text: &str) -> Option<i64> {
    let i = text.find("exited with code ")? + "exited with code ".len();
    let digits: String = text[i..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

fn status_of(text: &str, code: Option<i64>) -> &'static str {
    let lower = text.to_lowercase();
    // Codex states a denial or an abort in the first line; file contents further
    // down may contain the same words.
    let head: String = lower
        .trim_start()
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    if head.contains("rejected by user") || head.contains("user denied") {
        "rejected"
    } else if head.starts_with("aborted")
        || head.contains("aborted by user")
        || head.contains("interrupted by user")
    {
        "cancelled"
    } else if code.is_some_and(|c| c != 0)
        || lower.starts_with("script failed")
        || lower.contains("script error:")
        || lower.starts_with("error:")
        || lower.contains("reject command")
    {
        "error"
    } else {
        "ok"
    }
}
