//! SWE-agent trajectories (`trajectories/<run>/<instance>.traj`): autonomous runs
//! without human turns or timestamps.

use std::io::BufRead;

use serde_json::{Value, json};

use super::{Collected, attrs, cut, ev, file_stem, read_json_doc, s};
use crate::Result;
use crate::format::{EventSink, Format};

/// SWE-agent's `.traj` JSON.
#[derive(Debug, Default)]
pub struct SweAgent;

impl Format for SweAgent {
    fn name(&self) -> &'static str {
        "swe-agent"
    }

    fn detect(&self, file_name: &str, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        file_name.ends_with(".traj")
            || (text.trim_start().starts_with('{')
                && text.contains("\"trajectory\"")
                && text.contains("\"history\""))
    }

    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()> {
        let Some(doc) = read_json_doc(input, sink, "trajectory", "a SWE-agent .traj file")? else {
            return Ok(());
        };
        let steps = doc["trajectory"]
            .as_array()
            .expect("checked by read_json_doc");
        let name = file_stem(sink, &[".traj"]);
        let session = format!("swe-agent:{name}");
        let info = doc.get("info").unwrap_or(&Value::Null);
        let mut out = Collected::default();
        let mut start = ev(&session, "session_start", None);
        start.agent = Some("swe-agent".into());
        start.agent_version = s(info, "swe_agent_version");
        start.attrs = attrs(&[(
            "model_stats",
            info.get("model_stats").cloned().unwrap_or(Value::Null),
        )]);
        out.push(start, 1);
        // The task statement is the first user message of the history.
        if let Some(task) = doc.get("history").and_then(Value::as_array).and_then(|h| {
            h.iter()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        }) {
            let mut e = ev(&session, "user_message", None);
            e.text = Some(super::content_text(
                task.get("content").unwrap_or(&Value::Null),
            ));
            e.attrs = attrs(&[("via", json!("task_statement"))]);
            out.push(e, 1);
        }
        for (i, step) in steps.iter().enumerate() {
            let n = i as i64 + 1;
            if let Some(thought) = s(step, "thought").filter(|t| !t.trim().is_empty()) {
                let mut e = ev(&session, "assistant_message", None);
                e.text = Some(thought);
                out.push(e, n);
            }
            let action = s(step, "action").unwrap_or_default();
            let command = action.split_whitespace().next().unwrap_or("").to_string();
            let id = format!("step-{n}");
            let mut c = ev(&session, "tool_call", None);
            c.call_id = Some(id.clone());
            c.tool = Some(if command.is_empty() {
                "action".into()
            } else {
                command
            });
            c.args = Some(json!({ "command": action.trim() }).to_string());
            c.attrs = attrs(&[(
                "execution_time",
                step.get("execution_time").cloned().unwrap_or(Value::Null),
            )]);
            out.push(c, n);
            let obs = s(step, "observation").unwrap_or_default();
            let failed = obs.contains("Traceback (most recent call last)")
                || obs.starts_with("Error")
                || obs.contains("command not found")
                || obs.contains("Your proposed edit has introduced new syntax error");
            let mut r = ev(&session, "tool_result", None);
            r.call_id = Some(id);
            r.status = Some(if failed { "error" } else { "ok" }.into());
            r.output = Some(cut(&obs));
            out.push(r, n);
        }
        let status = s(info, "exit_status").unwrap_or_default();
        let mut end = ev(&session, "session_end", None);
        end.status = Some(
            if status == "submitted" {
                "completed"
            } else if status.is_empty() {
                "unknown"
            } else {
                "abandoned"
            }
            .into(),
        );
        end.attrs = attrs(&[("exit_status", json!(status))]);
        out.push(end, steps.len() as i64);
        out.emit(sink);
        Ok(())
    }
}
