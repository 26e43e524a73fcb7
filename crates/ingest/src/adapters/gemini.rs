//! Gemini CLI chats (`~/.gemini/tmp/<hash>/chats/session-*.jsonl`, and the legacy
//! single-JSON `session-*.json`).

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::{Value, json};

use super::{
    Collected, args_text, attrs, content_text, cut, ev, first_json, is_injected, json_line,
    read_all, s, ts,
};
use crate::Result;
use crate::format::{EventSink, Format};

/// Gemini CLI's session files.
#[derive(Debug, Default)]
pub struct Gemini;

impl Format for Gemini {
    fn name(&self) -> &'static str {
        "gemini-cli"
    }

    fn detect(&self, _file_name: &str, head: &[u8]) -> bool {
        if let Some(v) = first_json(head) {
            return v.get("sessionId").is_some() && v.get("projectHash").is_some();
        }
        // Legacy: one pretty-printed ConversationRecord.
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with('{')
            && text.contains("\"sessionId\"")
            && text.contains("\"projectHash\"")
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let text = read_all(input)?;
        let mut st = State::default();
        // A legacy file is one JSON document; JSONL has one record per line.
        if let Ok(doc @ Value::Object(_)) = serde_json::from_str::<Value>(&text)
            && doc.get("messages").is_some()
        {
            st.meta(&doc);
            for m in doc["messages"].as_array().into_iter().flatten() {
                st.message(1, m);
            }
        } else {
            for (i, line) in text.lines().enumerate() {
                let n = i as i64 + 1;
                if line.trim().is_empty() {
                    continue;
                }
                let Some(v) = json_line(n, line, sink) else {
                    continue;
                };
                if let Some(id) = v.get("$rewindTo").and_then(Value::as_str) {
                    st.rewind(id);
                } else if v.get("$set").is_some() {
                    sink.skipped("gemini-cli:$set");
                } else if v.get("sessionId").is_some() && v.get("type").is_none() {
                    st.meta(&v);
                } else if v.get("id").is_some() && v.get("type").is_some() {
                    st.message(n, &v);
                } else {
                    sink.skipped("gemini-cli:unknown");
                }
            }
        }
        st.finish(sink);
        Ok(())
    }
}

#[derive(Default)]
struct State {
    session: String,
    start: Option<(Value, i64)>,
    /// Message ids in first-seen order; the last version of each wins.
    order: Vec<String>,
    latest: HashMap<String, (Value, i64)>,
    /// Ids of user messages written after a rewind (they replace what was rewound).
    after_rewind: Vec<String>,
    rewound: bool,
}

impl State {
    fn meta(&mut self, v: &Value) {
        self.session = s(v, "sessionId").unwrap_or_default();
        self.start = Some((v.clone(), 1));
    }

    fn message(&mut self, n: i64, v: &Value) {
        let Some(id) = s(v, "id") else { return };
        if !self.latest.contains_key(&id) {
            self.order.push(id.clone());
            if self.rewound && v.get("type").and_then(Value::as_str) == Some("user") {
                self.after_rewind.push(id.clone());
                self.rewound = false;
            }
        }
        self.latest.insert(id, (v.clone(), n));
    }

    /// `$rewindTo`: that message and everything after it are gone.
    fn rewind(&mut self, id: &str) {
        if let Some(pos) = self.order.iter().position(|x| x == id) {
            for gone in self.order.drain(pos..) {
                self.latest.remove(&gone);
            }
            self.rewound = true;
        }
    }

    fn finish(self, sink: &mut dyn EventSink) {
        let session = if self.session.is_empty() {
            format!("gemini-{}", sink.source())
        } else {
            self.session.clone()
        };
        let mut out = Collected::default();
        let mut start = ev(
            &session,
            "session_start",
            self.start.as_ref().and_then(|(v, _)| ts(v, "startTime")),
        );
        start.agent = Some("gemini-cli".into());
        start.attrs = attrs(&[
            (
                "project_hash",
                self.start
                    .as_ref()
                    .and_then(|(v, _)| v.get("projectHash").cloned())
                    .unwrap_or(Value::Null),
            ),
            (
                "directories",
                self.start
                    .as_ref()
                    .and_then(|(v, _)| v.get("directories").cloned())
                    .unwrap_or(Value::Null),
            ),
        ]);
        out.push(start, 1);
        let mut model = None;
        for id in &self.order {
            let Some((m, n)) = self.latest.get(id) else {
                continue;
            };
            let n = *n;
            let at = ts(m, "timestamp");
            let content = m.get("content").unwrap_or(&Value::Null);
            match m.get("type").and_then(Value::as_str).unwrap_or("") {
                "user" => {
                    // Tool responses echoed as user parts are not typed by the user.
                    let text = content_text(content);
                    if text.trim().is_empty() || is_injected(&text) {
                        sink.skipped("gemini-cli:user:non-text");
                        continue;
                    }
                    let kind = if self.after_rewind.contains(id) {
                        "message_edit"
                    } else {
                        "user_message"
                    };
                    let mut e = ev(&session, kind, at);
                    e.text = Some(text.trim().to_string());
                    if kind == "message_edit" {
                        e.attrs = attrs(&[("via", json!("rewind"))]);
                    }
                    out.push(e, n);
                }
                "gemini" => {
                    if model.is_none() {
                        model = s(m, "model");
                    }
                    let text = content_text(content);
                    if !text.trim().is_empty() {
                        let mut e = ev(&session, "assistant_message", at);
                        e.text = Some(text);
                        e.attrs =
                            attrs(&[("tokens", m.get("tokens").cloned().unwrap_or(Value::Null))]);
                        out.push(e, n);
                    }
                    for call in m
                        .get("toolCalls")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let cat = ts(call, "timestamp").or(at);
                        let mut c = ev(&session, "tool_call", cat);
                        c.call_id = s(call, "id");
                        c.tool = s(call, "name");
                        c.args = Some(args_text(call.get("args").unwrap_or(&Value::Null)));
                        out.push(c, n);
                        let result = call
                            .get("result")
                            .map(|r| r.to_string())
                            .unwrap_or_default();
                        let display = call
                            .get("resultDisplay")
                            .map(content_text)
                            .unwrap_or_default();
                        let status = match call.get("status").and_then(Value::as_str).unwrap_or("")
                        {
                            "success" => Some("ok"),
                            "error" => Some("error"),
                            "cancelled" => {
                                let r = result.to_lowercase();
                                Some(if r.contains("did not allow") || r.contains("denied") {
                                    "rejected"
                                } else {
                                    "cancelled"
                                })
                            }
                            _ => None, // still in flight: no result yet
                        };
                        if let Some(st) = status {
                            let mut r = ev(&session, "tool_result", cat);
                            r.call_id = s(call, "id");
                            r.status = Some(st.into());
                            r.output = Some(cut(if display.is_empty() {
                                &result
                            } else {
                                &display
                            }));
                            out.push(r, n);
                        }
                    }
                }
                "info" if content_text(content).trim() == "Request cancelled." => {
                    out.push(ev(&session, "interrupt", at), n);
                }
                "error" => {
                    let text = content_text(content);
                    let mut e = ev(&session, "error", at);
                    e.error_type = Some(
                        if text.contains("API Error") {
                            "api_error"
                        } else {
                            "error"
                        }
                        .into(),
                    );
                    e.message = Some(text);
                    out.push(e, n);
                }
                other => sink.skipped(&format!("gemini-cli:{other}")),
            }
        }
        out.events[0].0.model = model;
        out.emit(sink);
    }
}
