//! aider's `.aider.chat.history.md`, with timestamps from the `.aider.input.history`
//! beside it when there is one.

use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::{Collected, attrs, ev, read_all};
use crate::Result;
use crate::format::{EventSink, Format};

/// aider's Markdown chat history.
#[derive(Debug, Default)]
pub struct Aider;

const HEADER: &str = "# aider chat started at ";

impl Format for Aider {
    fn name(&self) -> &'static str {
        "aider"
    }

    fn detect(&self, file_name: &str, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        file_name.ends_with(".aider.input.history")
            || text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with(HEADER))
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let source = sink.source().to_string();
        if source.ends_with(".aider.input.history") {
            // Read together with the chat history it belongs to.
            sink.skipped("aider:input-history");
            return Ok(());
        }
        let text = read_all(input)?;
        let inputs = input_history(&source);
        let repo = Path::new(&source)
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "stdin".into());
        let mut p = Parser {
            repo,
            inputs,
            next_input: 0,
            ..Default::default()
        };
        for (i, line) in text.lines().enumerate() {
            p.line(i as i64 + 1, line.trim_end(), sink);
        }
        p.flush_blocks();
        p.out.emit(sink);
        Ok(())
    }
}

/// Entries of the input history beside `chat_file`: (time, text).
fn input_history(chat_file: &str) -> Vec<(DateTime<Utc>, String)> {
    let path = Path::new(chat_file);
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return Vec::new();
    };
    let other = path.with_file_name(name.replace("chat.history.md", "input.history"));
    let Ok(text) = std::fs::read_to_string(other) else {
        return Vec::new();
    };
    let mut out: Vec<(DateTime<Utc>, String)> = Vec::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# ") {
            if let Ok(n) = NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f") {
                out.push((n.and_utc(), String::new()));
            }
        } else if let Some(l) = line.strip_prefix('+')
            && let Some(last) = out.last_mut()
        {
            if !last.1.is_empty() {
                last.1.push('\n');
            }
            last.1.push_str(l);
        }
    }
    out
}

#[derive(Default)]
struct Parser {
    repo: String,
    inputs: Vec<(DateTime<Utc>, String)>,
    next_input: usize,
    out: Collected,
    session: Option<String>,
    at: Option<DateTime<Utc>>,
    /// The user input being read (`#### ` lines), and its first line number.
    user: Option<(String, i64)>,
    /// Assistant text being read.
    reply: Option<(String, i64)>,
    /// A `^C again to exit` was just seen (the next KeyboardInterrupt is the exit).
    ctrl_c: bool,
    calls: u64,
}

impl Parser {
    fn line(&mut self, n: i64, line: &str, sink: &mut dyn EventSink) {
        if let Some(t) = line.strip_prefix(HEADER) {
            self.flush_blocks();
            let at = NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|d| d.and_utc());
            let id = format!(
                "aider:{}:{}",
                self.repo,
                t.trim().replace([' ', ':'], "").replace('-', "")
            );
            let mut e = ev(&id, "session_start", at);
            e.agent = Some("aider".into());
            self.out.push(e, n);
            self.session = Some(id);
            self.at = at;
            return;
        }
        let Some(session) = self.session.clone() else {
            if !line.trim().is_empty() {
                sink.skipped("aider:before-header");
            }
            return;
        };
        if let Some(t) = line.strip_prefix("####") {
            self.flush_reply();
            let t = t.strip_prefix(' ').unwrap_or(t);
            // Some aider versions log the answer to their own (Y)es/(N)o prompt
            // as an input line: a confirmation, not something the user asked.
            if confirmation(t.trim()).is_some() {
                self.flush_user(&session);
                self.output(n, &session, t.trim(), sink);
                return;
            }
            match &mut self.user {
                Some((text, _)) => {
                    text.push('\n');
                    text.push_str(t.trim_end());
                }
                None => self.user = Some((t.trim_end().to_string(), n)),
            }
            return;
        }
        self.flush_user(&session);
        if let Some(t) = line.strip_prefix('>') {
            self.flush_reply();
            self.output(n, &session, t.trim(), sink);
        } else if !line.trim().is_empty() || self.reply.is_some() {
            match &mut self.reply {
                Some((text, _)) => {
                    text.push('\n');
                    text.push_str(line);
                }
                None => self.reply = Some((line.to_string(), n)),
            }
        }
    }

    /// One `> ` line: aider's own output.
    fn output(&mut self, n: i64, session: &str, t: &str, sink: &mut dyn EventSink) {
        let at = self.at;
        if t == "^C again to exit" {
            self.ctrl_c = true;
            self.out.push(ev(session, "interrupt", at), n);
        } else if t == "^C KeyboardInterrupt" {
            if std::mem::take(&mut self.ctrl_c) {
                sink.skipped("aider:exit");
            } else {
                self.out.push(ev(session, "interrupt", at), n);
            }
        } else if let Some(path) = t
            .strip_prefix("Added ")
            .and_then(|r| r.strip_suffix(" to the chat"))
        {
            let mut e = ev(session, "context_add", at);
            e.path = Some(path.to_string());
            self.out.push(e, n);
        } else if let Some(path) = t
            .strip_prefix("Removed ")
            .and_then(|r| r.strip_suffix(" from the chat"))
        {
            let mut e = ev(session, "context_remove", at);
            e.path = Some(path.to_string());
            self.out.push(e, n);
        } else if let Some(path) = t.strip_prefix("Applied edit to ") {
            self.tool(n, session, "edit", json!({"path": path}), "ok");
        } else if t.contains("did not conform to the edit format")
            || t.contains("SearchReplaceNoExactMatch")
        {
            let mut e = ev(session, "error", at);
            e.error_type = Some("edit_format".into());
            e.message = Some(t.to_string());
            self.out.push(e, n);
        } else if let Some((question, answer)) = confirmation(t) {
            let tool = if question.starts_with("Run shell command") {
                "shell"
            } else if question.starts_with("Create new file") || question.starts_with("Allow edits")
            {
                "edit"
            } else if question.starts_with("Add ") && question.contains("to the chat") {
                "add_file"
            } else if question.starts_with("Attempt to fix") {
                "fix"
            } else {
                return sink.skipped("aider:confirmation");
            };
            // No, or skip (all): declined. Yes, all, don't ask again: allowed.
            let status = if answer.starts_with('n') || answer.starts_with('s') {
                "rejected"
            } else {
                "ok"
            };
            self.tool(n, session, tool, json!({"question": question}), status);
        } else {
            sink.skipped("aider:output");
        }
    }

    fn tool(&mut self, n: i64, session: &str, tool: &str, args: serde_json::Value, status: &str) {
        self.calls += 1;
        let id = format!("aider-{}", self.calls);
        let mut c = ev(session, "tool_call", self.at);
        c.call_id = Some(id.clone());
        c.tool = Some(tool.into());
        c.args = Some(args.to_string());
        self.out.push(c, n);
        let mut r = ev(session, "tool_result", self.at);
        r.call_id = Some(id);
        r.status = Some(status.into());
        self.out.push(r, n);
    }

    fn flush_user(&mut self, session: &str) {
        let Some((text, n)) = self.user.take() else {
            return;
        };
        let text = text.trim().to_string();
        // The input history stamps every prompt: take the next entry with this text.
        if let Some(k) = self.inputs[self.next_input.min(self.inputs.len())..]
            .iter()
            .position(|(_, t)| t.trim() == text)
        {
            self.next_input += k;
            self.at = Some(self.inputs[self.next_input].0);
            self.next_input += 1;
        }
        // In --watch-files mode aider writes the prompt itself when it finds
        // "AI!" / "AI?" comments in the code: not a turn the user typed.
        if WATCH_PROMPTS.iter().any(|p| text.starts_with(p)) {
            let mut e = ev(session, "other", self.at);
            e.text = Some(text);
            e.attrs = attrs(&[("kind", json!("watch_prompt")), ("source", json!("aider"))]);
            self.out.push(e, n);
            return;
        }
        let kind = if text.starts_with('/') {
            "slash_command"
        } else {
            "user_message"
        };
        let mut e = ev(session, kind, self.at);
        e.text = Some(text);
        if kind == "slash_command" {
            e.attrs = attrs(&[("source", json!("aider"))]);
        }
        self.out.push(e, n);
    }

    fn flush_reply(&mut self) {
        let Some((text, n)) = self.reply.take() else {
            return;
        };
        let Some(session) = self.session.clone() else {
            return;
        };
        let text = text.trim().to_string();
        if !text.is_empty() {
            let mut e = ev(&session, "assistant_message", self.at);
            e.text = Some(text);
            self.out.push(e, n);
        }
    }

    fn flush_blocks(&mut self) {
        if let Some(session) = self.session.clone() {
            self.flush_user(&session);
        }
        self.flush_reply();
    }
}

/// How the prompts aider writes in --watch-files mode begin (aider's
/// `watch_prompts.py`: code, `/ask` and `/architect` variants).
const WATCH_PROMPTS: [&str; 3] = [
    "I've written your instructions in comments in the code and marked them with \"ai\"",
    "/ask\nFind the \"AI\" comments below (marked with █)",
    "/architect\nFind the \"AI\" comments below (marked with █)",
];

/// `Question? (Y)es/(N)o [Yes]: n` -> (question, answer in lower case).
fn confirmation(t: &str) -> Option<(&str, String)> {
    let i = t.find("(Y)es/(N)o")?;
    let answer = t[i..].rsplit(':').next()?.trim().to_lowercase();
    Some((t[..i].trim(), answer))
}
