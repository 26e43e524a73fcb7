//! Claude Code project logs (`~/.claude/projects/<project>/<session>.jsonl`, and
//! subagent files `agent-*.jsonl`).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use serde_json::{Value, json};

use super::{
    Collected, args_text, attrs, command_markup, content_text, cut, ev, first_json, is_injected,
    read_json_lines, s, strip_reminders, ts,
};
use crate::Result;
use crate::format::{EventSink, Format};

/// Claude Code's JSONL transcript.
#[derive(Debug, Default)]
pub struct ClaudeCode;

const INTERRUPT: &str = "[Request interrupted by user";
const REJECTED: &str = "The user doesn't want to proceed with this tool use";
const REASON: &str = "the user said:\n";

impl Format for ClaudeCode {
    fn name(&self) -> &'static str {
        "claude-code"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        first_json(head).is_some_and(|v| {
            v.get("type").is_some()
                && v.get("payload").is_none()
                && (v.get("sessionId").is_some()
                    || v.get("leafUuid").is_some()
                    || v.get("messageId").is_some())
        })
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let mut st = State::default();
        read_json_lines(input, sink, |n, v, sink| st.record(n, v, sink))?;
        st.finish(sink);
        Ok(())
    }
}

#[derive(Default)]
struct State {
    out: Collected,
    /// session -> index of its session_start in `out`
    starts: HashMap<String, usize>,
    models: HashMap<String, String>,
    usage_seen: HashSet<String>,
}

impl State {
    fn record(&mut self, n: i64, v: &Value, sink: &mut dyn EventSink) {
        let rtype = v.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(base) = s(v, "sessionId") else {
            sink.skipped(&format!(
                "claude-code:{}",
                if rtype.is_empty() { "untyped" } else { rtype }
            ));
            return;
        };
        // Subagent (sidechain) records form their own session, linked to the parent.
        let sidechain = v
            .get("isSidechain")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let session = if sidechain {
            format!(
                "{base}:agent-{}",
                s(v, "agentId").unwrap_or_else(|| "sidechain".into())
            )
        } else {
            base.clone()
        };
        let at = ts(v, "timestamp");
        if !self.starts.contains_key(&session)
            && matches!(rtype, "user" | "assistant" | "system" | "attachment")
        {
            let mut e = ev(&session, "session_start", at);
            e.agent = Some("claude-code".into());
            e.agent_version = s(v, "version");
            e.attrs = attrs(&[
                ("cwd", v.get("cwd").cloned().unwrap_or(Value::Null)),
                (
                    "git_branch",
                    v.get("gitBranch").cloned().unwrap_or(Value::Null),
                ),
                (
                    "entrypoint",
                    v.get("entrypoint").cloned().unwrap_or(Value::Null),
                ),
                (
                    "parent_session",
                    if sidechain { json!(base) } else { Value::Null },
                ),
            ]);
            self.starts.insert(session.clone(), self.out.events.len());
            self.out.push(e, n);
        }
        match rtype {
            "user" => self.user(n, v, &session, at, sink),
            "assistant" => self.assistant(n, v, &session, at),
            "system" => match v.get("subtype").and_then(Value::as_str).unwrap_or("") {
                "compact_boundary" => {
                    let mut e = ev(&session, "other", at);
                    let meta = v.get("compactMetadata").cloned().unwrap_or(Value::Null);
                    e.attrs = attrs(&[("kind", json!("compaction")), ("compact", meta)]);
                    self.out.push(e, n);
                }
                sub => sink.skipped(&format!("claude-code:system:{sub}")),
            },
            "attachment" => {
                let a = v.get("attachment").unwrap_or(&Value::Null);
                match (a.get("type").and_then(Value::as_str), s(a, "filename")) {
                    (Some("file"), Some(path)) => {
                        let mut e = ev(&session, "context_add", at);
                        e.path = Some(path);
                        e.attrs = attrs(&[("via", json!("attachment"))]);
                        self.out.push(e, n);
                    }
                    (t, _) => sink.skipped(&format!("claude-code:attachment:{}", t.unwrap_or("?"))),
                }
            }
            other => sink.skipped(&format!("claude-code:{other}")),
        }
    }

    fn user(
        &mut self,
        n: i64,
        v: &Value,
        session: &str,
        at: Option<chrono::DateTime<chrono::Utc>>,
        sink: &mut dyn EventSink,
    ) {
        let content = v.pointer("/message/content").unwrap_or(&Value::Null);
        if v.get("isCompactSummary").and_then(Value::as_bool) == Some(true) {
            sink.skipped("claude-code:compact-summary");
            return;
        }
        let meta = v.get("isMeta").and_then(Value::as_bool) == Some(true);
        let blocks: Vec<Value> = match content {
            Value::String(t) => vec![json!({"type": "text", "text": t})],
            Value::Array(a) => a.clone(),
            _ => Vec::new(),
        };
        for b in &blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let text = b.get("text").and_then(Value::as_str).unwrap_or("");
                    self.user_text(n, session, at, text, meta, sink);
                }
                Some("tool_result") => {
                    let body = content_text(b.get("content").unwrap_or(&Value::Null));
                    let is_error = b.get("is_error").and_then(Value::as_bool).unwrap_or(false);
                    let tur = v.get("toolUseResult");
                    let rejected = body.contains(REJECTED)
                        || tur.and_then(Value::as_str) == Some("User rejected tool use")
                        || v.get("toolDenialKind").and_then(Value::as_str) == Some("user-rejected");
                    let status = if rejected {
                        "rejected"
                    } else if body.contains(INTERRUPT)
                        || tur
                            .and_then(|t| t.get("interrupted"))
                            .and_then(Value::as_bool)
                            == Some(true)
                    {
                        "cancelled"
                    } else if is_error {
                        "error"
                    } else {
                        "ok"
                    };
                    let mut e = ev(session, "tool_result", at);
                    e.call_id = s(b, "tool_use_id");
                    e.status = Some(status.into());
                    e.output = Some(cut(&body));
                    e.attrs = attrs(&[(
                        "user_modified",
                        tur.and_then(|t| t.get("userModified"))
                            .cloned()
                            .unwrap_or(Value::Null),
                    )]);
                    self.out.push(e, n);
                    // The reason a user gives when declining is a turn they typed.
                    if rejected && let Some(i) = body.find(REASON) {
                        let reason = body[i + REASON.len()..].trim();
                        if !reason.is_empty() {
                            let mut e = ev(session, "user_message", at);
                            e.text = Some(reason.to_string());
                            e.attrs = attrs(&[("via", json!("rejection_reason"))]);
                            self.out.push(e, n);
                        }
                    }
                }
                Some(other) => sink.skipped(&format!("claude-code:user:{other}")),
                None => sink.skipped("claude-code:user:untyped"),
            }
        }
    }

    fn user_text(
        &mut self,
        n: i64,
        session: &str,
        at: Option<chrono::DateTime<chrono::Utc>>,
        text: &str,
        meta: bool,
        sink: &mut dyn EventSink,
    ) {
        let t = text.trim();
        if t.starts_with(INTERRUPT) {
            let mut e = ev(session, "interrupt", at);
            e.attrs = attrs(&[("during_tool_use", json!(t.contains("for tool use")))]);
            self.out.push(e, n);
        } else if let Some(cmd) = command_markup(t) {
            let mut e = ev(session, "slash_command", at);
            e.text = Some(cmd);
            self.out.push(e, n);
        } else if meta || is_injected(t) {
            sink.skipped("claude-code:injected");
        } else {
            let clean = strip_reminders(t);
            if clean.is_empty() {
                sink.skipped("claude-code:injected");
                return;
            }
            let mut e = ev(session, "user_message", at);
            e.text = Some(clean);
            self.out.push(e, n);
        }
    }

    fn assistant(
        &mut self,
        n: i64,
        v: &Value,
        session: &str,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        let msg = v.get("message").unwrap_or(&Value::Null);
        if let Some(m) = s(msg, "model").filter(|m| m != "<synthetic>") {
            self.models.entry(session.to_string()).or_insert(m);
        }
        // One line per content block, all with the same message id: usage once.
        let usage = match s(msg, "id") {
            Some(id) if self.usage_seen.insert(id.clone()) => {
                msg.get("usage").cloned().unwrap_or(Value::Null)
            }
            _ => Value::Null,
        };
        let mut usage = Some(usage);
        let api_error = v.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true);
        let blocks = msg
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for b in &blocks {
            let mut e = match b.get("type").and_then(Value::as_str) {
                Some("text") if api_error => {
                    let mut e = ev(session, "error", at);
                    e.error_type = Some("api_error".into());
                    e.message = s(b, "text");
                    e
                }
                Some("text") => {
                    let mut e = ev(session, "assistant_message", at);
                    e.text = s(b, "text");
                    e
                }
                Some("tool_use") => {
                    let mut e = ev(session, "tool_call", at);
                    e.call_id = s(b, "id");
                    e.tool = s(b, "name");
                    e.args = Some(args_text(b.get("input").unwrap_or(&Value::Null)));
                    e
                }
                // Thinking is the model's scratchpad, not something the user saw.
                _ => continue,
            };
            e.attrs = attrs(&[
                ("message_id", msg.get("id").cloned().unwrap_or(Value::Null)),
                ("usage", usage.take().unwrap_or(Value::Null)),
                (
                    "stop_reason",
                    msg.get("stop_reason").cloned().unwrap_or(Value::Null),
                ),
            ]);
            self.out.push(e, n);
        }
    }

    fn finish(mut self, sink: &mut dyn EventSink) {
        for (session, i) in &self.starts {
            if let Some(m) = self.models.get(session) {
                self.out.events[*i].0.model = Some(m.clone());
            }
        }
        self.out.emit(sink);
    }
}
