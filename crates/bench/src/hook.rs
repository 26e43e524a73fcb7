//! The live hook's latency: `signals hook claude-code` run as Claude Code runs it
//! (a child process, the hook input on stdin) on a long transcript whose last
//! prompt continues a rephrasing cascade, so the measured path is the one that
//! reads everything, judges and answers.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use crate::{Error, Result};

/// What the hook cost.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HookLatency {
    /// Transcript lines.
    pub lines: usize,
    /// Runs.
    pub runs: usize,
    /// Median wall time of a run (process start to exit), ms.
    pub median_ms: f64,
    /// Slowest run, ms.
    pub max_ms: f64,
    /// Whether the hook answered (it should: the last prompt restates).
    pub fired: bool,
}

/// A Claude Code transcript of about `lines` lines: turns of a prompt, an
/// assistant reply with a tool call and its result (a kilobyte of output), ending
/// with the same request asked twice.
pub fn transcript(session: &str, lines: usize) -> String {
    let mut out: Vec<String> = Vec::with_capacity(lines);
    let push = |v: serde_json::Value, out: &mut Vec<String>| out.push(v.to_string());
    let ts = |i: usize| {
        format!(
            "2026-12-01T{:02}:{:02}:{:02}.000Z",
            8 + i / 3600 % 12,
            i / 60 % 60,
            i % 60
        )
    };
    let output = "test result: ok. 42 passed; 0 failed\n".repeat(28);
    let mut turn = 0usize;
    let user = |text: &str, i: usize| {
        json!({"type": "user", "isSidechain": false, "sessionId": session, "timestamp": ts(i),
               "message": {"role": "user", "content": text}})
    };
    while out.len() + 6 < lines {
        turn += 1;
        let i = out.len();
        push(
            user(
                &format!(
                    "Step {turn}: add input validation to handler number {turn} and run its tests."
                ),
                i,
            ),
            &mut out,
        );
        let id = format!("toolu_{turn:05}");
        push(
            json!({"type": "assistant", "isSidechain": false, "sessionId": session, "timestamp": ts(i + 1),
                    "message": {"role": "assistant", "model": "claude-sonnet-4-5", "content": [
                        {"type": "text", "text": "I'll add the validation and run the tests."},
                        {"type": "tool_use", "id": id, "name": "Bash", "input": {"command": format!("cargo test handler_{turn}")}}]}}),
            &mut out,
        );
        push(
            json!({"type": "user", "isSidechain": false, "sessionId": session, "timestamp": ts(i + 2),
                    "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": output}]}}),
            &mut out,
        );
    }
    let i = out.len();
    push(
        user(
            "Make the login button on the sign-in page blue, like the primary buttons elsewhere.",
            i,
        ),
        &mut out,
    );
    push(
        json!({"type": "assistant", "isSidechain": false, "sessionId": session, "timestamp": ts(i + 1),
                "message": {"role": "assistant", "content": [{"type": "text", "text": "Done: the header is blue now."}]}}),
        &mut out,
    );
    push(
        user(
            "That's not what I asked. The login button should be blue, not the header.",
            i + 2,
        ),
        &mut out,
    );
    push(
        json!({"type": "assistant", "isSidechain": false, "sessionId": session, "timestamp": ts(i + 3),
                "message": {"role": "assistant", "content": [{"type": "text", "text": "The login button has a blue border now."}]}}),
        &mut out,
    );
    out.join("\n") + "\n"
}

/// Run the hook `runs` times on a transcript of `lines` lines.
pub fn measure(exe: &Path, dir: &Path, lines: usize, runs: usize) -> Result<HookLatency> {
    let session = "bench-hook-session";
    let path = dir.join("hook-transcript.jsonl");
    let text = transcript(session, lines);
    std::fs::write(&path, &text)?;
    let input = json!({
        "session_id": session,
        "transcript_path": path.display().to_string(),
        "hook_event_name": "UserPromptSubmit",
        "prompt": "No, I said the login button itself needs to be blue. Not its border!",
    })
    .to_string();
    let mut times = Vec::with_capacity(runs);
    let mut fired = true;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let mut child = std::process::Command::new(exe)
            .args(["hook", "claude-code"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Error::Step(format!("{}: {e}", exe.display())))?;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())?;
        let out = child.wait_with_output()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        fired &= !out.stdout.is_empty();
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(HookLatency {
        lines: text.lines().count(),
        runs: times.len(),
        median_ms: sorted[sorted.len() / 2],
        max_ms: *sorted.last().unwrap_or(&0.0),
        fired,
    })
}
