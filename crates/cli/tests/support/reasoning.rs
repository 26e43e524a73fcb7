//! The LLM judge on reasoning models, against a fake OpenAI that behaves like
//! them (refuses `max_tokens` and `temperature`, spends reasoning tokens out of
//! the completion budget, answers empty on `length`): the defaults judge with
//! `gpt-5-mini`, a truncated reply is retried with twice the budget, a stage that
//! mostly failed fails with a message that says what to change and a rerun
//! judges only the failures, `signals judge --judge openai` works like the stage,
//! the cascade, and personal data that a model echoes never reaches a table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::openai::{FakeOpenAi, Reply};
use crate::{ok, signals_env};

const KEY: &str = "sk-test-reasoning-0123456789abcdef";

fn pass_of(body: &Value) -> &'static str {
    if body["response_format"]["json_schema"]["name"] == "signals_facets" {
        "facets"
    } else {
        "friction"
    }
}

/// The session text a request carries.
fn session_text(body: &Value) -> String {
    let data: Value = serde_json::from_str(body["messages"][1]["content"].as_str().unwrap_or("{}"))
        .unwrap_or_default();
    data["session"].as_str().unwrap_or("").to_string()
}

fn good(pass: &str) -> String {
    if pass == "facets" {
        json!({"languages": ["rust"], "frameworks": [], "intent": "feature", "outcome": "completed", "summary": "a feature that was added after a failed build"}).to_string()
    } else {
        json!({"moments": [{"friction_type": "rephrasing_cascade", "severity": "medium", "first_seq": 1, "last_seq": 1, "citation": "the user restated the request in other words", "confidence": 0.7}]}).to_string()
    }
}

fn env() -> Vec<(String, String)> {
    vec![("OPENAI_API_KEY".to_string(), KEY.to_string())]
}

fn lake_with(dir: &Path, sessions: &str, seed: &str) -> String {
    crate::llm::generated_lake(dir, sessions, "2", seed)
}

/// `signals ARGS` with the key, the server's URL as `llm_base_url` when the
/// command takes `--param`, and no OPENAI_BASE_URL.
fn run(lake: &str, server: &FakeOpenAi, args: &[&str]) -> Output {
    let base = format!("llm_base_url={}", server.url);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--param", base.as_str()]);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_signals"));
    cmd.args(&all)
        .env("SIGNALS_LAKE", lake)
        .env("OPENAI_API_KEY", KEY)
        .env_remove("OPENAI_BASE_URL");
    tokio::task::block_in_place(|| cmd.output().unwrap())
}

/// `signals run daily --date DATE --judge JUDGE` with `args`: flags as they
/// are, and `NAME=VALUE` pairs as `--param`s.
fn run_daily(lake: &str, server: &FakeOpenAi, date: &str, judge: &str, args: &[&str]) -> Output {
    let mut all = vec!["run", "daily", "--date", date, "--judge", judge];
    for a in args {
        if !a.starts_with("--") {
            all.push("--param");
        }
        all.push(a);
    }
    run(lake, server, &all)
}

/// `signals judge --date DATE --judge openai --param PARAM`.
fn judge_date(lake: &str, server: &FakeOpenAi, date: &str, param: &str) -> Output {
    run(
        lake,
        server,
        &[
            "judge", "--date", date, "--judge", "openai", "--param", param,
        ],
    )
}

/// The date's analysed sessions.
fn analysed(lake: &str, date: &str) -> i64 {
    count(
        lake,
        &format!("SELECT count(*) FROM analysed_sessions WHERE date = '{date}'"),
    )
}

fn count(lake: &str, sql: &str) -> i64 {
    let out = ok(&signals_env(lake, &["sql", "--format", "csv", sql], &env()));
    out.lines()
        .nth(1)
        .unwrap_or("0")
        .trim()
        .parse()
        .unwrap_or(0)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpt_5_mini_with_the_defaults_analyses_the_sessions() {
    let server = FakeOpenAi::start(|_, body| Reply::Content(good(pass_of(body)))).await;
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with(dir.path(), "120", "31");
    let date = "2026-11-01";
    // The pipeline's defaults: gpt-5-mini, batch mode; --wait collects in one run.
    let out = ok(&run_daily(
        &lake,
        &server,
        date,
        "openai",
        &["--wait", "llm_poll_ms=5"],
    ));
    assert!(out.contains("daily 2026-11-01: succeeded"), "{out}");
    let analysed = analysed(&lake, "2026-11-01");
    assert!(analysed >= 20, "{analysed}");
    let judged = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM frictions WHERE date = '2026-11-01' AND judge = 'openai:gpt-5-mini'",
    );
    assert!(
        judged as f64 >= 0.95 * analysed as f64,
        "{judged} of {analysed} analysed"
    );
    let requests = count(&lake, "SELECT count(*) FROM judge_usage");
    let failed = count(
        &lake,
        "SELECT count(*) FROM judge_usage WHERE status <> 'ok'",
    );
    assert!(
        (failed as f64) < 0.1 * requests as f64,
        "{failed} of {requests} requests failed"
    );
    // What was sent: reasoning_effort low, room for reasoning, never max_tokens
    // or a temperature.
    let bodies = server.bodies();
    assert_eq!(bodies.len() as i64, 2 * analysed);
    for b in &bodies {
        assert_eq!(b["model"], "gpt-5-mini");
        assert_eq!(b["reasoning_effort"], "low");
        assert!(b.get("max_tokens").is_none() && b.get("temperature").is_none());
        assert!(b["max_completion_tokens"].as_u64().unwrap() > 4_096);
    }
    // Reasoning tokens are recorded, and costed at gpt-5-mini's batch prices.
    let row = ok(&signals_env(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT sum(reasoning_tokens), sum(output_tokens), sum(input_tokens), sum(cost_usd) FROM judge_usage",
        ],
        &env(),
    ));
    let v: Vec<f64> = row
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(v[0] > 0.0 && v[0] < v[1], "{row}");
    let expected = (v[2] * 0.125 + v[1] * 1.0) / 1e6;
    assert!(
        (v[3] - expected).abs() < 1e-6 * expected,
        "{row}: {expected}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_reply_is_retried_with_twice_the_budget() {
    // A model whose answers need 3,000 visible tokens: short budgets are cut off.
    let server = FakeOpenAi::start(|_, body| {
        if body["max_completion_tokens"].as_u64().unwrap_or(0) < 3_000 {
            Reply::Truncated("{\"moments\": [".into())
        } else {
            Reply::Content(good(pass_of(body)))
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with(dir.path(), "60", "32");
    let out = ok(&run_daily(
        &lake,
        &server,
        "2026-11-01",
        "openai",
        &[
            "llm_model=llama3.1:8b",
            "llm_mode=sync",
            "llm_max_attempts=5",
        ],
    ));
    assert!(out.contains("succeeded"), "{out}");
    assert_eq!(count(&lake, "SELECT count(*) FROM judge_failures"), 0);
    // A non-reasoning model: no reasoning_effort; each session's budgets double.
    let mut budgets: BTreeMap<(String, &str), Vec<u64>> = BTreeMap::new();
    for b in server.chats() {
        assert!(b.get("reasoning_effort").is_none());
        budgets
            .entry((session_text(&b), pass_of(&b)))
            .or_default()
            .push(b["max_completion_tokens"].as_u64().unwrap());
    }
    let facets = budgets.iter().find(|((_, p), _)| *p == "facets").unwrap().1;
    assert_eq!(facets, &vec![400, 800, 1_600, 3_200]);
    for (k, b) in &budgets {
        assert!(*b.last().unwrap() >= 3_000, "{k:?}: {b:?}");
        for w in b.windows(2) {
            assert_eq!(w[1], 2 * w[0], "{k:?}: {b:?}");
        }
    }
    // judge_usage keeps each attempt's budget.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_usage WHERE pass = 'facets' AND status = 'truncated' AND budget = 1600"
        ),
        count(&lake, "SELECT count(DISTINCT session_id) FROM judge_usage")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_that_mostly_failed_fails_and_a_rerun_judges_only_the_failures() {
    let server = FakeOpenAi::start(|_, body| Reply::Content(good(pass_of(body)))).await;
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with(dir.path(), "120", "33");
    let date = "2026-11-01";
    // Medium effort spends ~1,700-3,100 reasoning tokens; a 2,200-token cap
    // leaves two requests in three without an answer, and half the sessions
    // without one after three attempts.
    let o = run_daily(
        &lake,
        &server,
        date,
        "openai",
        &[
            "llm_mode=sync",
            "llm_reasoning_effort=medium",
            "llm_max_completion_tokens=2200",
        ],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("daily 2026-11-01: failed"), "{t}");
    assert!(
        t.contains("requests truncated: the model spent its completion budget on reasoning")
            && t.contains("lower llm_reasoning_effort (now medium)")
            && t.contains("llm_max_completion_tokens (now 2200)"),
        "{t}"
    );
    let analysed = analysed(&lake, "2026-11-01");
    let failed_sessions = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM judge_failures WHERE reason = 'truncated'",
    );
    assert!(
        failed_sessions as f64 > 0.2 * analysed as f64,
        "{failed_sessions}"
    );
    assert!(
        failed_sessions < analysed,
        "some sessions got through: {failed_sessions} of {analysed}\n{}",
        ok(&signals_env(
            &lake,
            &[
                "sql",
                "SELECT status, budget, reasoning_tokens, output_tokens, count(*) FROM judge_usage GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 20"
            ],
            &env()
        ))
    );
    let failed_requests = count(&lake, "SELECT count(*) FROM judge_failures");
    let ok_before: BTreeSet<String> = ok(&signals_env(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT DISTINCT session_id FROM frictions",
        ],
        &env(),
    ))
    .lines()
    .skip(1)
    .map(String::from)
    .collect();
    assert!(!ok_before.is_empty());
    // The fix: low effort. Only the failed requests are sent again.
    let before = server.chats().len();
    let out = ok(&run_daily(
        &lake,
        &server,
        date,
        "openai",
        &["llm_mode=sync", "llm_reasoning_effort=low"],
    ));
    assert!(out.contains("daily 2026-11-01: succeeded"), "{out}");
    let again = &server.chats()[before..];
    assert_eq!(again.len() as i64, failed_requests);
    assert!(again.iter().all(|b| b["reasoning_effort"] == "low"));
    assert_eq!(count(&lake, "SELECT count(*) FROM judge_failures"), 0);
    assert_eq!(
        count(&lake, "SELECT count(DISTINCT session_id) FROM frictions"),
        analysed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_judge_runs_the_llm_judge_in_sync_and_batch_mode() {
    let server = FakeOpenAi::start(|_, body| Reply::Content(good(pass_of(body)))).await;
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with(dir.path(), "80", "34");
    // Sync.
    let out = ok(&judge_date(&lake, &server, "2026-11-01", "llm_mode=sync"));
    assert!(
        out.contains("judge openai (gpt-5-mini) on 1 of 1 dates"),
        "{out}"
    );
    let n1 = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM frictions WHERE date = '2026-11-01' AND judge = 'openai:gpt-5-mini'",
    );
    assert!(n1 > 0);
    assert_eq!(
        n1,
        count(
            &lake,
            "SELECT count(DISTINCT session_id) FROM session_facets WHERE date = '2026-11-01' AND facet = 'summary'"
        )
    );
    // Batch, without waiting: "waiting" (exit 75) until a later call collects.
    let mut calls = 0;
    loop {
        calls += 1;
        let o = run(
            &lake,
            &server,
            &["judge", "--date", "2026-11-02", "--judge", "openai"],
        );
        if o.status.code() == Some(0) {
            break;
        }
        assert_eq!(o.status.code(), Some(75), "{}", text(&o));
        assert!(text(&o).contains("waiting"), "{}", text(&o));
        assert!(calls < 6);
    }
    assert!(calls >= 2);
    assert!(
        count(
            &lake,
            "SELECT count(*) FROM frictions WHERE date = '2026-11-02' AND judge = 'openai:gpt-5-mini'"
        ) > 0
    );
    // A bad parameter is named.
    let o = judge_date(&lake, &server, "2026-11-01", "llm_reasoning_effort=extreme");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("llm_reasoning_effort"), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cascade_judges_what_the_screen_flags_plus_a_sample() {
    let server = FakeOpenAi::start(|_, body| Reply::Content(good(pass_of(body)))).await;
    // The shipped sample data.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let sample = crate::repo().join("data").join("sessions");
    ok(&signals_env(
        &lake,
        &["ingest", sample.to_str().unwrap()],
        &[],
    ));
    let date = "2026-11-01";
    let out = ok(&run_daily(
        &lake,
        &server,
        date,
        "cascade",
        &["llm_mode=sync", "cascade_sample=0.5"],
    ));
    assert!(out.contains("daily 2026-11-01: succeeded"), "{out}");
    let analysed = analysed(&lake, "2026-11-01");
    // The LLM judged friction only (one request per judged session; the scripted
    // model finds a moment in each), the screen the rest and every session's facets.
    let by_llm = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM frictions WHERE date = '2026-11-01' AND judge = 'openai:gpt-5-mini'",
    );
    assert_eq!(server.chats().len() as i64, by_llm);
    assert!(server.chats().iter().all(|b| pass_of(b) == "friction"));
    assert!(by_llm > 0 && by_llm < analysed, "{by_llm} of {analysed}");
    assert_eq!(
        count(
            &lake,
            "SELECT count(DISTINCT session_id) FROM session_facets WHERE date = '2026-11-01' AND judge = 'builtin'"
        ),
        analysed
    );
    // With cascade_facets the judged sessions' facets are the LLM's too.
    let before = server.chats().len() as i64;
    let out = ok(&run_daily(
        &lake,
        &server,
        "2026-11-02",
        "cascade",
        &["llm_mode=sync", "cascade_sample=0.5", "cascade_facets=true"],
    ));
    assert!(out.contains("daily 2026-11-02: succeeded"), "{out}");
    let facets_llm = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM session_facets WHERE date = '2026-11-02' AND judge = 'openai:gpt-5-mini'",
    );
    let facets_screen = count(
        &lake,
        "SELECT count(DISTINCT session_id) FROM session_facets WHERE date = '2026-11-02' AND judge = 'builtin'",
    );
    assert_eq!(
        facets_llm + facets_screen,
        self::analysed(&lake, "2026-11-02"),
        "{}",
        ok(&signals_env(
            &lake,
            &[
                "sql",
                "SELECT session_id, judge, facet, value FROM session_facets WHERE date = '2026-11-02' AND session_id IN (SELECT session_id FROM session_facets WHERE date = '2026-11-02' AND judge = 'builtin') AND session_id IN (SELECT session_id FROM session_facets WHERE date = '2026-11-02' AND judge <> 'builtin') ORDER BY 1, 2"
            ],
            &env()
        ))
    );
    // (11-02 is a Monday: facet discovery names its themes with the LLM too.)
    let sent: Vec<&'static str> = server.chats()[before as usize..]
        .iter()
        .filter(|b| b["response_format"]["json_schema"]["name"] != "signals_facet_name")
        .map(pass_of)
        .collect();
    assert_eq!(
        sent.len() as i64,
        2 * facets_llm,
        "{sent:?}\n{}",
        ok(&signals_env(
            &lake,
            &[
                "sql",
                "SELECT pass, status, count(*) FROM judge_usage WHERE date = '2026-11-02' GROUP BY 1, 2"
            ],
            &env()
        ))
    );
    assert!(
        facets_llm > 0 && facets_screen > 0,
        "{facets_llm} {facets_screen}"
    );
    // judge_agreement: a row per type with intervals, and eval prints it.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_agreement WHERE date = '2026-11-01'"
        ),
        7,
        "{}",
        ok(&signals_env(
            &lake,
            &["sql", "SELECT * FROM judge_agreement"],
            &env()
        ))
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_agreement WHERE date = '2026-11-01' AND judged_sessions = %N AND precision IS NOT NULL AND precision_low <= precision AND precision <= precision_high"
                .replace("%N", &by_llm.to_string())
                .as_str()
        ),
        count(
            &lake,
            "SELECT count(*) FROM judge_agreement WHERE date = '2026-11-01' AND agreed + builtin_only > 0"
        )
    );
    // The scripted LLM finds a rephrasing cascade everywhere: the screen's recall
    // of it is measured, its sampled misses weighted by 2.
    assert!(
        count(
            &lake,
            "SELECT count(*) FROM judge_agreement WHERE date = '2026-11-01' AND friction_type = 'rephrasing_cascade' AND recall IS NOT NULL AND llm_only > 0"
        ) == 1
    );
    let e = ok(&signals_env(&lake, &["eval", "--against", "llm"], &env()));
    assert!(
        e.contains("rephrasing_cascade") && e.contains("calibration sample"),
        "{e}"
    );
    assert!(e.contains('['), "intervals: {e}");
    // Patterns and re-measurement count the cascade's labels.
    assert!(
        count(
            &lake,
            "SELECT count(*) FROM session_frictions WHERE date = '2026-11-01' AND friction_type = 'rephrasing_cascade'"
        ) >= by_llm
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_a_model_echoes_never_reaches_a_table_or_a_ticket() {
    // Planted in the users' messages.
    let pii = [
        "+44 20 7946 0958",
        "+1 (415) 555-0132",
        "07911 123456",
        "jane.doe@example.com",
        "sk-proj-AbCdEf1234567890XyZabcQ",
        "10.20.30.40",
        "/home/jdoe/",
    ];
    // A model that echoes what it was sent, and the planted data besides (as if
    // it had seen it), into every text field it returns.
    let server = FakeOpenAi::start(move |_, body| {
        let sent = session_text(body);
        let user = sent
            .lines()
            .find(|l| l.contains("user_message"))
            .unwrap_or("")
            .to_string();
        let echo = format!("{user} call +44 20 7946 0958 or mail jane.doe@example.com");
        if pass_of(body) == "facets" {
            Reply::Content(
                json!({"languages": ["python"], "frameworks": [], "intent": "bug_fix", "outcome": "completed", "satisfaction": 2, "summary": echo}).to_string(),
            )
        } else {
            Reply::Content(
                json!({"moments": [{"friction_type": "tone_escalation", "severity": "high", "first_seq": 1, "last_seq": 1, "citation": echo, "confidence": 0.9}],
                       "delights": [{"delight_type": "gratitude", "strength": "low", "first_seq": 70, "last_seq": 70, "citation": echo, "confidence": 0.6},
                                    {"delight_type": "recovery", "strength": "medium", "first_seq": 3, "last_seq": 65, "citation": "the agent got the tests passing after failures", "confidence": 0.7}]}).to_string(),
            )
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("pii.jsonl");
    let mut lines = Vec::new();
    for s in 0..12 {
        let id = format!("sess-pii-{s:02}");
        let t = |i: i64| format!("2026-11-05T10:{:02}:{:02}Z", i / 60, i % 60);
        lines.push(json!({"session_id": id, "seq": 0, "ts": t(0), "kind": "session_start", "agent": "droid", "agent_version": "1.0.0"}));
        lines.push(json!({"session_id": id, "seq": 1, "ts": t(1), "kind": "user_message",
            "text": format!("this still fails, ring me on {} or {} or {} or write to {}; key {} on {} in {}x", pii[0], pii[1], pii[2], pii[3], pii[4], pii[5], pii[6])}));
        for i in 0..32 {
            let seq = 2 + 2 * i;
            lines.push(json!({"session_id": id, "seq": seq, "ts": t(seq), "kind": "tool_call", "call_id": format!("c{i}"), "tool": "shell", "args": {"cmd": "make test"}}));
            lines.push(json!({"session_id": id, "seq": seq + 1, "ts": t(seq + 1), "kind": "tool_result", "call_id": format!("c{i}"), "status": "error", "output": "1 test failed"}));
        }
        lines.push(json!({"session_id": id, "seq": 70, "ts": t(70), "kind": "user_message", "text": format!("I said call {} — this is useless!!", pii[0])}));
    }
    std::fs::write(
        &sessions,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals_env(
        &lake,
        &["ingest", sessions.to_str().unwrap()],
        &[],
    ));
    let out = ok(&run_daily(
        &lake,
        &server,
        "2026-11-05",
        "openai",
        &[
            "llm_mode=sync",
            "min_steps=30",
            "min_affected=1",
            "min_rate=0.01",
            "max_q=1",
        ],
    ));
    assert!(out.contains("daily 2026-11-05: succeeded"), "{out}");
    assert_eq!(
        count(&lake, "SELECT count(DISTINCT session_id) FROM frictions"),
        12
    );
    // The friction reply's delights (the `delight` stage writes them, with no
    // request of its own) and the facet reply's satisfaction.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM delights WHERE judge LIKE 'openai:%' AND judge_version = 'friction.v2'"
        ),
        24
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM delights WHERE citation = 'the agent got the tests passing after failures'"
        ),
        12
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM session_facets WHERE facet = 'satisfaction' AND value = '2' AND source = 'llm'"
        ),
        12
    );
    assert_eq!(
        server.chats().len(),
        24,
        "one friction and one facet request per session: delights take none"
    );
    // Nothing personal went out ...
    for b in server.chats() {
        let sent = b.to_string();
        for p in &pii {
            assert!(!sent.contains(p), "{p} was sent");
        }
    }
    // ... and nothing came back into the tables the judge writes, nor into tickets.
    let mut stored = String::new();
    for q in [
        "SELECT citation FROM frictions",
        "SELECT citation FROM delights",
        "SELECT value FROM session_facets",
        "SELECT detail FROM judge_failures",
    ] {
        stored.push_str(&ok(&signals_env(
            &lake,
            &["sql", "--format", "csv", q],
            &env(),
        )));
    }
    let tickets = crate::llm::walk(&dir.path().join("lake").join("tickets"));
    assert!(
        !tickets.is_empty(),
        "a ticket was filed from the echoed citations"
    );
    for f in tickets {
        stored.push_str(&std::fs::read_to_string(f).unwrap_or_default());
    }
    stored.push_str(&ok(&signals_env(&lake, &["tickets", "list"], &env())));
    assert!(
        stored.contains("frustrated") || stored.contains("tone"),
        "{stored}"
    );
    for p in pii.iter().chain(&["7946 0958", "jane.doe", "jdoe"]) {
        assert!(!stored.contains(p), "{p} is stored:\n{stored}");
    }
}
