//! What the head of a file says, for format detection: its first JSON line, read
//! whole or, when it is cut by the peek buffer or nested too deep, for its
//! top-level fields. Shared by the interchange reader and the adapters.

use serde_json::{Map, Value};

/// The first non-blank line of `head`, parsed as JSON. A line that does not
/// parse whole — cut by the peek buffer (a 50 MB tool output), or nested deeper
/// than the parser goes — is read for its top-level fields
/// ([`top_level_fields`]), so its file is still recognised and the line itself
/// is quarantined by the reader rather than the whole file dropped.
pub fn first_json(head: &[u8]) -> Option<Value> {
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let line = head[start..].split(|b| *b == b'\n').next()?;
    if let Ok(v) = serde_json::from_slice(line) {
        return Some(v);
    }
    top_level_fields(line)
        .filter(|m| !m.is_empty())
        .map(Value::Object)
}

/// The top-level fields of (a prefix of) a JSON object's text, read without
/// parsing it whole: strings, numbers, booleans and null as values, objects and
/// arrays as empty ones (their contents skipped, however deep). It stops where
/// the text stops. `None` when the text does not start as an object.
pub fn top_level_fields(text: &[u8]) -> Option<Map<String, Value>> {
    let ws = |i: &mut usize| {
        while text.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
    };
    // The end (exclusive) of the string that starts at `i` (a quote), if it ends.
    let string_end = |i: usize| -> Option<usize> {
        let mut j = i + 1;
        while j < text.len() {
            match text[j] {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    };
    let mut i = 0;
    ws(&mut i);
    if text.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut out = Map::new();
    loop {
        ws(&mut i);
        match text.get(i) {
            None | Some(b'}') => return Some(out),
            Some(b',') => {
                i += 1;
                continue;
            }
            Some(b'"') => {}
            Some(_) => return Some(out).filter(|m| !m.is_empty()),
        }
        let Some(end) = string_end(i) else {
            return Some(out);
        };
        let Ok(key) = serde_json::from_slice::<String>(&text[i..end]) else {
            return Some(out).filter(|m| !m.is_empty());
        };
        i = end;
        ws(&mut i);
        if text.get(i) != Some(&b':') {
            return Some(out);
        }
        i += 1;
        ws(&mut i);
        match text.get(i) {
            None => return Some(out),
            Some(b'"') => {
                let Some(end) = string_end(i) else {
                    return Some(out);
                };
                if let Ok(v) = serde_json::from_slice::<Value>(&text[i..end]) {
                    out.insert(key, v);
                }
                i = end;
            }
            Some(open @ (b'{' | b'[')) => {
                out.insert(
                    key,
                    if *open == b'{' {
                        Value::Object(Map::new())
                    } else {
                        Value::Array(Vec::new())
                    },
                );
                // Skip to the matching close, counting depth (no recursion).
                let mut depth = 0usize;
                while i < text.len() {
                    match text[i] {
                        b'"' => match string_end(i) {
                            Some(end) => {
                                i = end;
                                continue;
                            }
                            None => return Some(out),
                        },
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            Some(_) => {
                let end = text[i..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}') || b.is_ascii_whitespace())
                    .map_or(text.len(), |k| i + k);
                if let Ok(v) = serde_json::from_slice::<Value>(&text[i..end]) {
                    out.insert(key, v);
                }
                i = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_line_cut_or_too_deep_still_shows_its_fields() {
        let cut = br#"{"session_id":"s1","seq":0,"kind":"tool_result","args":{"a":[1,{"b":"}"}]},"output":"xxxxxxxx"#;
        let v = first_json(cut).unwrap();
        assert_eq!(v["session_id"], "s1");
        assert_eq!(v["kind"], "tool_result");
        assert_eq!(v["seq"], 0);
        assert!(v["args"].is_object() && v.get("output").is_none());
        let deep = format!(
            "\n  {{\"session_id\":\"s2\",\"attrs\":{}{},\"kind\":\"user_message\"}}\nnext",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let v = first_json(deep.as_bytes()).unwrap();
        assert_eq!(
            (v["session_id"].as_str(), v["kind"].as_str()),
            (Some("s2"), Some("user_message"))
        );
        assert!(first_json(b"# aider chat started").is_none());
        assert!(first_json(b"{not json at all").is_none());
    }
}
