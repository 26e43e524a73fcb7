//! mini-swe-agent trajectories (`*.traj.json`, `"trajectory_format":
//! "mini-swe-agent-1"`): one JSON object with `info` and the chat `messages`.
//!
//! Every observation is a `role: "user"` message, and none of them is a human
//! turn: the first user message is the task (in batch runs wrapped in the
//! config's instructions); a later one is the output of the last action
//! (`<returncode>N</returncode>`), the framework's complaint about the model's
//! format, a timeout notice, or — in the interactive `mini` — a rejected command
//! or a message the human typed (`/u`), which is the only later user turn.

use std::io::BufRead;

use serde_json::{Value, json};

use super::{Collected, attrs, content_text, cut, ev, file_stem, read_json_doc, s};
use crate::Result;
use crate::format::{EventSink, Format};

/// mini-swe-agent's `.traj.json`.
#[derive(Debug, Default)]
pub struct MiniSweAgent;

/// What a later user message of a trajectory is.
#[derive(Debug, PartialEq)]
enum Observation {
    /// The output of the last action, with its return code.
    Output { code: Option<i64>, text: String },
    /// The framework's complaint that the reply had not exactly one action.
    FormatError,
    /// The last command timed out and was killed.
    Timeout,
    /// The human declined the command (interactive mode).
    Rejected,
    /// Anything else: the human typing (interactive mode).
    Human,
}

fn classify(text: &str) -> Observation {
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix("<returncode>") {
        let code = rest
            .split("</returncode>")
            .next()
            .and_then(|c| c.trim().parse().ok());
        let body = super::between(t, "<output>", "</output>")
            .map(str::to_string)
            .unwrap_or_else(|| {
                // Long outputs come as head and tail around an elision.
                ["<output_head>", "<output_tail>"]
                    .iter()
                    .filter_map(|tag| {
                        super::between(t, tag, &tag.replacen('<', "</", 1)).map(str::to_string)
                    })
                    .collect::<Vec<_>>()
                    .join("\n…\n")
            });
        Observation::Output {
            code,
            text: body.trim_matches('\n').to_string(),
        }
    } else if t.starts_with("Please always provide EXACTLY ONE action")
        || t.starts_with("Please always provide exactly one action")
    {
        Observation::FormatError
    } else if t.starts_with("The last command") && t.contains("timed out") {
        Observation::Timeout
    } else if t.starts_with("Command not executed") {
        Observation::Rejected
    } else {
        Observation::Human
    }
}

/// The task out of the first user message: inside `<pr_description>` (the
/// SWE-bench config), after "Please solve this issue:" (the default config), or
/// the whole message.
fn task(text: &str) -> String {
    if let Some(inner) = super::between(text, "<pr_description>", "</pr_description>") {
        return inner
            .trim()
            .trim_start_matches("Consider the following PR description:")
            .trim()
            .to_string();
    }
    if let Some(rest) = text.trim_start().strip_prefix("Please solve this issue:") {
        let end = ["\n\nYou can execute", "<instructions>", "\n\n## "]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        return rest[..end].trim().to_string();
    }
    text.trim().to_string()
}

/// The thought before the action, and the action: the fenced block, when there
/// is exactly one (with none or several, the framework runs nothing and answers
/// with its format error).
fn thought_and_action(text: &str) -> (String, Option<String>) {
    let one_block = text.matches("```").count() == 2;
    let Some(start) = text.find("```") else {
        return (text.trim().to_string(), None);
    };
    let thought = text[..start]
        .trim()
        .trim_start_matches("THOUGHT:")
        .trim()
        .to_string();
    let after = &text[start + 3..];
    // Skip the fence's language tag (```bash).
    let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
    let body = &after[body_start..];
    let action = body.find("```").map(|end| body[..end].trim().to_string());
    (thought, action.filter(|a| one_block && !a.is_empty()))
}

impl Format for MiniSweAgent {
    fn name(&self) -> &'static str {
        "mini-swe-agent"
    }

    fn detect(&self, file_name: &str, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let json = text.trim_start().starts_with('{');
        json && (file_name.ends_with(".traj.json")
            || text.contains("\"mini_version\"")
            || text.contains("\"mini-swe-agent-1\""))
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let Some(doc) = read_json_doc(input, sink, "messages", "a mini-swe-agent trajectory")?
        else {
            return Ok(());
        };
        let messages = doc["messages"]
            .as_array()
            .expect("checked by read_json_doc");
        let name = file_stem(sink, &[".json", ".traj"]);
        let session = format!("mini-swe-agent:{name}");
        let info = doc.get("info").unwrap_or(&Value::Null);
        let mut out = Collected::default();
        let mut start = ev(&session, "session_start", None);
        start.agent = Some("mini-swe-agent".into());
        start.agent_version = s(info, "mini_version");
        start.model = info
            .pointer("/config/model/model_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        start.attrs = attrs(&[
            (
                "model_stats",
                info.get("model_stats").cloned().unwrap_or(Value::Null),
            ),
            (
                "trajectory_format",
                doc.get("trajectory_format").cloned().unwrap_or(Value::Null),
            ),
        ]);
        out.push(start, 1);
        let (mut seen_task, mut calls, mut open_call) = (false, 0, None::<String>);
        for (i, m) in messages.iter().enumerate() {
            let n = i as i64 + 1;
            let content = content_text(m.get("content").unwrap_or(&Value::Null));
            match m.get("role").and_then(Value::as_str) {
                Some("system") => sink.skipped("system"),
                Some("user") if !seen_task => {
                    seen_task = true;
                    let mut e = ev(&session, "user_message", None);
                    e.text = Some(task(&content));
                    e.attrs = attrs(&[("via", json!("task"))]);
                    out.push(e, n);
                }
                Some("user") => match classify(&content) {
                    Observation::Human => {
                        let mut e = ev(&session, "user_message", None);
                        e.text = Some(content.trim().to_string());
                        out.push(e, n);
                    }
                    Observation::FormatError => {
                        let mut e = ev(&session, "error", None);
                        e.error_type = Some("format_error".into());
                        e.message =
                            Some("the model's reply did not hold exactly one action".into());
                        out.push(e, n);
                    }
                    other => {
                        let timeout = other == Observation::Timeout;
                        let (status, output, code) = match other {
                            Observation::Output { code, text } => (
                                if code.unwrap_or(0) == 0 {
                                    "ok"
                                } else {
                                    "error"
                                },
                                text,
                                code,
                            ),
                            Observation::Timeout => ("error", content.trim().to_string(), None),
                            _ => ("rejected", String::new(), None),
                        };
                        let mut r = ev(&session, "tool_result", None);
                        r.call_id = open_call.take().or_else(|| Some(format!("step-{calls}")));
                        r.status = Some(status.into());
                        r.error_type = timeout.then(|| "timeout".into());
                        r.output = Some(cut(&output));
                        r.attrs = attrs(&[("returncode", code.map_or(Value::Null, |c| json!(c)))]);
                        out.push(r, n);
                    }
                },
                Some("assistant") => {
                    let (thought, action) = thought_and_action(&content);
                    if !thought.is_empty() {
                        let mut e = ev(&session, "assistant_message", None);
                        e.text = Some(thought);
                        out.push(e, n);
                    }
                    if let Some(action) = action {
                        calls += 1;
                        let id = format!("step-{calls}");
                        let mut c = ev(&session, "tool_call", None);
                        c.call_id = Some(id.clone());
                        c.tool = Some(
                            action
                                .split_whitespace()
                                .next()
                                .unwrap_or("bash")
                                .to_string(),
                        );
                        c.args = Some(json!({ "command": action }).to_string());
                        out.push(c, n);
                        open_call = Some(id);
                    }
                }
                Some(other) => sink.skipped(other),
                None => sink.skipped("no role"),
            }
        }
        let status = s(info, "exit_status").unwrap_or_default();
        let mut end = ev(&session, "session_end", None);
        end.status = Some(
            match status.as_str() {
                "Submitted" | "submitted" => "completed",
                "" => "unknown",
                _ => "abandoned",
            }
            .into(),
        );
        end.attrs = attrs(&[("exit_status", json!(status))]);
        out.push(end, messages.len() as i64);
        out.emit(sink);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_told_apart() {
        assert_eq!(
            classify("<returncode>2</returncode>\n<output>\nls: cannot access 'x'\n</output>"),
            Observation::Output {
                code: Some(2),
                text: "ls: cannot access 'x'".into()
            }
        );
        assert!(matches!(
            classify("<returncode>0</returncode>\n<warning>long</warning><output_head>\na\n</output_head>\n<elided_chars>9</elided_chars>\n<output_tail>\nz\n</output_tail>"),
            Observation::Output { code: Some(0), ref text } if text.contains('a') && text.contains('z')
        ));
        assert_eq!(
            classify(
                "Please always provide EXACTLY ONE action in triple backticks, found 2 actions."
            ),
            Observation::FormatError
        );
        assert_eq!(
            classify(
                "The last command <command>sleep 999</command> timed out and has been killed."
            ),
            Observation::Timeout
        );
        assert_eq!(
            classify("Command not executed. The user rejected your command."),
            Observation::Rejected
        );
        assert_eq!(
            classify("no, don't touch the migrations"),
            Observation::Human
        );
        assert_eq!(
            task(
                "<pr_description>\nConsider the following PR description:\nFix the date parser\n</pr_description>\n<instructions>..."
            ),
            "Fix the date parser"
        );
        assert_eq!(
            task(
                "Please solve this issue: add a --json flag\n\nYou can execute bash commands and edit files."
            ),
            "add a --json flag"
        );
        assert_eq!(
            thought_and_action("THOUGHT: list the files first.\n\n```bash\nls -la\n```"),
            ("list the files first.".into(), Some("ls -la".into()))
        );
        assert_eq!(thought_and_action("I am done.").1, None);
        assert_eq!(
            thought_and_action("Two:\n```bash\nls\n```\n```bash\npwd\n```").1,
            None
        );
    }
}
