//! Adapters for the logs real coding agents write. Each maps one agent's records
//! onto interchange events; what a format can and cannot carry is documented in
//! `docs/formats.md`.
//!
//! Adapters collect a file's events before handing them on, because several
//! formats revise earlier records (Gemini rewrites messages, `$rewindTo` drops
//! them; Claude Code splits one message over several lines; Codex reports exit
//! codes after the output).

pub mod aider;
pub mod claude_code;
pub mod codex;
pub mod gemini;
pub mod mini_swe_agent;
pub mod openhands;
pub mod openhands_resolver;
pub mod openhands_v1;
pub mod otel;
pub mod swe_agent;

use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::format::EventSink;
use crate::model::Event;
pub use crate::sniff::{first_json, top_level_fields};

/// Longest tool output kept per event (the rest is cut, with a marker).
pub const MAX_OUTPUT: usize = 8 * 1024;

/// Events of one file, in order, with the record (line) each came from.
#[derive(Debug, Default)]
pub struct Collected {
    /// (event, 1-based line or record number)
    pub events: Vec<(Event, i64)>,
}

impl Collected {
    /// Append an event.
    pub fn push(&mut self, event: Event, line: i64) {
        self.events.push((event, line));
    }

    /// Hand every event to the sink, in order.
    pub fn emit(self, sink: &mut dyn EventSink) {
        for (e, line) in self.events {
            sink.event(e, line);
        }
    }
}

/// Parse one JSONL line; a bad line is quarantined with a reason and `None` returned.
pub fn json_line(line_no: i64, line: &str, sink: &mut dyn EventSink) -> Option<Value> {
    match serde_json::from_str::<Value>(line) {
        Ok(v @ Value::Object(_)) => Some(v),
        Ok(_) => {
            sink.quarantine(
                line_no,
                "not a JSON object; each line must be one record".into(),
                line,
            );
            None
        }
        Err(e) if e.is_eof() => {
            sink.quarantine(
                line_no,
                format!("truncated record ({e}); the agent may still have been writing the file — it is read in full on the next ingest"),
                line,
            );
            None
        }
        Err(e) => {
            sink.quarantine(line_no, format!("not valid JSON ({e})"), line);
            None
        }
    }
}

/// Drive a JSONL reader: `f` gets each line that parses as a JSON object; the
/// others are quarantined with a reason.
pub fn read_json_lines(
    input: &mut dyn BufRead,
    sink: &mut dyn EventSink,
    mut f: impl FnMut(i64, &Value, &mut dyn EventSink),
) -> crate::Result<()> {
    crate::format::read_lines(input, sink, |n, line, sink| {
        if let Some(v) = json_line(n, line, sink) {
            f(n, &v, sink);
        }
    })
}

/// The source file's name without `suffixes` (stripped in order): the session
/// name of formats whose files carry no session id.
pub fn file_stem(sink: &dyn EventSink, suffixes: &[&str]) -> String {
    let mut name = sink.source().rsplit(['/', '\\']).next().unwrap_or("stdin");
    for s in suffixes {
        name = name.strip_suffix(s).unwrap_or(name);
    }
    name.to_string()
}

/// Read a whole input as one JSON object holding the array `key` (a run's
/// single-document log): the object, or `None` with the reason quarantined
/// (`what` names the format in it).
pub fn read_json_doc(
    input: &mut dyn BufRead,
    sink: &mut dyn EventSink,
    key: &str,
    what: &str,
) -> crate::Result<Option<Value>> {
    let text = read_all(input)?;
    let doc = match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            sink.quarantine(1, format!("expected a JSON object with `{key}`"), &text);
            return Ok(None);
        }
        Err(e) => {
            sink.quarantine(
                e.line() as i64,
                format!("not valid JSON ({e}); the run may not have finished writing it"),
                &text,
            );
            return Ok(None);
        }
    };
    if doc.get(key).and_then(Value::as_array).is_none() {
        sink.quarantine(1, format!("no `{key}` array: not {what}"), "");
        return Ok(None);
    }
    Ok(Some(doc))
}

/// Read a whole input as UTF-8 text (for the single-document formats).
pub fn read_all(input: &mut dyn BufRead) -> crate::Result<String> {
    let mut buf = Vec::new();
    input
        .read_to_end(&mut buf)
        .map_err(|e| crate::Error::Read { line: 0, source: e })?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Text the agent injects into a user turn (instructions, reminders, environment
/// context, command echoes): not typed by the user, never a user message.
pub fn is_injected(text: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "<system-reminder>",
        "<environment_context>",
        "<user_instructions>",
        "<local-command-caveat>",
        "<local-command-stdout>",
        "<local-command-stderr>",
        "<session_context>",
        "<turn_aborted>",
        "<permissions instructions>",
        "<environment_details>",
        "<user_shell_command>",
        "<bash-input>",
        "<bash-stdout>",
        "<bash-stderr>",
        "# AGENTS.md instructions",
        "Caveat: The messages below were generated",
        "This session is being continued from a previous conversation",
    ];
    let t = text.trim_start();
    PREFIXES.iter().any(|p| t.starts_with(p))
}

/// Remove `<system-reminder>…</system-reminder>` blocks appended to typed text.
pub fn strip_reminders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<system-reminder>") {
        out.push_str(&rest[..i]);
        match rest[i..].find("</system-reminder>") {
            Some(j) => rest = &rest[i + j + "</system-reminder>".len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// A slash command the agent echoed as markup (`<command-name>/x</command-name>
/// <command-args>a</command-args>`), as `/x a`.
pub fn command_markup(text: &str) -> Option<String> {
    let name = between(text, "<command-name>", "</command-name>")?.trim();
    let args = between(text, "<command-args>", "</command-args>")
        .unwrap_or("")
        .trim();
    let name = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    };
    Some(if args.is_empty() {
        name
    } else {
        format!("{name} {args}")
    })
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let i = text.find(open)? + open.len();
    let j = text[i..].find(close)?;
    Some(&text[i..i + j])
}

/// Cut tool output to [`MAX_OUTPUT`] bytes (on a character boundary).
pub fn cut(s: &str) -> String {
    if s.len() <= MAX_OUTPUT {
        return s.to_string();
    }
    let mut end = MAX_OUTPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut: {} bytes in all]", &s[..end], s.len())
}

/// A string field.
pub fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A timestamp field (RFC 3339; OpenHands' naive times are read as UTC).
pub fn ts(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    let t = v.get(key)?.as_str()?;
    crate::model::parse_ts(t).or_else(|| {
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc())
    })
}

/// Tool args as JSON object text: objects as they are, anything else under `input`.
pub fn args_text(v: &Value) -> String {
    match v {
        Value::Object(_) => v.to_string(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(o @ Value::Object(_)) => o.to_string(),
            _ => serde_json::json!({ "input": s }).to_string(),
        },
        other => serde_json::json!({ "input": other }).to_string(),
    }
}

/// Build an `attrs` JSON text from pairs, leaving out nulls; `None` when empty.
pub fn attrs(pairs: &[(&str, Value)]) -> Option<String> {
    let m: Map<String, Value> = pairs
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    (!m.is_empty()).then(|| Value::Object(m).to_string())
}

/// Text of a content value: a string, or the `text` of each part of an array.
pub fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str).or_else(|| p.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A session event with `ts`.
pub fn ev(session: &str, kind: &str, at: Option<DateTime<Utc>>) -> Event {
    let mut e = Event::new(session, kind);
    e.ts = at;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_text_and_commands() {
        assert!(is_injected("<environment_context>\n<cwd>/x</cwd>"));
        assert!(is_injected("  <system-reminder>be brief</system-reminder>"));
        assert!(!is_injected("fix the <div> layout"));
        assert_eq!(
            strip_reminders("fix it <system-reminder>x</system-reminder> now"),
            "fix it  now"
        );
        assert_eq!(
            command_markup("<command-name>/clear</command-name>\n<command-message>clear</command-message>\n<command-args></command-args>").as_deref(),
            Some("/clear")
        );
        assert_eq!(
            command_markup("<command-name>model</command-name><command-args>opus</command-args>")
                .as_deref(),
            Some("/model opus")
        );
        assert!(cut(&"é".repeat(MAX_OUTPUT)).len() < MAX_OUTPUT + 40);
    }
}
