//! The interchange format (`spec/session-events.md`): one JSON event per line.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::Result;
use crate::format::{EventSink, Format, read_lines};
use crate::model::{END_STATUSES, Event, KINDS, TOOL_STATUSES};

/// Fields the interchange format gives a column; everything else goes to `attrs`.
const KNOWN: &[&str] = &[
    "session_id",
    "seq",
    "ts",
    "kind",
    "agent",
    "agent_version",
    "model",
    "user",
    "repo",
    "text",
    "edits_seq",
    "call_id",
    "tool",
    "args",
    "status",
    "output",
    "path",
    "error_type",
    "message",
];

/// The interchange JSONL format.
#[derive(Debug, Default)]
pub struct Interchange;

impl Format for Interchange {
    fn name(&self) -> &'static str {
        "interchange"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        // A first non-empty line that is an object with `session_id` and `kind`.
        let text = String::from_utf8_lossy(head);
        text.lines()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .is_some_and(|v| v.get("session_id").is_some() && v.get("kind").is_some())
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        read_lines(input, sink, |line_no, line, sink| match parse_line(line) {
            Ok(e) => sink.event(e, line_no),
            Err(reason) => sink.quarantine(line_no, reason, line),
        })
    }
}

/// Parse one interchange line. The error is a reason a user can act on.
pub fn parse_line(line: &str) -> std::result::Result<Event, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(mut obj) = value else {
        return Err("not a JSON object: each line must be one event object".into());
    };
    let session_id = match obj.get("session_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => return Err("missing required field session_id".into()),
        Some(_) => return Err("malformed field session_id: expected a non-empty string".into()),
    };
    let kind = match obj.get("kind") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Null) | None => return Err("missing required field kind".into()),
        Some(_) => return Err("malformed field kind: expected a string".into()),
    };
    let mut e = Event::new(session_id, kind.clone());
    e.seq = opt_int(&obj, "seq")?;
    if let Some(seq) = e.seq
        && seq < 0
    {
        return Err("malformed field seq: expected an integer >= 0".into());
    }
    e.ts = match obj.get("ts") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_ts(s).ok_or_else(|| {
            format!(
                "malformed field ts: {s:?} is not an RFC 3339 timestamp (e.g. 2026-11-20T09:00:00Z)"
            )
        })?),
        Some(_) => return Err("malformed field ts: expected an RFC 3339 string".into()),
    };
    e.agent = opt_str(&obj, "agent")?;
    e.agent_version = opt_str(&obj, "agent_version")?;
    e.model = opt_str(&obj, "model")?;
    e.user = opt_str(&obj, "user")?;
    e.repo = opt_str(&obj, "repo")?;
    e.text = opt_str(&obj, "text")?;
    e.edits_seq = opt_int(&obj, "edits_seq")?;
    e.call_id = match obj.get("call_id") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => opt_str(&obj, "call_id")?,
    };
    e.tool = opt_str(&obj, "tool")?;
    e.args = match obj.get("args") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        Some(_) => return Err("malformed field args: expected a JSON object".into()),
    };
    e.status = opt_str(&obj, "status")?;
    if let Some(status) = &e.status {
        let allowed = match kind.as_str() {
            "tool_result" => Some(TOOL_STATUSES),
            "session_end" => Some(END_STATUSES),
            _ => None,
        };
        if let Some(allowed) = allowed
            && !allowed.contains(&status.as_str())
        {
            return Err(format!(
                "malformed field status: {status:?} is not one of {}",
                allowed.join(", ")
            ));
        }
    }
    e.output = match obj.get("output") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    };
    e.path = opt_str(&obj, "path")?;
    e.error_type = opt_str(&obj, "error_type")?;
    e.message = opt_str(&obj, "message")?;

    let mut attrs: Map<String, Value> = Map::new();
    if !KINDS.contains(&kind.as_str()) {
        e.kind = "other".into();
        attrs.insert("kind".into(), Value::String(kind));
    }
    for k in KNOWN {
        obj.remove(*k);
    }
    attrs.extend(obj);
    if !attrs.is_empty() {
        e.attrs = Some(Value::Object(attrs).to_string());
    }
    Ok(e)
}

/// Parse an RFC 3339 timestamp (also accepting a space instead of `T`).
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> std::result::Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("malformed field {key}: expected a string")),
    }
}

fn opt_int(obj: &Map<String, Value>, key: &str) -> std::result::Result<Option<i64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("malformed field {key}: expected an integer")),
        Some(_) => Err(format!("malformed field {key}: expected an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_field_and_keeps_unknown_ones() {
        let e = parse_line(r#"{"session_id":"s","seq":3,"ts":"2026-11-20T09:00:12Z","kind":"tool_call","call_id":"c1","tool":"edit_file","args":{"path":"a.rs"},"extra":1}"#).unwrap();
        assert_eq!(e.seq, Some(3));
        assert_eq!(e.tool.as_deref(), Some("edit_file"));
        assert_eq!(e.args.as_deref(), Some(r#"{"path":"a.rs"}"#));
        assert_eq!(e.attrs.as_deref(), Some(r#"{"extra":1}"#));
        assert_eq!(e.ts.unwrap().to_rfc3339(), "2026-11-20T09:00:12+00:00");
    }

    #[test]
    fn unknown_kind_becomes_other() {
        let e = parse_line(r#"{"session_id":"s","kind":"telemetry","x":"y"}"#).unwrap();
        assert_eq!(e.kind, "other");
        assert_eq!(e.attrs.as_deref(), Some(r#"{"kind":"telemetry","x":"y"}"#));
    }

    #[test]
    fn each_kind_of_bad_line_has_a_reason() {
        let cases = [
            ("{not json", "not valid JSON"),
            ("[1,2]", "not a JSON object"),
            (
                r#"{"kind":"user_message"}"#,
                "missing required field session_id",
            ),
            (r#"{"session_id":"s"}"#, "missing required field kind"),
            (
                r#"{"session_id":"s","kind":"x","seq":"one"}"#,
                "malformed field seq",
            ),
            (
                r#"{"session_id":"s","kind":"x","seq":-1}"#,
                "malformed field seq",
            ),
            (
                r#"{"session_id":"s","kind":"x","ts":"yesterday"}"#,
                "malformed field ts",
            ),
            (
                r#"{"session_id":"s","kind":"user_message","text":5}"#,
                "malformed field text",
            ),
            (
                r#"{"session_id":"s","kind":"tool_call","args":"a"}"#,
                "malformed field args",
            ),
            (
                r#"{"session_id":"s","kind":"tool_result","status":"maybe"}"#,
                "malformed field status",
            ),
            (
                r#"{"session_id":"s","kind":"session_end","status":"ok"}"#,
                "malformed field status",
            ),
        ];
        for (line, want) in cases {
            let err = parse_line(line).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
