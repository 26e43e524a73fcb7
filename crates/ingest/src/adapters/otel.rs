//! OpenTelemetry in: OTLP JSON Lines, the format of the OpenTelemetry Collector's
//! file exporter (one `ExportTraceServiceRequest` — `resourceSpans` — or
//! `ExportLogsServiceRequest` — `resourceLogs` — per line), read with the
//! maintained OTLP types of `opentelemetry-proto`.
//!
//! What becomes a session event (docs/formats.md has the table and the sources):
//! - spans of the GenAI semantic conventions: the session is
//!   `gen_ai.conversation.id`; `invoke_agent` starts it (agent, model);
//!   `execute_tool` is a tool call and its result (error when the span's status
//!   is an error); `gen_ai.input.messages` / `gen_ai.output.messages` (JSON text
//!   or structured values) give the user's and the assistant's turns — a chat
//!   span repeats the conversation so far, so only user turns not seen before in
//!   the session are new; the older `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`
//!   attributes likewise;
//! - spans of OpenInference: `session.id`, `llm.input_messages.N.message.*` /
//!   `llm.output_messages.N.message.*`, and TOOL spans (`tool.name`,
//!   `input.value`, `output.value`);
//! - log events of Claude Code (`claude_code.user_prompt`, `tool_decision`,
//!   `tool_result`, `api_error`; session `session.id`) and of Codex (`codex.*`;
//!   session `conversation.id`).
//!
//! Events are ordered by time within a session (exporters write a parent span
//! after its children).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::{Value, json};

use super::{attrs, ev, first_json};
use crate::Result;
use crate::format::{EventSink, Format, read_lines};
use crate::model::Event;

/// OTLP JSON Lines (`--format otel`).
pub struct Otel;

impl Format for Otel {
    fn name(&self) -> &'static str {
        "otel"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        first_json(head)
            .is_some_and(|v| v.get("resourceSpans").is_some() || v.get("resourceLogs").is_some())
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let mut st = State::default();
        read_lines(input, sink, |n, line, sink| st.line(n, line, sink))?;
        st.finish(sink);
        Ok(())
    }
}

/// An attribute value as JSON (strings stay strings; arrays and maps nest).
fn value(v: &AnyValue) -> Value {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::BoolValue(b)) => json!(b),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(d)) => json!(d),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(value).collect()),
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .map(|k| (k.key.clone(), k.value.as_ref().map_or(Value::Null, value)))
                .collect(),
        ),
        Some(any_value::Value::BytesValue(b)) => json!(b.len()),
        None => Value::Null,
    }
}

fn attributes(kvs: &[KeyValue]) -> HashMap<&str, Value> {
    kvs.iter()
        .map(|k| (k.key.as_str(), k.value.as_ref().map_or(Value::Null, value)))
        .collect()
}

fn text(a: &HashMap<&str, Value>, key: &str) -> Option<String> {
    match a.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn nanos(t: u64) -> Option<DateTime<Utc>> {
    (t > 0).then(|| DateTime::from_timestamp_nanos(t as i64))
}

/// Messages given as a JSON string or as a structured value.
fn messages(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default(),
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// A message's text: its `content` (a string), or its text parts.
fn message_text(m: &Value) -> Option<String> {
    if let Some(s) = m.get("content").and_then(Value::as_str) {
        return Some(s.to_string());
    }
    let parts: Vec<&str> = m
        .get("parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|p| p.get("content").and_then(Value::as_str))
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// `prefix.N.suffix` attributes as messages (role, content), in N order.
fn indexed(a: &HashMap<&str, Value>, prefix: &str, role: &str, content: &str) -> Vec<Value> {
    let mut by: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
    for (k, v) in a {
        let Some(rest) = k.strip_prefix(prefix) else {
            continue;
        };
        let Some((n, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        let s = v.as_str().map(str::to_string);
        let e = by.entry(n).or_default();
        if field == role {
            e.0 = s;
        } else if field == content {
            e.1 = s;
        }
    }
    by.into_values()
        .filter_map(|(r, c)| Some(json!({"role": r?, "content": c?})))
        .collect()
}

/// An event with what orders it: (session, time, record number, order read).
type Placed = (String, Option<DateTime<Utc>>, i64, usize, Event);

#[derive(Default)]
struct State {
    events: Vec<Placed>,
    /// User turns already seen per session (chat spans repeat the history).
    seen_users: HashMap<String, Vec<String>>,
}

impl State {
    fn line(&mut self, n: i64, line: &str, sink: &mut dyn EventSink) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            sink.quarantine(
                n,
                "not valid JSON: each line must be one OTLP export request".into(),
                line,
            );
            return;
        };
        if v.get("resourceSpans").is_some() {
            match serde_json::from_value::<ExportTraceServiceRequest>(v) {
                Ok(r) => self.spans(n, &r, sink),
                Err(e) => sink.quarantine(n, format!("not an OTLP trace export: {e}"), line),
            }
        } else if v.get("resourceLogs").is_some() {
            match serde_json::from_value::<ExportLogsServiceRequest>(v) {
                Ok(r) => self.logs(n, &r, sink),
                Err(e) => sink.quarantine(n, format!("not an OTLP logs export: {e}"), line),
            }
        } else {
            sink.skipped("otel:other-signal");
        }
    }

    fn push(&mut self, session: &str, at: Option<DateTime<Utc>>, n: i64, mut e: Event) {
        e.ts = at;
        let order = self.events.len();
        self.events.push((session.to_string(), at, n, order, e));
    }

    fn spans(&mut self, n: i64, r: &ExportTraceServiceRequest, sink: &mut dyn EventSink) {
        for rs in &r.resource_spans {
            let res = rs
                .resource
                .as_ref()
                .map(|r| attributes(&r.attributes))
                .unwrap_or_default();
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    self.span(n, span, &res, sink);
                }
            }
        }
    }

    fn span(&mut self, n: i64, span: &Span, res: &HashMap<&str, Value>, sink: &mut dyn EventSink) {
        let a = attributes(&span.attributes);
        let session = text(&a, "gen_ai.conversation.id")
            .or_else(|| text(&a, "session.id"))
            .or_else(|| text(res, "gen_ai.conversation.id"))
            .or_else(|| text(res, "session.id"))
            .unwrap_or_else(|| format!("otel:{}", hex(&span.trace_id)));
        let (start, end) = (
            nanos(span.start_time_unix_nano),
            nanos(span.end_time_unix_nano),
        );
        let op = text(&a, "gen_ai.operation.name").unwrap_or_default();
        let oi_kind = text(&a, "openinference.span.kind").unwrap_or_default();
        let failed = span.status.as_ref().is_some_and(|s| s.code == 2);
        if op == "invoke_agent" || oi_kind == "AGENT" {
            let mut e = ev(&session, "session_start", None);
            e.agent = text(&a, "gen_ai.agent.name").or_else(|| text(res, "service.name"));
            e.model = text(&a, "gen_ai.request.model");
            self.push(&session, start, n, e);
            return;
        }
        if op == "execute_tool" || oi_kind == "TOOL" {
            let id = text(&a, "gen_ai.tool.call.id").unwrap_or_else(|| hex(&span.span_id));
            let mut c = ev(&session, "tool_call", None);
            c.call_id = Some(id.clone());
            c.tool = text(&a, "gen_ai.tool.name").or_else(|| text(&a, "tool.name"));
            c.args = text(&a, "gen_ai.tool.call.arguments").or_else(|| text(&a, "input.value"));
            self.push(&session, start, n, c);
            let mut r = ev(&session, "tool_result", None);
            r.call_id = Some(id);
            r.status = Some(if failed { "error" } else { "ok" }.into());
            r.output = text(&a, "gen_ai.tool.call.result").or_else(|| text(&a, "output.value"));
            if failed {
                r.output = r
                    .output
                    .or_else(|| span.status.as_ref().map(|s| s.message.clone()));
            }
            self.push(&session, end.or(start), n, r);
            return;
        }
        // A model call: the conversation it was sent, and what came back.
        let mut input = messages(a.get("gen_ai.input.messages"));
        if input.is_empty() {
            input = indexed(&a, "gen_ai.prompt.", "role", "content");
        }
        if input.is_empty() {
            input = indexed(&a, "llm.input_messages.", "message.role", "message.content");
        }
        let mut output = messages(a.get("gen_ai.output.messages"));
        if output.is_empty() {
            output = indexed(&a, "gen_ai.completion.", "role", "content");
        }
        if output.is_empty() {
            output = indexed(
                &a,
                "llm.output_messages.",
                "message.role",
                "message.content",
            );
        }
        if input.is_empty() && output.is_empty() {
            sink.skipped("otel:span");
            return;
        }
        let users: Vec<String> = input
            .iter()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .filter_map(message_text)
            .collect();
        let seen = self.seen_users.entry(session.clone()).or_default();
        // The history repeats what earlier calls had: the user turns after it are new.
        let new_from = if users.starts_with(seen) {
            seen.len()
        } else {
            0
        };
        let new: Vec<String> = users[new_from..].to_vec();
        if users.len() > seen.len() || new_from == 0 {
            *seen = users.clone();
        }
        for t in new {
            let mut e = ev(&session, "user_message", None);
            e.text = Some(t);
            self.push(&session, start, n, e);
        }
        for m in &output {
            if let Some(t) = message_text(m) {
                let mut e = ev(&session, "assistant_message", None);
                e.text = Some(t);
                self.push(&session, end.or(start), n, e);
            }
        }
        if failed {
            let mut e = ev(&session, "error", None);
            e.error_type = Some("api_error".into());
            e.message = span.status.as_ref().map(|s| s.message.clone());
            self.push(&session, end.or(start), n, e);
        }
    }

    fn logs(&mut self, n: i64, r: &ExportLogsServiceRequest, sink: &mut dyn EventSink) {
        for rl in &r.resource_logs {
            let res = rl
                .resource
                .as_ref()
                .map(|r| attributes(&r.attributes))
                .unwrap_or_default();
            for sl in &rl.scope_logs {
                for rec in &sl.log_records {
                    let a = attributes(&rec.attributes);
                    // Claude Code names the event in the body (`claude_code.tool_result`)
                    // and, shorter, in `event.name` (`tool_result`); Codex in both.
                    let body = rec
                        .body
                        .as_ref()
                        .and_then(|b| value(b).as_str().map(String::from));
                    let named = text(&a, "event.name");
                    let name = [body, named.clone()]
                        .into_iter()
                        .flatten()
                        .find(|n| n.starts_with("claude_code.") || n.starts_with("codex."))
                        .or(named)
                        .unwrap_or_default();
                    let session = text(&a, "session.id")
                        .or_else(|| text(&a, "conversation.id"))
                        .or_else(|| text(&res, "session.id"))
                        .unwrap_or_default();
                    if session.is_empty() {
                        sink.skipped("otel:log-without-session");
                        continue;
                    }
                    let at = text(&a, "event.timestamp")
                        .and_then(|t| crate::model::parse_ts(&t))
                        .or_else(|| nanos(rec.time_unix_nano))
                        .or_else(|| nanos(rec.observed_time_unix_nano));
                    self.event(n, &name, &session, at, &a, sink);
                }
            }
        }
    }

    /// One Claude Code or Codex log event.
    fn event(
        &mut self,
        n: i64,
        name: &str,
        session: &str,
        at: Option<DateTime<Utc>>,
        a: &HashMap<&str, Value>,
        sink: &mut dyn EventSink,
    ) {
        let short = name
            .strip_prefix("claude_code.")
            .or_else(|| name.strip_prefix("codex."))
            .unwrap_or("");
        let agent = if name.starts_with("codex.") {
            "codex"
        } else {
            "claude-code"
        };
        match short {
            "user_prompt" => {
                // The prompt's text is sent only when the user turned it on
                // (Claude Code: OTEL_LOG_USER_PROMPTS=1); a turn is a turn anyway.
                let mut e = ev(session, "user_message", None);
                e.text = text(a, "prompt").filter(|t| t != "<REDACTED>");
                e.attrs = attrs(&[
                    ("source", json!(agent)),
                    (
                        "prompt_length",
                        a.get("prompt_length").cloned().unwrap_or(Value::Null),
                    ),
                ]);
                self.push(session, at, n, e);
            }
            "tool_decision" => {
                let decision = text(a, "decision").unwrap_or_default().to_lowercase();
                if matches!(decision.as_str(), "reject" | "denied" | "abort") {
                    let id = text(a, "call_id")
                        .unwrap_or_else(|| format!("otel-{n}-{}", self.events.len()));
                    let mut c = ev(session, "tool_call", None);
                    c.call_id = Some(id.clone());
                    c.tool = text(a, "tool_name");
                    self.push(session, at, n, c);
                    let mut r = ev(session, "tool_result", None);
                    r.call_id = Some(id);
                    r.status = Some("rejected".into());
                    self.push(session, at, n, r);
                } else {
                    sink.skipped(&format!("otel:{agent}:tool_decision:accepted"));
                }
            }
            "tool_result" => {
                let id = text(a, "call_id")
                    .or_else(|| text(a, "tool_use_id"))
                    .unwrap_or_else(|| format!("otel-{n}-{}", self.events.len()));
                let ok = text(a, "success").is_none_or(|s| s == "true");
                let mut c = ev(session, "tool_call", None);
                c.call_id = Some(id.clone());
                c.tool = text(a, "tool_name");
                c.args = text(a, "tool_parameters").or_else(|| text(a, "arguments"));
                self.push(session, at, n, c);
                let mut r = ev(session, "tool_result", None);
                r.call_id = Some(id);
                r.status = Some(if ok { "ok" } else { "error" }.into());
                r.output = text(a, "output").or_else(|| text(a, "error"));
                self.push(session, at, n, r);
            }
            "api_error" => {
                let mut e = ev(session, "error", None);
                e.error_type = Some("api_error".into());
                e.message = Some(
                    format!(
                        "{} {}",
                        text(a, "status_code").unwrap_or_default(),
                        text(a, "error").unwrap_or_default()
                    )
                    .trim()
                    .to_string(),
                );
                self.push(session, at, n, e);
            }
            _ => sink.skipped(&format!(
                "otel:{}",
                if name.is_empty() { "log" } else { name }
            )),
        }
    }

    /// Each session in time order (a session without a start gets one), then emitted.
    fn finish(mut self, sink: &mut dyn EventSink) {
        self.events
            .sort_by(|x, y| (&x.0, x.1, x.2, x.3).cmp(&(&y.0, y.1, y.2, y.3)));
        let mut started: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (session, _, _, _, e) in &self.events {
            if e.kind == "session_start" {
                started.insert(session.clone());
            }
        }
        let mut last = String::new();
        for (session, at, n, _, e) in self.events {
            if session != last && !started.contains(&session) {
                let mut s = ev(&session, "session_start", at);
                s.attrs = attrs(&[("source", json!("otel"))]);
                sink.event(s, n);
            }
            if e.kind == "session_start" && session == last {
                // A second invoke_agent of the session: a new agent run, not a new session.
                continue;
            }
            last = session.clone();
            sink.event(e, n);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
