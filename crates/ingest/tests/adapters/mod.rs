//! The adapters on every licensed real sample (tests/fixtures/real, with its
//! SOURCES.md), on records the samples lack (user rejections), and under fuzzing.

use std::collections::BTreeMap;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use signals_ingest::format::EventSink;
use signals_ingest::model::Event;
use signals_ingest::registry::{detect, format_by_name};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real")
}

/// Collects what a format reports.
#[derive(Default)]
struct Sink {
    name: String,
    events: Vec<Event>,
    quarantined: Vec<(i64, String)>,
    skipped: BTreeMap<String, u64>,
}

impl EventSink for Sink {
    fn event(&mut self, event: Event, _line: i64) {
        self.events.push(event);
    }
    fn quarantine(&mut self, line: i64, reason: String, _raw: &str) {
        self.quarantined.push((line, reason));
    }
    fn skipped(&mut self, record_type: &str) {
        *self.skipped.entry(record_type.to_string()).or_default() += 1;
    }
    fn source(&self) -> &str {
        &self.name
    }
}

impl Sink {
    fn kinds(&self) -> String {
        let mut m: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &self.events {
            *m.entry(e.kind.as_str()).or_default() += 1;
        }
        m.iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| f(e)).count()
    }
}

/// Detect the format from name and head, as `--format auto` does, and read.
fn read_auto(path: &Path, bytes: &[u8]) -> (String, Sink) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let format = detect(&name, &bytes[..bytes.len().min(64 * 1024)])
        .unwrap_or_else(|| panic!("{name}: format not detected"));
    let mut sink = Sink {
        name: path.display().to_string(),
        ..Default::default()
    };
    format
        .read(&mut BufReader::new(Cursor::new(bytes)), &mut sink)
        .unwrap();
    (format.name().to_string(), sink)
}

fn read_file(rel: &str) -> (String, Sink) {
    let path = fixtures().join(rel);
    let bytes = std::fs::read(&path).unwrap();
    read_auto(&path, &bytes)
}

/// Event counts by kind, per sample file (checked against the files by hand:
/// e.g. cctrace has 18 typed prompts and one interrupt, the Codex developer
/// session 'ls' three times and one request, the Gemini rewind drops a turn).
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "aider/irrlicht_2-20_user-esc-interrupt.aider.chat.history.md",
        "aider",
        "interrupt=1 session_start=1 user_message=1",
    ),
    (
        "aider/zen-mcp-server.aider.chat.history.md",
        "aider",
        "context_add=11 interrupt=4 session_start=4 slash_command=8",
    ),
    (
        "claude_code/cctrace_phase0_raw_messages.jsonl",
        "claude-code",
        "assistant_message=75 interrupt=1 session_start=1 tool_call=152 tool_result=151 user_message=18",
    ),
    (
        "claude_code/irrlicht_1-5_session-reset.jsonl",
        "claude-code",
        "assistant_message=2 session_start=2 slash_command=1 user_message=2",
    ),
    (
        "claude_code/irrlicht_1-6_checkpoint-rewind.jsonl",
        "claude-code",
        "assistant_message=3 session_start=1 user_message=3",
    ),
    (
        "claude_code/irrlicht_2-12_context-compaction.jsonl",
        "claude-code",
        "assistant_message=2 context_add=1 other=1 session_start=1 slash_command=1 user_message=2",
    ),
    (
        "claude_code/irrlicht_2-14_turn-aborted-by-error.jsonl",
        "claude-code",
        "error=2 session_start=1 user_message=2",
    ),
    (
        "claude_code/irrlicht_2-19_tool-gate-permission-prompt.jsonl",
        "claude-code",
        "session_start=1 user_message=1",
    ),
    (
        "claude_code/irrlicht_2-20_user-esc-interrupt.jsonl",
        "claude-code",
        "assistant_message=1 interrupt=1 session_start=1 user_message=1",
    ),
    (
        "codex/irrlicht_1-5_session-reset.rollout.jsonl",
        "codex",
        "assistant_message=1 session_start=1 user_message=1",
    ),
    (
        "codex/irrlicht_1-6_checkpoint-rewind.rollout.jsonl",
        "codex",
        "assistant_message=3 session_start=2 user_message=3",
    ),
    (
        "codex/irrlicht_2-12_context-compaction.rollout.jsonl",
        "codex",
        "assistant_message=1 other=1 session_start=1 user_message=1",
    ),
    (
        "codex/irrlicht_2-19_tool-gate-permission-prompt.rollout.jsonl",
        "codex",
        "assistant_message=2 session_start=1 tool_call=2 tool_result=1 user_message=1",
    ),
    (
        "codex/irrlicht_2-20_interrupted-turn.rollout.jsonl",
        "codex",
        "assistant_message=1 interrupt=1 session_start=1 user_message=2",
    ),
    (
        "codex/irrlicht_regression_01-example-session.LEGACY.rollout.jsonl",
        "codex",
        "assistant_message=31 session_start=1 tool_call=87 tool_result=87 user_message=4",
    ),
    (
        "codex/irrlicht_regression_02-flicker-start-session.rollout.jsonl",
        "codex",
        "assistant_message=13 session_start=1 tool_call=43 tool_result=43 user_message=4",
    ),
    (
        "gemini_cli/irrlicht_1-6_checkpoint-rewind.session.jsonl",
        "gemini-cli",
        "assistant_message=2 message_edit=1 session_start=1 tool_call=4 tool_result=4 user_message=1",
    ),
    (
        "gemini_cli/irrlicht_2-12_context-compaction.session.jsonl",
        "gemini-cli",
        "assistant_message=2 session_start=1 user_message=2",
    ),
    (
        "gemini_cli/irrlicht_2-14_turn-aborted-by-error.session.jsonl",
        "gemini-cli",
        "error=1 session_start=1 user_message=1",
    ),
    (
        "gemini_cli/irrlicht_2-20_user-esc-interrupt.session.jsonl",
        "gemini-cli",
        "assistant_message=1 interrupt=1 session_start=1 user_message=2",
    ),
    (
        "gemini_cli/irrlicht_testdata_real-toolcall-session.jsonl",
        "gemini-cli",
        "assistant_message=1 session_start=1 tool_call=2 tool_result=2 user_message=1",
    ),
    (
        "openhands/trajs_basic.json",
        "openhands",
        "assistant_message=1 session_start=1 tool_call=1 tool_result=1 user_message=1",
    ),
    (
        "openhands/trajs_basic_gui_mode.json",
        "openhands",
        "assistant_message=1 session_start=1 tool_call=4 tool_result=4 user_message=1",
    ),
    (
        "openhands/trajs_basic_interactions.json",
        "openhands",
        "assistant_message=3 session_start=1 user_message=3",
    ),
    (
        "openhands/trajs_wrong_initial_state.json",
        "openhands",
        "assistant_message=1 session_start=1 tool_call=3 tool_result=3 user_message=1",
    ),
    (
        "swe_agent/demo_function_calling_replace_marshmallow-1867.traj",
        "swe-agent",
        "assistant_message=11 session_end=1 session_start=1 tool_call=11 tool_result=11 user_message=1",
    ),
    (
        "swe_agent/demo_human_thought_humanevalfix-python-0.traj",
        "swe-agent",
        "assistant_message=5 session_end=1 session_start=1 tool_call=5 tool_result=5 user_message=1",
    ),
    (
        "swe_agent/test_gpt4_pydicom-1458.traj",
        "swe-agent",
        "assistant_message=12 session_end=1 session_start=1 tool_call=12 tool_result=12 user_message=1",
    ),
];

#[test]
fn every_sample_maps_to_the_expected_events() {
    let mut failures = Vec::new();
    for (rel, format, kinds) in EXPECTED {
        let (f, sink) = read_file(rel);
        if f != *format || sink.kinds() != *kinds || !sink.quarantined.is_empty() {
            failures.push(format!(
                "{rel}: {f} {} (quarantined {:?})",
                sink.kinds(),
                sink.quarantined
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every sample file in the fixtures is covered.
    let mut n = 0;
    for dir in std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .filter(|d| d.path().is_dir())
    {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if !f.file_name().to_string_lossy().ends_with(".input.history") {
                n += 1;
            }
        }
    }
    assert_eq!(n, EXPECTED.len());
}

#[test]
fn interrupts_errors_and_sessions_where_the_samples_have_them() {
    let status = |s: &Sink, st: &str| s.count(|e| e.status.as_deref() == Some(st));
    let (_, cc) = read_file("claude_code/cctrace_phase0_raw_messages.jsonl");
    assert_eq!(status(&cc, "error"), 2, "two is_error tool results");
    assert!(
        cc.events[0]
            .model
            .as_deref()
            .is_some_and(|m| m.starts_with("claude")),
        "model from the first reply: {:?}",
        cc.events[0]
    );
    assert_eq!(cc.events[0].agent_version.as_deref(), Some("2.0.76"));
    assert!(cc.skipped.contains_key("claude-code:file-history-snapshot"));
    let (_, cc) = read_file("claude_code/irrlicht_2-14_turn-aborted-by-error.jsonl");
    assert!(
        cc.events
            .iter()
            .filter(|e| e.kind == "error")
            .all(|e| e.error_type.as_deref() == Some("api_error"))
    );
    // /clear starts a new session id; the command is its own event.
    let (_, cc) = read_file("claude_code/irrlicht_1-5_session-reset.jsonl");
    let ids: std::collections::BTreeSet<_> =
        cc.events.iter().map(|e| e.session_id.clone()).collect();
    assert_eq!(ids.len(), 2);
    assert!(
        cc.events
            .iter()
            .any(|e| e.kind == "slash_command" && e.text.as_deref() == Some("/clear"))
    );
    // Injected text is never a user message.
    for rel in [
        "claude_code/irrlicht_2-12_context-compaction.jsonl",
        "codex/irrlicht_2-20_interrupted-turn.rollout.jsonl",
        "codex/irrlicht_regression_01-example-session.LEGACY.rollout.jsonl",
        "gemini_cli/irrlicht_2-20_user-esc-interrupt.session.jsonl",
    ] {
        let (_, s) = read_file(rel);
        for e in s.events.iter().filter(|e| e.kind == "user_message") {
            let t = e.text.as_deref().unwrap();
            assert!(
                !t.starts_with('<') && !t.contains("AGENTS.md instructions"),
                "{rel}: {t}"
            );
        }
    }
    let (_, cx) = read_file("codex/irrlicht_2-19_tool-gate-permission-prompt.rollout.jsonl");
    assert_eq!(
        status(&cx, "error"),
        1,
        "the policy rejection is a failed step"
    );
    let (_, cx) = read_file("codex/irrlicht_1-6_checkpoint-rewind.rollout.jsonl");
    let fork = cx
        .events
        .iter()
        .find(|e| {
            e.kind == "session_start"
                && e.attrs
                    .as_deref()
                    .is_some_and(|a| a.contains("forked_from_id"))
        })
        .unwrap();
    let fork_turns: Vec<_> = cx
        .events
        .iter()
        .filter(|e| e.session_id == fork.session_id && e.kind == "user_message")
        .collect();
    assert_eq!(
        fork_turns.len(),
        1,
        "replayed history is not the fork's own: {fork_turns:?}"
    );
    let (_, cx) = read_file("codex/irrlicht_regression_02-flicker-start-session.rollout.jsonl");
    assert_eq!(status(&cx, "error"), 2, "non-zero exit codes");
    assert_eq!(
        cx.count(|e| e.text.as_deref() == Some("ls")),
        3,
        "the user typed ls three times, each counted once"
    );
    let (_, g) = read_file("gemini_cli/irrlicht_2-14_turn-aborted-by-error.session.jsonl");
    assert_eq!(g.count(|e| e.error_type.as_deref() == Some("api_error")), 1);
    let (_, a) = read_file("aider/zen-mcp-server.aider.chat.history.md");
    assert!(
        a.events
            .iter()
            .any(|e| e.kind == "context_add" && e.path.as_deref() == Some("config.py"))
    );
    // Prompt times come from the input history beside the chat file.
    let add = a.events.iter().find(|e| e.kind == "slash_command").unwrap();
    assert_eq!(
        add.ts.unwrap().to_rfc3339(),
        "2025-10-20T21:49:27.766228+00:00"
    );
    let (_, oh) = read_file("openhands/trajs_basic_gui_mode.json");
    assert_eq!(
        status(&oh, "error"),
        1,
        "the server killed with exit code -1"
    );
    let (_, swe) = read_file("swe_agent/test_gpt4_pydicom-1458.traj");
    assert_eq!(
        swe.events.last().unwrap().status.as_deref(),
        Some("completed")
    );
}

/// Records the samples do not have, written as the agents write them.
#[test]
fn user_rejections_in_every_format_that_records_them() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "s.jsonl",
            concat!(
                r#"{"type":"assistant","sessionId":"c1","timestamp":"2026-01-01T00:00:00Z","message":{"id":"m1","model":"claude-x","content":[{"type":"tool_use","id":"t1","name":"Edit","input":{"file_path":"a.rs"}}]}}"#,
                "\n",
                r#"{"type":"user","sessionId":"c1","timestamp":"2026-01-01T00:00:05Z","toolUseResult":"User rejected tool use","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"The user doesn't want to proceed with this tool use. The tool use was rejected. To tell you how to proceed, the user said:\nuse the other file"}]}}"#,
                "\n",
                r#"{"type":"user","sessionId":"c1","timestamp":"2026-01-01T00:00:09Z","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user for tool use]"}]}}"#,
                "\n",
                r#"{"type":"user","sessionId":"c1","timestamp":"2026-01-01T00:00:09Z","message":{"role":"user","content":"cut off"#
            ),
            "claude-code",
        ),
        (
            "rollout-x.jsonl",
            concat!(
                r#"{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"x1","cli_version":"0.1"}}"#,
                "\n",
                r#"{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"cmd\":\"rm -rf x\"}","call_id":"k1"}}"#,
                "\n",
                r#"{"timestamp":"2026-01-01T00:00:02Z","type":"response_item","payload":{"type":"function_call_output","call_id":"k1","output":"exec command rejected by user"}}"#,
                "\n",
                r#"{"timestamp":"2026-01-01T00:00:03Z","type":"brand_new_record","payload":{}}"#,
                "\n"
            ),
            "codex",
        ),
        (
            "session-x.jsonl",
            concat!(
                r#"{"sessionId":"g1","projectHash":"h","startTime":"2026-01-01T00:00:00Z"}"#,
                "\n",
                r#"{"id":"a","timestamp":"2026-01-01T00:00:01Z","type":"gemini","content":"","toolCalls":[{"id":"t","name":"run_shell_command","args":{},"status":"cancelled","result":[{"functionResponse":{"response":{"error":"[Operation Cancelled] Reason: User did not allow tool call"}}}]}]}"#,
                "\n"
            ),
            "gemini-cli",
        ),
        (
            "x.aider.chat.history.md",
            "# aider chat started at 2026-01-01 10:00:00\n\n#### run the tests  \n\n> Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: n  \n",
            "aider",
        ),
        (
            "x.json",
            r#"[{"id":1,"timestamp":"2026-01-01T00:00:00","source":"agent","action":"run","args":{"command":"ls"}},{"id":2,"timestamp":"2026-01-01T00:00:01","source":"user","observation":"user_rejected","cause":1,"content":"","extras":{}}]"#,
            "openhands",
        ),
    ];
    for (name, body, format) in cases {
        let (f, sink) = read_auto(Path::new(name), body.as_bytes());
        assert_eq!(f, *format, "{name}");
        let rejected =
            sink.count(|e| e.kind == "tool_result" && e.status.as_deref() == Some("rejected"));
        assert_eq!(rejected, 1, "{name}: {:#?}", sink.events);
    }
    let (_, cc) = read_auto(Path::new("s.jsonl"), cases[0].1.as_bytes());
    assert!(
        cc.events
            .iter()
            .any(|e| e.kind == "user_message" && e.text.as_deref() == Some("use the other file")),
        "the reason given is a user turn"
    );
    assert_eq!(cc.count(|e| e.kind == "interrupt"), 1);
    assert_eq!(cc.quarantined.len(), 1, "the truncated last line");
    assert!(
        cc.quarantined[0].1.contains("truncated"),
        "{:?}",
        cc.quarantined
    );
    let (_, cx) = read_auto(Path::new("rollout-x.jsonl"), cases[1].1.as_bytes());
    assert_eq!(
        cx.skipped.get("codex:brand_new_record"),
        Some(&1),
        "unknown records are counted and skipped"
    );
}

/// A real sample, mutated: cut short, bytes replaced or inserted, lines dropped
/// or repeated.
fn mutate(bytes: &[u8], ops: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for (op, at, byte) in ops {
        if b.is_empty() {
            break;
        }
        let i = at % b.len();
        let line_start = b[..i]
            .iter()
            .rposition(|c| *c == b'\n')
            .map_or(0, |p| p + 1);
        let line_end = b[i..]
            .iter()
            .position(|c| *c == b'\n')
            .map_or(b.len(), |p| i + p);
        match op % 5 {
            0 => b.truncate(i),
            1 => b[i] = *byte,
            2 => b.insert(i, *byte),
            3 => {
                b.drain(line_start..line_end);
            }
            _ => {
                let mut line = b[line_start..line_end].to_vec();
                line.push(b'\n');
                b.splice(line_start..line_start, line);
            }
        }
    }
    b
}

/// One small sample per format (small, so that many cases fit in CI's time).
const FUZZ: &[(&str, &str)] = &[
    (
        "claude_code/irrlicht_2-20_user-esc-interrupt.jsonl",
        "claude-code",
    ),
    (
        "codex/irrlicht_2-20_interrupted-turn.rollout.jsonl",
        "codex",
    ),
    (
        "gemini_cli/irrlicht_1-6_checkpoint-rewind.session.jsonl",
        "gemini-cli",
    ),
    ("aider/zen-mcp-server.aider.chat.history.md", "aider"),
    ("openhands/trajs_wrong_initial_state.json", "openhands"),
    (
        "swe_agent/demo_human_thought_humanevalfix-python-0.traj",
        "swe-agent",
    ),
    (
        "claude_code/irrlicht_2-14_turn-aborted-by-error.jsonl",
        "interchange",
    ),
];

proptest! {
    // Bounded for CI; set PROPTEST_CASES higher for a longer local run.
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_input_crashes_a_parser(
        which in 0..FUZZ.len(),
        ops in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        let (rel, format) = FUZZ[which];
        let path = fixtures().join(rel);
        let bytes = mutate(&std::fs::read(&path).unwrap(), &ops);
        // Forced, as `--format NAME` does: whatever the bytes, no panic, and every
        // problem is a quarantined record rather than an error.
        let f = format_by_name(format).unwrap();
        let mut sink = Sink { name: path.display().to_string(), ..Default::default() };
        prop_assert!(f.read(&mut BufReader::new(Cursor::new(&bytes)), &mut sink).is_ok());
        // Detection on mutated bytes never panics either.
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let _ = detect(&name, &bytes[..bytes.len().min(4096)]);
    }
}

#[test]
fn gemini_legacy_single_json_file() {
    let doc = r#"{
  "sessionId": "legacy-1",
  "projectHash": "abc",
  "startTime": "2025-09-01T10:00:00.000Z",
  "lastUpdated": "2025-09-01T10:05:00.000Z",
  "messages": [
    {"id": "1", "timestamp": "2025-09-01T10:00:01.000Z", "type": "user", "content": "add a --verbose flag"},
    {"id": "2", "timestamp": "2025-09-01T10:00:09.000Z", "type": "gemini", "content": "Done.", "model": "gemini-2.5-pro",
     "toolCalls": [{"id": "t1", "name": "replace", "args": {"file_path": "cli.py"}, "status": "error", "result": []}]},
    {"id": "3", "timestamp": "2025-09-01T10:01:00.000Z", "type": "info", "content": "Request cancelled."}
  ]
}"#;
    let (f, s) = read_auto(
        Path::new("session-2025-09-01T10-00-legacy.json"),
        doc.as_bytes(),
    );
    assert_eq!(f, "gemini-cli");
    assert_eq!(
        s.kinds(),
        "assistant_message=1 interrupt=1 session_start=1 tool_call=1 tool_result=1 user_message=1"
    );
    assert_eq!(s.events[0].model.as_deref(), Some("gemini-2.5-pro"));
    assert_eq!(s.count(|e| e.status.as_deref() == Some("error")), 1);
}

/// mini-swe-agent, from a trajectory written to its format
/// (`tests/fixtures/spec/SOURCES.md`): observations are `user` messages, but only
/// the task and what the human typed are user turns.
#[test]
fn mini_swe_agent_observations_are_not_user_turns() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec/last_mini_run.traj.json");
    let bytes = std::fs::read(&path).unwrap();
    let (format, sink) = read_auto(&path, &bytes);
    assert_eq!(format, "mini-swe-agent");
    assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
    assert_eq!(
        sink.kinds(),
        "assistant_message=7 error=1 session_end=1 session_start=1 tool_call=6 tool_result=5 user_message=2"
    );
    let users: Vec<&str> = sink
        .events
        .iter()
        .filter(|e| e.kind == "user_message")
        .map(|e| e.text.as_deref().unwrap())
        .collect();
    assert_eq!(
        users,
        [
            "The CSV export drops the header row when the table is empty.",
            "don't delete the folder, just fix the header logic in csv.py"
        ]
    );
    let status =
        |s: &str| sink.count(|e| e.kind == "tool_result" && e.status.as_deref() == Some(s));
    assert_eq!(
        (status("ok"), status("error"), status("rejected")),
        (3, 1, 1)
    );
    // Results answer the call before them.
    let rejected = sink
        .events
        .iter()
        .find(|e| e.status.as_deref() == Some("rejected"))
        .unwrap();
    let call = sink
        .events
        .iter()
        .find(|e| e.kind == "tool_call" && e.call_id == rejected.call_id)
        .unwrap();
    assert!(call.args.as_deref().unwrap().contains("rm -rf"));
    let start = &sink.events[0];
    assert_eq!(start.agent.as_deref(), Some("mini-swe-agent"));
    assert_eq!(start.agent_version.as_deref(), Some("1.9.0"));
    assert_eq!(start.model.as_deref(), Some("anthropic/claude-sonnet-4-5"));
    assert_eq!(
        sink.events.last().unwrap().status.as_deref(),
        Some("completed")
    );
    // Truncated files are quarantined, never a crash.
    let (_, cut) = read_auto(&path, &bytes[..bytes.len() / 2]);
    assert!(cut.events.is_empty() && cut.quarantined.len() == 1);
}

/// The OpenHands resolver's `output.jsonl`, written to its format
/// (`tests/fixtures/spec/SOURCES.md`): a session per line, calls and
/// observations paired by position (the events have no ids or timestamps).
#[test]
fn openhands_resolver_output_pairs_events_without_ids() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec/output.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let (format, sink) = read_auto(&path, &bytes);
    assert_eq!(format, "openhands-resolver");
    assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
    let sessions: std::collections::BTreeSet<&str> =
        sink.events.iter().map(|e| e.session_id.as_str()).collect();
    assert_eq!(
        sessions.into_iter().collect::<Vec<_>>(),
        [
            "openhands-resolver:acme/widgets#42",
            "openhands-resolver:acme/widgets#57"
        ]
    );
    let of = |id: &str, kind: &str| -> Vec<&Event> {
        sink.events
            .iter()
            .filter(|e| e.session_id.ends_with(id) && e.kind == kind)
            .collect()
    };
    // #42: the instruction from its history, four calls each answered.
    assert_eq!(of("#42", "user_message").len(), 1);
    let calls = of("#42", "tool_call");
    let results = of("#42", "tool_result");
    assert_eq!((calls.len(), results.len()), (4, 4));
    for (c, r) in calls.iter().zip(&results) {
        assert_eq!(c.call_id, r.call_id);
    }
    let st: Vec<&str> = results
        .iter()
        .map(|r| r.status.as_deref().unwrap())
        .collect();
    assert_eq!(st, ["ok", "error", "ok", "ok"]);
    assert_eq!(
        of("#42", "session_end")[0].status.as_deref(),
        Some("completed")
    );
    // #57: the issue is the request; both commands failed, the run errored.
    let asked = of("#57", "user_message");
    assert!(
        asked[0]
            .text
            .as_deref()
            .unwrap()
            .starts_with("Build fails on a fresh checkout")
    );
    assert_eq!(
        of("#57", "tool_result")
            .iter()
            .filter(|r| r.status.as_deref() == Some("error"))
            .count(),
        2
    );
    assert_eq!(
        of("#57", "error").len(),
        2,
        "the agent's error state and the resolver's error"
    );
    assert_eq!(
        of("#57", "session_end")[0].status.as_deref(),
        Some("abandoned")
    );
    // A line cut short is quarantined; the other line is kept.
    let text = String::from_utf8_lossy(&bytes).to_string();
    let first = text.lines().next().unwrap();
    let broken = format!(
        "{}\n{}\n",
        &first[..first.len() / 2],
        text.lines().nth(1).unwrap()
    );
    let (_, cut) = read_auto(&path, broken.as_bytes());
    assert_eq!(cut.quarantined.len(), 1);
    assert!(cut.events.iter().all(|e| e.session_id.ends_with("#57")));
}

/// An OpenHands V1 conversation folder, written to the SDK's format
/// (`tests/fixtures/spec/SOURCES.md`): every file is detected, names its
/// conversation, and places its event by its number, whatever the read order.
#[test]
fn openhands_v1_folder_is_one_session_in_order() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec/openhands_v1/c0ffee12");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("events"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files.reverse();
    files.push(dir.join("base_state.json"));
    let mut events: Vec<Event> = Vec::new();
    for f in &files {
        let (format, sink) = read_auto(f, &std::fs::read(f).unwrap());
        assert_eq!(format, "openhands-v1", "{}", f.display());
        assert!(sink.quarantined.is_empty(), "{:?}", sink.quarantined);
        events.extend(sink.events);
    }
    assert!(events.iter().all(|e| e.session_id == "openhands:c0ffee12"));
    events.sort_by_key(|e| e.seq);
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match &e.status {
            Some(s) if e.kind == "tool_result" => format!("tool_result:{s}"),
            _ => e.kind.clone(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "session_start",
            "user_message",
            "tool_call",
            "tool_result:ok",
            "tool_call",
            "tool_result:rejected",
            "user_message",
            "tool_call",
            "tool_result:error",
            "error",
            "assistant_message",
            "session_end"
        ]
    );
    let start = &events[0];
    assert_eq!(
        start.model.as_deref(),
        Some("litellm_proxy/claude-sonnet-4-5")
    );
    assert_eq!(events.last().unwrap().status.as_deref(), Some("completed"));
    // Calls and results share their tool call id.
    assert_eq!(events[4].call_id, events[5].call_id);
    assert_eq!(
        events[1].text.as_deref(),
        Some("Add a --dry-run flag to the deploy script")
    );
    // The V0 export is still read as V0.
    let (v0, _) = read_file("openhands/trajs_basic.json");
    assert_eq!(v0, "openhands");
}

/// What real aider histories hold besides typed prompts: answers to aider's own
/// confirmation prompts logged as input lines (one real history read as a user
/// "restating the same request 7 times"), multi-line prompts as consecutive
/// `####` lines, and prompts aider writes itself in --watch-files mode.
#[test]
fn aider_confirmations_multi_line_prompts_and_watch_prompts() {
    let history = concat!(
        "# aider chat started at 2026-01-01 10:00:00\n\n",
        "#### add a retry to the upload client  \n",
        "####   \n",
        "#### and log each attempt  \n\n",
        "#### Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: all  \n",
        "#### Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: all  \n",
        "#### Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: s  \n\n",
        "I'll add the retry.\n\n",
        "#### I've written your instructions in comments in the code and marked them with \"ai\"  \n",
        "#### You can see the \"AI\" comments shown below (marked with █).  \n\n",
        "Done.\n\n",
        "#### Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: n  \n",
    );
    let (f, sink) = read_auto(Path::new("y.aider.chat.history.md"), history.as_bytes());
    assert_eq!(f, "aider");
    let users: Vec<&str> = sink
        .events
        .iter()
        .filter(|e| e.kind == "user_message")
        .filter_map(|e| e.text.as_deref())
        .collect();
    assert_eq!(
        users,
        ["add a retry to the upload client\n\nand log each attempt"],
        "{:#?}",
        sink.events
    );
    let results: Vec<&str> = sink
        .events
        .iter()
        .filter(|e| e.kind == "tool_result")
        .filter_map(|e| e.status.as_deref())
        .collect();
    assert_eq!(results, ["ok", "ok", "rejected", "rejected"]);
    let watch = sink.count(|e| {
        e.kind == "other"
            && e.attrs
                .as_deref()
                .is_some_and(|a| a.contains("watch_prompt"))
    });
    assert_eq!(watch, 1);
}

/// OpenTelemetry in: OTLP JSON Lines as the Collector's file exporter writes them,
/// with fixtures written from the specs (`fixtures/spec/SOURCES.md`): GenAI
/// semantic-convention spans (a parent written after its children; messages as
/// JSON text and as structured values; the older `gen_ai.prompt.N` attributes),
/// OpenInference spans, and the log events of Claude Code and Codex.
#[test]
fn otlp_spans_and_agent_log_events_become_sessions() {
    let read = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/spec/otel")
            .join(name);
        read_auto(&path, &std::fs::read(&path).unwrap())
    };
    let (f, spans) = read("genai-spans.otlp.jsonl");
    assert_eq!(f, "otel");
    let per = |sink: &Sink, session: &str, kind: &str| {
        sink.count(|e| e.session_id == session && e.kind == kind)
    };
    // conv-1: the agent's span starts it; each chat span repeats the history, and
    // only the user turn after it is new (2, not 3); the failed tool span is an error.
    assert_eq!(
        spans
            .events
            .iter()
            .filter(|e| e.session_id == "conv-1")
            .count(),
        7
    );
    assert_eq!(per(&spans, "conv-1", "user_message"), 2);
    assert_eq!(per(&spans, "conv-1", "assistant_message"), 2);
    let start = spans
        .events
        .iter()
        .find(|e| e.session_id == "conv-1")
        .unwrap();
    assert_eq!(
        (
            start.kind.as_str(),
            start.agent.as_deref(),
            start.model.as_deref()
        ),
        ("session_start", Some("docs-bot"), Some("gpt-5"))
    );
    assert_eq!(
        spans.count(|e| e.kind == "tool_result" && e.status.as_deref() == Some("error")),
        1
    );
    // conv-2 (structured messages), conv-3 (gen_ai.prompt.N), oi-1 (OpenInference).
    assert_eq!(per(&spans, "conv-2", "user_message"), 1);
    assert_eq!(per(&spans, "conv-3", "assistant_message"), 1);
    assert_eq!(per(&spans, "oi-1", "user_message"), 1);
    assert_eq!(
        spans.count(|e| e.session_id == "oi-1" && e.tool.as_deref() == Some("grep")),
        1
    );
    assert_eq!(spans.events.len(), 17);
    assert_eq!(spans.quarantined.len(), 1, "the span with a numeric name");

    let (f, logs) = read("agent-logs.otlp.jsonl");
    assert_eq!(f, "otel");
    assert_eq!(logs.events.len(), 14);
    // Claude Code: a typed prompt, a declined Bash, a failed Edit, an API error,
    // and a prompt whose text was not logged (a turn without text).
    assert_eq!(per(&logs, "cc-1", "user_message"), 2);
    assert_eq!(
        logs.count(|e| e.session_id == "cc-1" && e.status.as_deref() == Some("rejected")),
        1
    );
    assert_eq!(
        logs.count(|e| e.session_id == "cc-1" && e.status.as_deref() == Some("error")),
        1
    );
    assert_eq!(per(&logs, "cc-1", "error"), 1);
    // Codex: a denied shell command and a patch applied.
    assert_eq!(
        logs.count(|e| e.session_id == "cx-1" && e.status.as_deref() == Some("rejected")),
        1
    );
    assert_eq!(logs.skipped.get("otel:claude_code.api_request"), Some(&1));
}
