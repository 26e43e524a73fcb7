//! The Claude Code hook on a cascade written for the test and on real transcripts
//! replayed prompt by prompt.

use std::path::PathBuf;

use serde_json::{Value, json};
use signals_hook::{Intervention, Messages, Result, claude_code};
use signals_judge::{FrictionParams, FrictionType};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn messages() -> Messages {
    Messages {
        cascade: "ask what they expect".into(),
        churn: "ask which files".into(),
    }
}

/// The hook with the test's wording and the default detector settings.
fn hook(input: &str) -> Result<Option<Intervention>> {
    claude_code(input, &messages(), &FrictionParams::default())
}

fn input(session: &str, transcript: &std::path::Path, prompt: &str) -> String {
    json!({
        "session_id": session,
        "transcript_path": transcript.display().to_string(),
        "cwd": "/home/dev/app",
        "hook_event_name": "UserPromptSubmit",
        "prompt": prompt,
    })
    .to_string()
}

const CASCADE_SESSION: &str = "5b1f0c2e-cascade-test";

#[test]
fn a_cascade_under_way_asks_the_agent_to_clarify_without_quoting_the_user() {
    let i = hook(&input(
        CASCADE_SESSION,
        &fixture("cascade.jsonl"),
        "It's still not blue. The login button should be blue!",
    ))
    .unwrap()
    .expect("an intervention");
    assert_eq!(i.friction_type, FrictionType::RephrasingCascade);
    assert_eq!(i.session_id, CASCADE_SESSION);
    let out: Value = serde_json::from_str(&i.output).unwrap();
    assert_eq!(
        out,
        json!({"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "ask what they expect"}})
    );
    assert!(!i.output.to_lowercase().contains("login"), "{}", i.output);
}

#[test]
fn a_new_request_on_the_same_transcript_is_left_alone() {
    let got = hook(&input(
        CASCADE_SESSION,
        &fixture("cascade.jsonl"),
        "Now add a unit test for the header component.",
    ))
    .unwrap();
    assert_eq!(got, None);
}

/// Giving up on the request the cascade was about, for something else, is not
/// one more restatement of it.
#[test]
fn giving_up_for_something_else_ends_the_cascade() {
    for prompt in [
        "Fine, leave the login button as it is and make the sign-in link bold instead.",
        "ok, just leave it. Make the login button bigger instead",
        "Whatever, skip that, move the login button to the left instead",
        "forget it, the login button is fine",
    ] {
        let got = hook(&input(CASCADE_SESSION, &fixture("cascade.jsonl"), prompt)).unwrap();
        assert_eq!(got, None, "{prompt}");
    }
}

/// Each human prompt of a real transcript, given to the hook with the transcript
/// as it was just before it: the built-in judge finds no rephrasing cascade or
/// churn in these sessions, so the hook stays silent every time.
#[test]
fn real_transcripts_replayed_prompt_by_prompt_get_no_intervention() {
    let dir = tempfile::tempdir().unwrap();
    let mut replayed = 0;
    for name in [
        "cctrace_phase0_raw_messages.jsonl",
        "irrlicht_2-19_tool-gate-permission-prompt.jsonl",
        "irrlicht_2-20_user-esc-interrupt.jsonl",
    ] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let prompt = v["message"]["content"].as_str().unwrap_or("");
            if v["type"] != "user"
                || v["isSidechain"] == true
                || prompt.is_empty()
                || prompt.starts_with(['<', '['])
            {
                continue;
            }
            let so_far = dir.path().join(format!("{name}.{n}"));
            std::fs::write(&so_far, lines[..n].join("\n") + "\n").unwrap();
            let session = v["sessionId"].as_str().unwrap();
            let got = hook(&input(session, &so_far, prompt)).unwrap();
            assert_eq!(got, None, "{name} line {}", n + 1);
            replayed += 1;
        }
    }
    // 18 human prompts in cctrace's session, a few in each scripted one.
    assert!(replayed >= 20, "{replayed}");
}

#[test]
fn other_events_a_missing_transcript_and_bad_input() {
    let stop = json!({"session_id": "s", "hook_event_name": "Stop"}).to_string();
    assert_eq!(hook(&stop).unwrap(), None);
    // A session's first prompt: its transcript may not exist yet.
    let first = input(
        "s",
        &fixture("no-such-transcript.jsonl"),
        "Add a login page",
    );
    assert_eq!(hook(&first).unwrap(), None);
    assert!(hook("not json").is_err());
}
