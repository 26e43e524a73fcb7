//! The interchange format (`spec/session-events.md`): one JSON event per line.

use std::io::BufRead;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::Result;
use crate::format::{EventSink, Format, read_lines_parallel};
pub use crate::model::parse_ts;
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
        // A first non-empty line that is an object with `session_id` and `kind`
        // (read for its top-level fields when it is too long or deep to parse).
        crate::sniff::first_json(head)
            .is_some_and(|v| v.get("session_id").is_some() && v.get("kind").is_some())
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        // Parsing is most of ingest's time: it runs on every core.
        read_lines_parallel(
            input,
            sink,
            parse_line,
            |line_no, line, parsed, sink| match parsed {
                Ok(e) => sink.event(e, line_no),
                Err(reason) => sink.quarantine(line_no, reason, line),
            },
        )
    }
}

/// A line's fields as borrowed raw JSON, in order (the last of a repeated key wins,
/// as in a JSON object). Parsing into this instead of a `serde_json::Value` map
/// halves the cost of a line: values are only decoded when a field needs it.
struct RawFields<'a>(Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(12);
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let v: &'de RawValue = map.next_value()?;
                    out.push((k, v));
                }
                Ok(RawFields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A raw JSON value's text, classified.
enum Raw<'a> {
    Null,
    Str(String),
    Other(&'a str),
}

fn classify(v: &RawValue) -> std::result::Result<Raw<'_>, String> {
    let t = v.get();
    match t.as_bytes().first() {
        Some(b'n') => Ok(Raw::Null),
        Some(b'"') => serde_json::from_str::<String>(t)
            .map(Raw::Str)
            .map_err(|e| format!("not valid JSON: {e}")),
        _ => Ok(Raw::Other(t)),
    }
}

/// Whether a raw JSON value (not a string, not null) is a number.
fn is_number(raw: &str) -> bool {
    raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// A raw JSON value decoded, for the fields stored re-serialized (compactly).
fn json(raw: &str) -> std::result::Result<Value, String> {
    serde_json::from_str(raw).map_err(|e| format!("not valid JSON: {e}"))
}

/// Parse one interchange line. The error is a reason a user can act on.
pub fn parse_line(line: &str) -> std::result::Result<Event, String> {
    let fields: RawFields<'_> = match serde_json::from_str(line) {
        Ok(f) => f,
        Err(e) if e.is_data() => {
            return Err("not a JSON object: each line must be one event object".into());
        }
        Err(e) => return Err(format!("not valid JSON: {e}")),
    };
    // The last value of each known key, and the unknown keys in order.
    let mut known: [Option<&RawValue>; KNOWN.len()] = [None; KNOWN.len()];
    let mut unknown: Vec<(std::borrow::Cow<'_, str>, &RawValue)> = Vec::new();
    for (k, v) in fields.0 {
        match KNOWN.iter().position(|x| *x == k) {
            Some(i) => known[i] = Some(v),
            // A repeated key keeps its first place and its last value (as a map).
            None => match unknown.iter().position(|(u, _)| *u == k) {
                Some(i) => unknown[i].1 = v,
                None => unknown.push((k, v)),
            },
        }
    }
    let get = |key: &str| -> std::result::Result<Raw<'_>, String> {
        match KNOWN.iter().position(|x| *x == key).and_then(|i| known[i]) {
            None => Ok(Raw::Null),
            Some(v) => classify(v),
        }
    };
    let opt_str = |key: &str| -> std::result::Result<Option<String>, String> {
        match get(key)? {
            Raw::Null => Ok(None),
            Raw::Str(s) => Ok(Some(s)),
            Raw::Other(_) => Err(format!("malformed field {key}: expected a string")),
        }
    };
    let opt_int = |key: &str| -> std::result::Result<Option<i64>, String> {
        match get(key)? {
            Raw::Null => Ok(None),
            Raw::Other(t) if is_number(t) => t
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("malformed field {key}: expected an integer")),
            _ => Err(format!("malformed field {key}: expected an integer")),
        }
    };
    let session_id = match get("session_id")? {
        Raw::Str(s) if !s.trim().is_empty() => s,
        // A number, printed as serde_json prints it.
        Raw::Other(t) if is_number(t) => json(t)?.to_string(),
        Raw::Null => return Err("missing required field session_id".into()),
        _ => return Err("malformed field session_id: expected a non-empty string".into()),
    };
    let kind = match get("kind")? {
        Raw::Str(s) if !s.trim().is_empty() => s,
        Raw::Null => return Err("missing required field kind".into()),
        _ => return Err("malformed field kind: expected a string".into()),
    };
    let mut e = Event::new(session_id, kind.clone());
    e.seq = opt_int("seq")?;
    if let Some(seq) = e.seq
        && seq < 0
    {
        return Err("malformed field seq: expected an integer >= 0".into());
    }
    e.ts = match get("ts")? {
        Raw::Null => None,
        Raw::Str(s) => Some(parse_ts(&s).ok_or_else(|| {
            format!(
                "malformed field ts: {s:?} is not an RFC 3339 timestamp (e.g. 2026-11-20T09:00:00Z)"
            )
        })?),
        Raw::Other(_) => return Err("malformed field ts: expected an RFC 3339 string".into()),
    };
    e.agent = opt_str("agent")?;
    e.agent_version = opt_str("agent_version")?;
    e.model = opt_str("model")?;
    e.user = opt_str("user")?;
    e.repo = opt_str("repo")?;
    e.text = opt_str("text")?;
    e.edits_seq = opt_int("edits_seq")?;
    e.call_id = match get("call_id")? {
        Raw::Other(t) if is_number(t) => Some(json(t)?.to_string()),
        _ => opt_str("call_id")?,
    };
    e.tool = opt_str("tool")?;
    e.args = match get("args")? {
        Raw::Null => None,
        // Re-serialized compactly, as stored.
        Raw::Other(t) if t.starts_with('{') => Some(json(t)?.to_string()),
        _ => return Err("malformed field args: expected a JSON object".into()),
    };
    e.status = opt_str("status")?;
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
    e.output = match get("output")? {
        Raw::Null => None,
        Raw::Str(s) => Some(s),
        Raw::Other(t) => Some(json(t)?.to_string()),
    };
    e.path = opt_str("path")?;
    e.error_type = opt_str("error_type")?;
    e.message = opt_str("message")?;

    let mut attrs: Map<String, Value> = Map::new();
    if !KINDS.contains(&kind.as_str()) {
        e.kind = "other".into();
        attrs.insert("kind".into(), Value::String(kind));
    }
    for (k, v) in unknown {
        attrs.insert(k.into_owned(), json(v.get())?);
    }
    if !attrs.is_empty() {
        e.attrs = Some(Value::Object(attrs).to_string());
    }
    Ok(e)
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
