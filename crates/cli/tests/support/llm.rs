//! The daily pipeline with the LLM judge (`signals run daily --judge openai`)
//! against a fake OpenAI: the batch lifecycle across runs (waiting, resume,
//! retries of 5xx lines, an expired batch, malformed and truncated replies),
//! quotes rewritten, every session accounted for, nothing resubmitted, the key
//! never written anywhere, sync mode through 429s, and `signals batches`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::openai::{FakeOpenAi, Reply};
use crate::{ok, repo, signals_env};

const KEY: &str = "sk-test-0123456789abcdefSECRET";

/// How the scripted model treats a session: by a stable hash of its id.
fn mode(session: &str) -> u32 {
    session.bytes().map(u32::from).sum::<u32>() % 6
}

/// The session text a request carries (as data, in a JSON string).
fn session_text(body: &Value) -> String {
    let data: Value = serde_json::from_str(body["messages"][1]["content"].as_str().unwrap_or("{}"))
        .unwrap_or_default();
    data["session"].as_str().unwrap_or("").to_string()
}

/// The first words of the session's first user message.
fn first_user_words(body: &Value, n: usize) -> String {
    let text = session_text(body);
    let line = text
        .lines()
        .find(|l| l.split(' ').nth(1) == Some("user_message"))
        .unwrap_or("");
    line.split_whitespace()
        .skip(2)
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

fn good(pass: &str) -> String {
    if pass == "facets" {
        json!({"languages": ["python"], "frameworks": [], "intent": "bug_fix", "outcome": "completed", "summary": "a bug fix that went through after one failed attempt"}).to_string()
    } else {
        json!({"moments": [{"friction_type": "error_event", "severity": "medium", "first_seq": 1, "last_seq": 1, "citation": "a command of the agent failed", "confidence": 0.8}]}).to_string()
    }
}

fn model(custom_id: &str, body: &Value) -> Reply {
    let (pass, rest) = custom_id.split_once(':').unwrap_or(("", ""));
    let (session, attempt) = rest.rsplit_once(':').unwrap_or((rest, "1"));
    let first = attempt == "1";
    match mode(session) {
        0 if first => Reply::ServerError,
        1 if first => Reply::Expire,
        2 if first => Reply::Content("{\"moments\": [{\"friction_type\": \"error_ev".into()),
        3 => Reply::Truncated("{\"moments\": [".into()),
        4 if pass == "friction" => Reply::Content(
            json!({"moments": [{"friction_type": "rephrasing_cascade", "severity": "high", "first_seq": 1, "last_seq": 2,
                "citation": format!("the user wrote \"{}\"", first_user_words(body, 8)), "confidence": 0.9}]})
            .to_string(),
        ),
        _ => Reply::Content(good(pass)),
    }
}

fn lake_with_sessions(dir: &Path, seed: &str) -> String {
    generated_lake(dir, "240", "3", seed)
}

/// A lake under `dir` with `sessions` generated sessions over `days` days.
pub(crate) fn generated_lake(dir: &Path, sessions: &str, days: &str, seed: &str) -> String {
    let lake = dir.join("lake").display().to_string();
    let out = dir.join("gen");
    let o = out.to_str().unwrap();
    ok(&signals_env(
        &lake,
        &[
            "generate",
            "--sessions",
            sessions,
            "--days",
            days,
            "--seed",
            seed,
            "--out",
            o,
        ],
        &[],
    ));
    ok(&signals_env(&lake, &["ingest", o], &[]));
    lake
}

fn run_llm(lake: &str, server: &FakeOpenAi, date: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "daily",
        "--date",
        date,
        "--judge",
        "openai",
        "--param",
        "llm_model=gpt-test",
        "--param",
        "llm_poll_ms=5",
    ];
    let base = format!("llm_base_url={}", server.url);
    args.extend(["--param", base.as_str()]);
    args.extend(extra);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_signals"));
    cmd.args(&args)
        .current_dir(repo())
        .env("SIGNALS_LAKE", lake)
        .env("OPENAI_API_KEY", KEY)
        .env_remove("OPENAI_BASE_URL");
    cmd.output().unwrap()
}

/// The single integer of a query.
fn count(lake: &str, sql: &str) -> i64 {
    let out = ok(&signals_env(lake, &["sql", "--format", "csv", sql], &[]));
    out.lines()
        .nth(1)
        .unwrap_or("0")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{sql}: {out}"))
}

/// Every file under `dir` (none when it does not exist).
pub(crate) fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_lifecycle_resumes_across_runs_retries_and_accounts_for_every_session() {
    let server = FakeOpenAi::start(model).await;
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_sessions(dir.path(), "11");
    let date = "2026-11-02";

    // Without waiting, each run moves the batches on and leaves the stages waiting.
    let mut runs = 0;
    let last = loop {
        runs += 1;
        let out = ok(&tokio::task::block_in_place(|| {
            run_llm(&lake, &server, date, &[])
        }));
        if !out.contains(": waiting") {
            break out;
        }
        assert!(out.contains("batch(es) running at the provider"), "{out}");
        assert!(runs < 12, "never finished:\n{out}");
    };
    assert!(last.contains("daily 2026-11-02: succeeded"), "{last}");
    assert!(
        runs >= 3,
        "submission, retries and collection take several runs ({runs})"
    );

    let analysed = count(
        &lake,
        "SELECT count(*) FROM analysed_sessions WHERE date = '2026-11-02'",
    );
    assert!(analysed >= 20, "{analysed}");
    let ids = ok(&signals_env(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT session_id FROM analysed_sessions WHERE date = '2026-11-02'",
        ],
        &[],
    ));
    let truncated: BTreeSet<&str> = ids.lines().skip(1).filter(|s| mode(s) == 3).collect();
    assert!(!truncated.is_empty());
    // Every session is analysed or in judge_failures, per pass.
    for (pass, table) in [("friction", "frictions"), ("facets", "session_facets")] {
        let judged = count(
            &lake,
            &format!("SELECT count(DISTINCT session_id) FROM {table} WHERE date = '2026-11-02'"),
        );
        let failed = count(
            &lake,
            &format!(
                "SELECT count(*) FROM judge_failures WHERE date = '2026-11-02' AND pass = '{pass}'"
            ),
        );
        assert_eq!(judged + failed, analysed, "{pass}");
        assert_eq!(failed as usize, truncated.len(), "{pass}");
    }
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_failures WHERE reason = 'truncated' AND attempts = 3"
        ) as usize,
        2 * truncated.len()
    );
    // Rows carry the model and the prompt version.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM frictions WHERE date = '2026-11-02' AND (judge <> 'openai:gpt-test' OR judge_version <> 'friction.v2')"
        ),
        0
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM session_facets WHERE date = '2026-11-02' AND facet = 'summary' AND judge_version = 'facets.v2'"
        ),
        analysed - truncated.len() as i64
    );
    // Quotes never reach the table: the quoting replies were rewritten and counted.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM frictions WHERE citation LIKE 'the user wrote%'"
        ),
        0
    );
    assert!(
        count(
            &lake,
            "SELECT coalesce(sum(citations_rewritten), 0) FROM judge_usage"
        ) > 0
    );

    // Usage: one row per request; failed first attempts were retried.
    let submitted = server.submitted();
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_usage WHERE date = '2026-11-02'"
        ) as usize,
        submitted.len()
    );
    for reason in ["error", "expired", "malformed", "truncated"] {
        assert!(
            count(
                &lake,
                &format!(
                    "SELECT count(*) FROM judge_usage WHERE status = '{reason}' AND attempt = 1"
                )
            ) > 0,
            "{reason}"
        );
    }
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_usage WHERE status = 'ok' AND (cost_usd <= 0 OR input_tokens <= 0 OR mode <> 'batch')"
        ),
        0
    );

    // Nothing was submitted twice; a rerun of the complete date submits nothing.
    let unique: BTreeSet<&String> = submitted.iter().collect();
    assert_eq!(unique.len(), submitted.len());
    assert_eq!(
        server.created(),
        3,
        "the first batch, then two rounds of retries"
    );
    let again = ok(&tokio::task::block_in_place(|| {
        run_llm(&lake, &server, date, &[])
    }));
    assert!(again.contains("already complete"), "{again}");
    assert_eq!(server.created(), 3);

    // `signals batches list` shows them; `cancel` reaches the provider.
    let list = ok(&signals_env(&lake, &["batches", "list"], &[]));
    assert_eq!(
        list.lines()
            .filter(|l| l.contains("batch_") && l.contains("collected"))
            .count(),
        3,
        "{list}"
    );
    let first = list
        .lines()
        .find(|l| l.contains("batch_"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let env = [
        ("OPENAI_API_KEY".to_string(), KEY.to_string()),
        ("OPENAI_BASE_URL".to_string(), server.url.clone()),
    ];
    let out = ok(&tokio::task::block_in_place(|| {
        signals_env(&lake, &["batches", "cancel", &first], &env)
    }));
    assert_eq!(out.trim(), format!("{first}: cancelling"));

    // With --wait and small input files: one run does it all, within the limits.
    let before = server.created() as usize;
    let out = ok(&tokio::task::block_in_place(|| {
        run_llm(
            &lake,
            &server,
            "2026-11-03",
            &["--wait", "--param", "llm_batch_max_requests=10"],
        )
    }));
    assert!(out.contains("daily 2026-11-03: succeeded"), "{out}");
    let lines = server.input_lines();
    assert!(
        lines.len() - before > 3,
        "the first round alone needs several files: {lines:?}"
    );
    assert!(lines[before..].iter().all(|n| *n <= 10), "{lines:?}");
    assert!(lines[..before].iter().any(|n| *n > 10), "{lines:?}");

    // What left the machine: scrubbed text as data, strict schemas, the key only in
    // the Authorization header and nowhere in the lake.
    for b in server.bodies() {
        assert!(
            !signals_llm::scrub::has_sensitive(&session_text(&b)),
            "unscrubbed text sent"
        );
        assert_eq!(b["response_format"]["json_schema"]["strict"], true);
    }
    assert!(server.auth().iter().all(|a| a == &format!("Bearer {KEY}")));
    for f in walk(dir.path()) {
        let text = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(KEY),
            "the key is in {}",
            f.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_created_but_not_recorded_is_adopted_not_submitted_again() {
    let server = FakeOpenAi::start(model).await;
    server.lose_create(1);
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_sessions(dir.path(), "13");
    // The provider created the batch, but the answer never arrived: the run fails.
    let o = tokio::task::block_in_place(|| run_llm(&lake, &server, "2026-11-02", &["--wait"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("create batch failed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // The other pass's stage, next in line for the date, found that batch by its
    // input file and carried on with it; the next run finishes the failed stage.
    let out = ok(&tokio::task::block_in_place(|| {
        run_llm(&lake, &server, "2026-11-02", &["--wait"])
    }));
    assert!(out.contains("daily 2026-11-02: succeeded"), "{out}");
    assert_eq!(
        server.created(),
        3,
        "the lost batch, then two rounds of retries"
    );
    let inputs = server.batch_inputs();
    let unique: BTreeSet<&String> = inputs.iter().collect();
    assert_eq!(unique.len(), inputs.len(), "one batch per input file");
    let submitted = server.submitted();
    let unique: BTreeSet<&String> = submitted.iter().collect();
    assert_eq!(unique.len(), submitted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_mode_rides_out_429s_and_configuration_errors_are_named() {
    let server = FakeOpenAi::start(|_, body| {
        // No custom id in sync mode: answer by the pass the schema names.
        let pass = if body["response_format"]["json_schema"]["name"] == "signals_facets" {
            "facets"
        } else {
            "friction"
        };
        Reply::Content(good(pass))
    })
    .await;
    server.throttle(3);
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_sessions(dir.path(), "12");
    let out = ok(&tokio::task::block_in_place(|| {
        run_llm(&lake, &server, "2026-11-01", &["--param", "llm_mode=sync"])
    }));
    assert!(out.contains("daily 2026-11-01: succeeded"), "{out}");
    let analysed = count(
        &lake,
        "SELECT count(*) FROM analysed_sessions WHERE date = '2026-11-01'",
    );
    assert_eq!(server.chats().len() as i64, 2 * analysed);
    assert_eq!(
        count(
            &lake,
            "SELECT count(DISTINCT session_id) FROM frictions WHERE date = '2026-11-01'"
        ),
        analysed
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM judge_usage WHERE mode = 'sync' AND status = 'ok'"
        ),
        2 * analysed
    );
    assert_eq!(count(&lake, "SELECT count(*) FROM judge_failures"), 0);

    // A bad mode and a missing key fail before anything runs, named.
    let o = tokio::task::block_in_place(|| {
        run_llm(&lake, &server, "2026-11-02", &["--param", "llm_mode=fast"])
    });
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("llm_mode"));
    let o = signals_env(
        &lake,
        &["run", "daily", "--date", "2026-11-02", "--judge", "openai"],
        &[("OPENAI_API_KEY".into(), String::new())],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("OPENAI_API_KEY is not set"));
}
