//! End-to-end tests: they drive the `signals` binary as a user would.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use signals_testkit::S3TestServer;

#[path = "support/discovery.rs"]
mod discovery;
#[path = "support/llm.rs"]
mod llm;
#[path = "support/openai.rs"]
mod openai;
#[path = "support/reasoning.rs"]
mod reasoning;

fn signals(lake: &str, args: &[&str]) -> Output {
    signals_env(lake, args, &[])
}

fn signals_env(lake: &str, args: &[&str], env: &[(String, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signals"));
    cmd.args(args)
        .env("SIGNALS_LAKE", lake)
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("signals runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The first row of `signals sql --format csv` output whose columns are integers.
fn int_row(csv: &str) -> Vec<i64> {
    csv.lines()
        .nth(1)
        .unwrap_or_else(|| panic!("no row in {csv}"))
        .split(',')
        .map(|v| v.parse().unwrap_or_else(|e| panic!("{v}: {e} in {csv}")))
        .collect()
}

fn generate(dir: &Path, sessions: u32) -> String {
    let out = dir.join("sessions_dir");
    let labels = dir.join("labels.jsonl");
    ok(&signals(
        "unused",
        &[
            "generate",
            "--sessions",
            &sessions.to_string(),
            "--days",
            "5",
            "--seed",
            "11",
            "--out",
            out.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
        ],
    ));
    out.display().to_string()
}

#[test]
fn generate_ingest_query_and_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sessions_dir = generate(dir.path(), 60);
    let lake = dir.path().join("lake").display().to_string();
    let first = ok(&signals(&lake, &["ingest", &sessions_dir]));
    assert!(first.contains("in 60 sessions, 0 quarantined"), "{first}");
    let q = "SELECT count(*) AS n, sum(event_count) AS e FROM sessions";
    let before = ok(&signals(&lake, &["sql", "--format", "csv", q]));
    ok(&signals(&lake, &["ingest", &sessions_dir]));
    let after = ok(&signals(&lake, &["sql", "--format", "csv", q]));
    assert_eq!(before, after);
    assert!(before.starts_with("n,e\n60,"), "{before}");
    // Every label's session is in the lake.
    let labels = std::fs::read_to_string(dir.path().join("labels.jsonl")).unwrap();
    assert_eq!(labels.lines().count(), 60);
    let summary = ok(&signals(
        &lake,
        &[
            "sql",
            "-f",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql/reports/summary.sql"),
        ],
    ));
    assert!(
        summary.contains("analysed_sessions") && summary.contains("quarantined_lines"),
        "{summary}"
    );
}

#[test]
fn ingest_from_stdin_and_sql_output_formats() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_signals"))
        .args(["ingest", "-"])
        .env("SIGNALS_LAKE", &lake)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(
        b"{\"session_id\":\"s1\",\"ts\":\"2026-11-20T09:00:00Z\",\"kind\":\"session_start\",\"agent\":\"droid\"}\n{\"session_id\":\"s1\",\"kind\":\"tool_call\",\"tool\":\"ls\"}\n",
    ).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(ok(&out).contains("2 events in 1 sessions"));

    let q = "SELECT session_id, step_count, agent FROM sessions";
    assert_eq!(
        ok(&signals(&lake, &["sql", "--format", "csv", q])),
        "session_id,step_count,agent\ns1,1,droid\n"
    );
    assert_eq!(
        ok(&signals(&lake, &["sql", "--format", "json", q])).trim(),
        r#"[{"session_id":"s1","step_count":1,"agent":"droid"}]"#
    );
    assert_eq!(
        ok(&signals(&lake, &["sql", "--format", "ndjson", q])).trim(),
        r#"{"session_id":"s1","step_count":1,"agent":"droid"}"#
    );
    let table = ok(&signals(&lake, &["sql", q]));
    assert!(
        table.contains("| s1         | 1          | droid |") && table.contains("(1 row)"),
        "{table}"
    );
    let pq = dir.path().join("out.parquet");
    ok(&signals(
        &lake,
        &["sql", "--format", "parquet", "-o", pq.to_str().unwrap(), q],
    ));
    let file = std::fs::File::open(&pq).unwrap();
    let rows: usize = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(rows, 1);
    // The shell, fed on stdin: a `;` in a comment (one line or several) or a string
    // does not end the statement (the files under sql/ have such comments); the one
    // after it does.
    let mut shell = Command::new(env!("CARGO_BIN_EXE_signals"))
        .args(["sql", "--format", "csv"])
        .env("SIGNALS_LAKE", &lake)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT session_id,\n  -- the rate x / n;\n  'a;' AS s /* b; */\nFROM sessions;\nSELECT 2 /* a comment over lines;\n */ AS two;\n")
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    let text = ok(&out);
    assert!(
        text.contains("session_id,s\ns1,a;\n") && text.contains("two\n2\n"),
        "{text}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // DataFusion's catalog commands work too.
    assert!(ok(&signals(&lake, &["sql", "SHOW TABLES"])).contains("quarantine"));
    assert!(ok(&signals(&lake, &["sql", "DESCRIBE events"])).contains("ingested_at"));
}

#[test]
fn errors_are_clear_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let bad_sql = signals(&lake, &["sql", "SELECT nope FROM sessions"]);
    assert_eq!(bad_sql.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad_sql.stderr);
    assert!(
        err.contains("nope") && err.contains("in: SELECT nope FROM sessions"),
        "{err}"
    );

    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, "not json\n").unwrap();
    let o = signals(
        &lake,
        &["ingest", "--format", "interchange", junk.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "nothing readable is an error");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("junk.jsonl:1: not valid JSON"), "{err}");

    let o = signals(&lake, &["ingest", "/definitely/not/here.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("/definitely/not/here.jsonl: no such file or directory")
    );

    let o = signals("ftp://nowhere/lake", &["tables"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported scheme"));
}

/// The landing zone on S3: sessions put under a prefix are taken in by the daily
/// run's `ingest` stage, each object once; a second run changes nothing, a new
/// object is ingested alone, and a replaced one replaces its sessions (one gone,
/// one shorter, one new).
#[tokio::test(flavor = "multi_thread")]
async fn the_daily_run_ingests_what_lands_in_s3_once() {
    let server = S3TestServer::start("lake-bucket").await.unwrap();
    use object_store::ObjectStoreExt;
    let landing =
        signals_lake::Lake::open_with("s3://lake-bucket/landing", server.options()).unwrap();
    let put = |day: u32, body: Vec<u8>| {
        let landing = landing.clone();
        async move {
            landing
                .store()
                .put(
                    &landing.path(&format!("agent-a/sessions-2026-11-{day:02}.jsonl.gz")),
                    body.into(),
                )
                .await
                .unwrap();
        }
    };
    let sample = |day: u32| {
        std::fs::read(repo().join(format!("data/sessions/sessions-2026-11-{day:02}.jsonl.gz")))
            .unwrap()
    };
    for day in 1..=3 {
        put(day, sample(day)).await;
    }
    // Not a session log: skipped by name.
    put(0, Vec::new()).await;
    landing
        .store()
        .put(&landing.path("agent-a/_SUCCESS"), Vec::new().into())
        .await
        .unwrap();
    let env = server.env();
    let out = tokio::task::spawn_blocking(move || {
        let lake = "s3://lake-bucket/prod";
        let run = |date: &str| {
            ok(&signals_env(
                lake,
                &[
                    "run",
                    "daily",
                    "--date",
                    date,
                    "--param",
                    "landing=s3://lake-bucket/landing/agent-a/sessions-*.jsonl.gz",
                ],
                &env,
            ))
        };
        let q = |sql: &str| ok(&signals_env(lake, &["sql", "--format", "csv", sql], &env));
        let first = run("2026-11-03");
        let second = run("2026-11-03");
        let files = q("SELECT dates FROM ingested_files ORDER BY path");
        let sessions = q("SELECT count(*) AS n FROM sessions");
        (first, second, files, sessions, env)
    })
    .await
    .unwrap();
    let (first, second, files, sessions, env) = out;
    assert!(
        first.contains("succeeded") && first.contains("4 objects, 4 new"),
        "{first}"
    );
    assert!(second.contains("already complete"), "{second}");
    // The empty 11-00 object is in the manifest too (unrecognized, no dates); each
    // object has the dates its own rows are in.
    assert_eq!(files, "dates\n\"\"\n2026-11-01\n2026-11-02\n2026-11-03\n");
    assert_eq!(sessions, "n\n300\n");

    // A new object comes alone; a replaced one replaces its sessions: the new
    // version of 11-02 lacks its first session, the last event of its last one,
    // and has a session the old one did not.
    put(4, sample(4)).await;
    let day2 = sample(2);
    let mut more = flate2::read::GzDecoder::new(&day2[..]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut more, &mut text).unwrap();
    let id = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line).unwrap()["session_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let lines: Vec<&str> = text.lines().collect();
    let (gone, shorter) = (id(lines[0]), id(lines[lines.len() - 1]));
    let shorter_events = lines.iter().filter(|l| id(l) == shorter).count() - 1;
    let mut text: String = lines[..lines.len() - 1]
        .iter()
        .filter(|l| id(l) != gone)
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("{\"session_id\":\"late-1\",\"seq\":0,\"ts\":\"2026-11-02T23:00:00Z\",\"kind\":\"session_start\",\"agent\":\"droid\"}\n");
    put(2, text.into_bytes()).await;
    let out = tokio::task::spawn_blocking(move || {
        let lake = "s3://lake-bucket/prod";
        let third = ok(&signals_env(
            lake,
            &[
                "run",
                "daily",
                "--date",
                "2026-11-04",
                "--param",
                "landing=s3://lake-bucket/landing/agent-a/sessions-*.jsonl.gz",
            ],
            &env,
        ));
        let rows = ok(&signals_env(
            lake,
            &[
                "sql",
                "--format",
                "csv",
                "SELECT outcome, count(*) AS n FROM ingested_files GROUP BY outcome ORDER BY outcome",
            ],
            &env,
        ));
        let late = ok(&signals_env(
            lake,
            &[
                "sql",
                "--format",
                "csv",
                &format!(
                    "SELECT (SELECT count(*) FROM sessions WHERE session_id = 'late-1' AND date = '2026-11-02') AS late, \
                     (SELECT count(*) FROM events WHERE session_id = '{gone}') AS gone, \
                     (SELECT count(*) FROM events WHERE session_id = '{shorter}') AS shorter, \
                     (SELECT count(*) FROM sessions) AS sessions"
                ),
            ],
            &env,
        ));
        (third, rows, late)
    })
    .await
    .unwrap();
    let (third, rows, late) = out;
    assert!(
        third.contains("5 objects, 1 new, 1 changed, 3 already ingested"),
        "{third}"
    );
    assert_eq!(
        rows,
        "outcome,n\ningested,4\nreingested,1\nunrecognized,1\n"
    );
    assert_eq!(
        late,
        format!("late,gone,shorter,sessions\n1,0,{shorter_events},400\n")
    );
}

/// `signals ... | head`: a reader that closes early ends the command quietly
/// (status 141, as after SIGPIPE), not with a panic on stderr.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_signals"))
        .args([
            "--lake",
            dir.path().join("lake").to_str().unwrap(),
            "sql",
            "--format",
            "csv",
            "SELECT value FROM generate_series(1, 300000)",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn tables_lists_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let sessions_dir = generate(dir.path(), 10);
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals(&lake, &["ingest", &sessions_dir]));
    let out = ok(&signals(&lake, &["tables"]));
    assert!(
        out.contains("events            5 partitions  2026-11-01 .. 2026-11-05"),
        "{out}"
    );
    assert!(out.contains("quarantine        - (empty)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_lake_end_to_end_over_http() {
    let server = S3TestServer::start("lake-bucket").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = server.env();
    let dir_path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let sessions_dir = generate(&dir_path, 20);
        let lake = "s3://lake-bucket/prod";
        ok(&signals_env(lake, &["ingest", &sessions_dir], &env));
        ok(&signals_env(lake, &["ingest", &sessions_dir], &env));
        // The pipeline's lease, state and outputs live in the bucket too.
        let run = [
            "run",
            "daily",
            "--date",
            "2026-11-03",
            "--param",
            "min_steps=0",
        ];
        let first = ok(&signals_env(lake, &run, &env));
        assert!(first.contains("succeeded"), "{first}");
        let second = ok(&signals_env(lake, &run, &env));
        assert!(second.contains("already complete"), "{second}");
        ok(&signals_env(
            lake,
            &[
                "sql",
                "--format",
                "csv",
                "SELECT count(*) AS n FROM sessions WHERE date >= '2026-11-01'",
            ],
            &env,
        ))
    })
    .await
    .unwrap();
    assert_eq!(out, "n\n20\n");
    assert!(
        server
            .dir
            .path()
            .join("lake-bucket/prod/events/date=2026-11-03/part-00000.parquet")
            .exists()
    );
    for object in [
        "_runs/daily/date=2026-11-03.json",
        "analysed_sessions/date=2026-11-03/part-00000.parquet",
        "session_facets/date=2026-11-03/part-00000.parquet",
    ] {
        assert!(
            server
                .dir
                .path()
                .join("lake-bucket/prod")
                .join(object)
                .exists(),
            "{object}"
        );
    }
}

#[test]
fn judge_and_eval_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let sessions_dir = generate(dir.path(), 80);
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals(&lake, &["ingest", &sessions_dir]));

    let out = ok(&signals(&lake, &["judge", "--all", "--min-steps", "0"]));
    assert!(out.contains("judge builtin analysed 80 sessions"), "{out}");
    // Judging again replaces the partitions.
    let q =
        "SELECT (SELECT count(*) FROM frictions) AS f, (SELECT count(*) FROM session_facets) AS s";
    let before = ok(&signals(&lake, &["sql", "--format", "csv", q]));
    ok(&signals(&lake, &["judge", "--all", "--min-steps", "0"]));
    assert_eq!(before, ok(&signals(&lake, &["sql", "--format", "csv", q])));

    // The wide view has one row per analysed session.
    let wide = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT count(*) AS n, count(DISTINCT session_id) AS d, min(step_count) >= 0 AS ok FROM session_facets_wide",
        ],
    ));
    assert_eq!(wide, "n,d,ok\n80,80,true\n");

    // A label file with one bad line: warned about, the rest scored.
    let labels = dir.path().join("labels.jsonl");
    let mut text = std::fs::read_to_string(&labels).unwrap();
    text.push_str("{\"session_id\": \"x\", \"frictions\": [\"grumpiness\"]}\n");
    std::fs::write(&labels, text).unwrap();
    let o = signals(
        &lake,
        &["eval", "--labels", labels.to_str().unwrap(), "--json"],
    );
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("labels.jsonl:81: unknown friction type \"grumpiness\""),
        "{err}"
    );
    assert_eq!(report["scored"], 80);
    assert!(report["macro_f1"].as_f64().unwrap() >= 0.9, "{report}");
    assert_eq!(report["types"].as_array().unwrap().len(), 7);

    let human = ok(&signals(
        &lake,
        &["eval", "--labels", labels.to_str().unwrap()],
    ));
    assert!(
        human.contains("macro-F1") && human.contains("rephrasing_cascade"),
        "{human}"
    );

    // A date without sessions is named, not silently judged empty.
    let o = signals(&lake, &["judge", "--date", "2031-01-01"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no sessions on 2031-01-01"));
}

/// The hand-written sets in `data/eval/` (not the generator's), judged and scored
/// through the CLI as a user would: the dev set meets the issue's targets (macro-F1
/// at least 0.90, every type at least 0.80), and the six sets held out while the
/// detectors were written keep the level they reached.
#[test]
fn handwritten_eval_sets_meet_the_targets_from_the_cli() {
    for (set, macro_min, type_min, at_least) in [
        ("", 0.90, 0.80, 150),
        ("holdout-", 0.90, 0.80, 50),
        ("holdout2-", 0.90, 0.80, 40),
        ("holdout3-", 0.90, 0.80, 40),
        ("holdout4-", 0.90, 0.75, 40),
        ("holdout5-", 0.90, 0.75, 40),
        ("holdout6-", 0.90, 0.75, 30),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake").display().to_string();
        let sessions = format!("data/eval/{set}sessions.jsonl");
        let labels = format!("data/eval/{set}labels.jsonl");
        ok(&signals_in(repo(), &lake, &["ingest", &sessions]));
        ok(&signals_in(
            repo(),
            &lake,
            &["judge", "--all", "--min-steps", "0"],
        ));
        let report: serde_json::Value = serde_json::from_str(&ok(&signals_in(
            repo(),
            &lake,
            &["eval", "--labels", &labels, "--json"],
        )))
        .unwrap();
        let scored = report["scored"].as_u64().unwrap();
        assert!(scored >= at_least, "{set}: {scored} sessions scored");
        assert_eq!(
            report["not_analysed"].as_array().map(Vec::len),
            Some(0),
            "{set}: {report}"
        );
        let macro_f1 = report["macro_f1"].as_f64().unwrap();
        assert!(
            macro_f1 >= macro_min,
            "{set}: macro-F1 {macro_f1}\n{report:#}"
        );
        for t in report["types"].as_array().unwrap() {
            if let Some(f1) = t["f1"].as_f64() {
                assert!(
                    f1 >= type_min,
                    "{set}{}: F1 {f1} (fp {}, fn {})",
                    t["friction_type"],
                    t["false_positives"],
                    t["false_negatives"]
                );
            }
        }
    }
}

#[test]
fn real_agent_logs_ingest_and_show_as_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let real = concat!(env!("CARGO_MANIFEST_DIR"), "/../ingest/tests/fixtures/real");
    let out = ok(&signals(&lake, &["ingest", real]));
    assert!(
        out.contains(
            "aider: 3, claude-code: 7, codex: 7, gemini-cli: 5, openhands: 4, swe-agent: 3"
        ),
        "{out}"
    );
    assert!(out.contains("0 quarantined"), "{out}");
    assert!(out.contains("skipped records of unmapped types"), "{out}");
    let n = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT source_format, count(DISTINCT session_id) AS n FROM events GROUP BY 1 ORDER BY 1",
        ],
    ));
    assert_eq!(
        n,
        "source_format,n\naider,5\nclaude-code,8\ncodex,8\ngemini-cli,5\nopenhands,4\nswe-agent,3\n"
    );

    let show = ok(&signals(
        &lake,
        &["sessions", "show", "019e3291-0ec0-73c0-b489-5254be20aa34"],
    ));
    assert!(show.contains("codex-tui 0.130.0 · model gpt-5.5"), "{show}");
    assert!(
        show.contains("interrupt") && show.contains("Reply with exactly: ok"),
        "{show}"
    );
    let list = ok(&signals(&lake, &["sessions", "list", "--limit", "3"]));
    assert_eq!(
        list.lines().filter(|l| l.starts_with("| ")).count(),
        4,
        "{list}"
    );
    let o = signals(&lake, &["sessions", "show", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no session \"nope\""));

    // Forcing the wrong format loses nothing silently and crashes nothing.
    let claude = format!("{real}/claude_code/irrlicht_2-20_user-esc-interrupt.jsonl");
    let o = signals(&lake, &["ingest", "--format", "interchange", &claude]);
    assert_eq!(o.status.code(), Some(1), "nothing readable");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("irrlicht_2-20_user-esc-interrupt.jsonl:1:")
    );
}

/// `signals` run from a directory (the repository root, to find `pipelines/`).
fn signals_in(dir: &Path, lake: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signals"))
        .args(args)
        .current_dir(dir)
        .env("SIGNALS_LAKE", lake)
        .output()
        .expect("signals runs")
}

/// The CSV of a `sql/` file run on `lake` (`signals sql -f`, from the repository).
fn analysis(lake: &str, file: &str) -> String {
    ok(&signals_in(
        repo(),
        lake,
        &["sql", "--format", "csv", "-f", file],
    ))
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The README's main command, twice: the second run changes nothing.
#[test]
fn the_readme_main_job_runs_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let main_job = || {
        ok(&signals_in(repo(), &lake, &["ingest", "data/sessions"]));
        let backfill = ok(&signals_in(repo(), &lake, &["backfill", "daily", "--all"]));
        let summary = ok(&signals_in(
            repo(),
            &lake,
            &["sql", "-f", "sql/reports/summary.sql"],
        ));
        (backfill, summary)
    };
    let (first, summary) = main_job();
    assert!(
        first.contains("backfill daily: 21 dates, 0 failed"),
        "{first}"
    );
    assert!(
        summary.contains("analysed_sessions") && summary.contains("friction_type"),
        "{summary}"
    );
    // The story the sample is sized for (data/sample/power.py): 1.5.0 triples
    // rephrasing cascades and files a ticket; 1.6.0 fixes them, `improved`; no
    // other verdict.
    let story = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT (SELECT count(*) FROM tickets WHERE date = (SELECT max(date) FROM tickets) AND friction_type = 'rephrasing_cascade' AND slice_kind = 'all' AND first_seen = '2026-11-08') AS ticket, \
             (SELECT string_agg(version || ' ' || friction_type || ' ' || verdict, ';' ORDER BY version) FROM friction_before_after WHERE date = '2026-11-21' AND verdict NOT IN ('no_change')) AS verdicts",
        ],
    ));
    assert_eq!(
        story.lines().nth(1),
        Some("1,1.5.0 rephrasing_cascade regressed;1.6.0 rephrasing_cascade improved"),
        "{story}"
    );
    assert!(
        summary.contains("| SIG-") && summary.contains("| improved "),
        "{summary}"
    );
    // The three findings show their planted shapes.
    let churn = analysis(&lake, "sql/analyses/churn_leads_to_frustration.sql");
    let churn: Vec<&str> = churn.lines().nth(1).unwrap().split(',').collect();
    let (rr_low, then_tone, tone_first): (f64, i64, i64) = (
        churn[8].parse().unwrap(),
        churn[2].parse().unwrap(),
        churn[3].parse().unwrap(),
    );
    assert!(rr_low > 1.0 && then_tone > tone_first, "{churn:?}");
    let cascades = analysis(&lake, "sql/analyses/cascades_compound.sql");
    let steps: Vec<f64> = cascades
        .lines()
        .filter(|l| l.starts_with("P(k+1 | k)"))
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(steps.len(), 4, "{cascades}");
    assert!(steps[3] > steps[0], "{cascades}");
    let recovery = analysis(&lake, "sql/analyses/recovery_beats_perfection.sql");
    let order: Vec<&str> = recovery
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        order,
        ["recovered", "error_free", "not_recovered"],
        "{recovery}"
    );
    let q = "SELECT (SELECT count(*) FROM analysed_sessions) AS a, \
             (SELECT count(*) FROM sessions WHERE step_count >= 30) AS l, \
             (SELECT count(*) FROM frictions) AS f, (SELECT count(*) FROM session_facets) AS s";
    let counts = ok(&signals(&lake, &["sql", "--format", "csv", q]));
    let row = int_row(&counts);
    assert_eq!(row[0], row[1], "the filter keeps the long sessions");
    assert!(row[0] > 100 && row[2] > 0 && row[3] > 0, "{counts}");

    let (second, summary_again) = main_job();
    assert_eq!(summary, summary_again);
    assert_eq!(counts, ok(&signals(&lake, &["sql", "--format", "csv", q])));
    assert!(
        second.contains("backfill daily: 21 dates, 0 failed"),
        "{second}"
    );
    // The saved views: friction_daily (built in), and a view of the user's own
    // from sql/views/ under the working directory; a broken one is named and skipped.
    let daily = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT count(*), sum(affected) FROM friction_daily",
        ],
    ));
    let per_day = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT count(*) FROM (SELECT DISTINCT date, session_id, friction_type FROM frictions)",
        ],
    ));
    assert!(daily.lines().nth(1).unwrap().starts_with("147,"), "{daily}");
    assert_eq!(
        daily.lines().nth(1).unwrap().split(',').nth(1),
        per_day.lines().nth(1),
        "{daily} {per_day}"
    );
    let views = dir.path().join("sql/views");
    std::fs::create_dir_all(&views).unwrap();
    std::fs::write(
        views.join("long_sessions.sql"),
        "CREATE VIEW long_sessions AS SELECT * FROM sessions WHERE step_count >= 100",
    )
    .unwrap();
    std::fs::write(
        views.join("broken.sql"),
        "CREATE VIEW broken AS SELECT nope FROM nowhere",
    )
    .unwrap();
    let o = signals_in(
        dir.path(),
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT count(*) > 0 FROM long_sessions",
        ],
    );
    assert_eq!(ok(&o).lines().nth(1), Some("true"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("broken.sql"));

    // Deployments: 1.5.0 and 1.6.0 are inferred from the sample's agent versions.
    let list = ok(&signals(&lake, &["deploy", "list"]));
    assert!(
        list.contains("1.6.0") && list.contains("inferred"),
        "{list}"
    );
    let cmp = ok(&signals(&lake, &["compare", "--deploy", "1.6.0"]));
    assert!(
        cmp.starts_with("deployment 1.6.0 (2026-11-15, inferred) as of 2026-11-21")
            && !cmp.contains("window not complete yet")
            && cmp
                .lines()
                .any(|l| l.starts_with("rephrasing_cascade") && l.ends_with("improved")),
        "{cmp}"
    );
    assert_eq!(
        cmp.lines()
            .filter(|l| l.ends_with("no_change")
                || l.ends_with("insufficient_data")
                || l.ends_with("improved")
                || l.ends_with("regressed"))
            .count(),
        7,
        "{cmp}"
    );
    let o = signals(&lake, &["compare", "--deploy", "9.9.9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("deployments: 1.5.0, 1.6.0"));
    let o = signals(
        &lake,
        &[
            "deploy",
            "record",
            "--version",
            "1.6.0",
            "--ticket",
            "SIG-nothere",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SIG-nothere"));
    let tickets = ok(&signals(&lake, &["tickets", "list", "--status", "all"]));
    let id = tickets
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let rec = ok(&signals(
        &lake,
        &[
            "deploy",
            "record",
            "--version",
            "1.6.0",
            "--at",
            "2026-11-15T08:00:00Z",
            "--ticket",
            &id,
        ],
    ));
    assert!(
        rec.contains(&format!(
            "recorded deployment 1.6.0 at 2026-11-15T08:00:00+00:00 (ticket {id})"
        )),
        "{rec}"
    );
    let list = ok(&signals(&lake, &["deploy", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("1.6.0") && l.contains("recorded") && l.contains(&id)),
        "{list}"
    );
    let cmp = ok(&signals(&lake, &["compare", "--deploy", "1.6.0"]));
    assert!(cmp.contains(&format!("recorded, ticket {id}")), "{cmp}");
    // The next backfill reruns the dates from the deployment's day on, so the
    // stored re-measurement knows it too; earlier dates stay as they were.
    let b = ok(&signals_in(repo(), &lake, &["backfill", "daily", "--all"]));
    assert_eq!(b.matches("already complete").count(), 14, "{b}");
    let src = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT DISTINCT source FROM friction_before_after WHERE date = '2026-11-21' AND version = '1.6.0'",
        ],
    ));
    assert_eq!(src.lines().nth(1), Some("recorded"), "{src}");
    let show = ok(&signals(&lake, &["tickets", "show", &id]));
    assert!(
        show.contains(&id) && show.contains("Filed to markdown"),
        "{show}"
    );
    // The linked ticket got its verdict: the loop closed.
    assert!(
        show.contains("Re-measured after deployment 1.6.0") && show.contains("**improved**"),
        "{show}"
    );
}

/// Traffic where nothing changed: two months of generated sessions (3,000 over
/// 28 days, two seeds) with no planted change. The defaults' false-discovery
/// control (docs/pipelines.md: a day crosses by chance with probability at most
/// `max_q` = 5%, 1.4 days in 28; a deployment gets a false verdict with about
/// `remeasure_max_q`) keeps it to a few tickets and at most one verdict. Before
/// the q-values and the arcsine test, the same traffic filed 111 tickets.
#[test]
fn traffic_with_no_change_files_few_tickets_and_no_verdict() {
    let (mut tickets, mut days, mut verdicts) = (0, 0, 0);
    for seed in ["3", "4"] {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake").display().to_string();
        let out = dir.path().join("gen");
        ok(&signals(
            &lake,
            &[
                "generate",
                "--sessions",
                "3000",
                "--days",
                "28",
                "--seed",
                seed,
                "--change",
                "none",
                "--out",
                out.to_str().unwrap(),
            ],
        ));
        ok(&signals(&lake, &["ingest", out.to_str().unwrap()]));
        let b = ok(&signals_in(
            repo(),
            &lake,
            &["backfill", "daily", "--all", "--log-format", "quiet"],
        ));
        assert!(b.contains("28 dates, 0 failed"), "{b}");
        let counts = ok(&signals(
            &lake,
            &[
                "sql",
                "--format",
                "csv",
                "SELECT (SELECT count(*) FROM tickets WHERE date = (SELECT max(date) FROM tickets)) AS tickets, \
                 (SELECT count(DISTINCT date) FROM friction_patterns WHERE crosses_threshold) AS days, \
                 (SELECT count(*) FROM friction_before_after WHERE date = '2026-11-28' AND verdict IN ('improved', 'regressed')) AS verdicts, \
                 (SELECT count(DISTINCT version) FROM friction_before_after WHERE date = '2026-11-28' AND window_complete) AS measured",
            ],
        ));
        let row = int_row(&counts);
        assert_eq!(row[3], 2, "both deployments measured to the end: {counts}");
        tickets += row[0];
        days += row[1];
        verdicts += row[2];
    }
    // 56 days: at most 2.8 crossing days expected; even at that bound, 6 or
    // more have a chance of about 7% (Poisson). Each crossing day files one to
    // three tickets. (Seeds 1-6 measured: 9 crossing days of 168, 14 tickets,
    // no verdict; docs/pipelines.md.)
    assert!(
        days <= 5 && tickets <= 10 && verdicts <= 1,
        "{days} crossing days, {tickets} tickets, {verdicts} verdicts"
    );
}

/// An ingest and a backfill killed with `kill -9` at several points (the ingest
/// after 0.3 s, 1.5 s and as it takes its lease; the backfill on its first date
/// and mid-way), each while holding its lease: run again at once, they take the dead holder's lease (a process of this
/// host that is gone) instead of waiting for it to lapse, and end with the
/// rows of a clean run. `signals lease list` shows what is held.
#[test]
fn killed_writers_are_taken_over_at_once_and_leave_clean_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.display().to_string();
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_signals"))
            .args(args)
            .env("SIGNALS_LAKE", &lake)
            .env("HOSTNAME", "test-host")
            .current_dir(repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Kill the child once it holds a lease (a lease object names its pid).
    let kill_holding = |mut child: std::process::Child, prefix: &str| {
        let leases = lake_dir.join("_leases");
        let me = format!(":{}:", child.id());
        for _ in 0..4000 {
            let held = std::fs::read_dir(&leases).ok().is_some_and(|d| {
                d.flatten().any(|e| {
                    e.file_name().to_string_lossy().starts_with(prefix)
                        && std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(&me))
                })
            });
            if held {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    };
    let again = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_signals"))
            .args(args)
            .env("SIGNALS_LAKE", &lake)
            .env("HOSTNAME", "test-host")
            .current_dir(repo())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        (ok(&o), err)
    };

    // The ingest killed later too, mid-way (it stages, then rewrites partitions).
    for ms in [300, 1500] {
        let mut child = spawn(&["ingest", "data/sessions"]);
        std::thread::sleep(std::time::Duration::from_millis(ms));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    kill_holding(spawn(&["ingest", "data/sessions"]), "ingest");
    let (listed, _) = again(&["lease", "list"]);
    assert!(
        listed.contains("ingest") && listed.contains("holder gone"),
        "{listed}"
    );
    let (out, err) = again(&["ingest", "data/sessions"]);
    assert!(out.contains("2100 sessions in them"), "{out}");
    assert!(err.contains("took over the ingest lease"), "{err}");

    kill_holding(spawn(&["backfill", "daily", "--all"]), "run-daily");
    // Killed again later, mid-way through the dates.
    let mut child = spawn(&["backfill", "daily", "--all"]);
    let mid = lake_dir.join("_runs/daily/date=2026-11-10.json");
    for _ in 0..12000 {
        if mid.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (out, err) = again(&["backfill", "daily", "--all"]);
    assert!(out.contains("21 dates, 0 failed"), "{out}\n{err}");
    assert!(err.contains("took over the run's lease"), "{err}");
    assert!(again(&["lease", "list"]).0.contains("no leases"));

    // The same rows as a clean run of both.
    let clean = dir.path().join("clean").display().to_string();
    ok(&signals_in(repo(), &clean, &["ingest", "data/sessions"]));
    ok(&signals_in(
        repo(),
        &clean,
        &["backfill", "daily", "--all", "--log-format", "quiet"],
    ));
    let q = "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM sessions) AS s, \
             (SELECT count(*) FROM frictions) AS f, (SELECT count(*) FROM session_facets) AS sf, \
             (SELECT count(*) FROM delights) AS d, (SELECT count(*) FROM friction_patterns WHERE crosses_threshold) AS p, \
             (SELECT count(*) FROM tickets) AS t, (SELECT count(*) FROM friction_before_after WHERE verdict <> 'no_change') AS v";
    assert_eq!(
        ok(&signals(&lake, &["sql", "--format", "csv", q])),
        ok(&signals(&clean, &["sql", "--format", "csv", q]))
    );
    // A lease of another machine is broken by hand.
    let o = signals(&lake, &["lease", "break", "nothing-here"]);
    assert_eq!(o.status.code(), Some(1));
}

/// A lake judged before the `session_frictions` stage existed: the stages that
/// count from it name the dates it lacks and the command, and the backfill runs
/// only that stage on the dates already done.
#[test]
fn a_lake_from_before_session_frictions_is_named_and_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.display().to_string();
    ok(&signals_in(repo(), &lake, &["ingest", "data/sessions"]));
    let range = ["--from", "2026-11-01", "--to", "2026-11-02"];
    ok(&signals_in(
        repo(),
        &lake,
        &[&["backfill", "daily"][..], &range[..]].concat(),
    ));
    // What an older version left: frictions on 2026-11-01, no session_frictions,
    // and a run state without the stage.
    std::fs::remove_dir_all(lake_dir.join("session_frictions/date=2026-11-01")).unwrap();
    let state = lake_dir.join("_runs/daily/date=2026-11-01.json");
    let mut run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    run["stages"]
        .as_object_mut()
        .unwrap()
        .remove("session_frictions")
        .expect("the run state has the stage");
    std::fs::write(&state, run.to_string()).unwrap();

    let o = signals_in(repo(), &lake, &["run", "daily", "--date", "2026-11-03"]);
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("patterns failed"), "{out}");
    assert!(
        out.contains(
            "session_frictions has no partition for 1 date(s) that frictions has (2026-11-01)"
        ) && out.contains("`signals backfill daily --all`"),
        "{out}"
    );
    // `signals compare` reads it too, and says the same.
    let o = signals_in(
        repo(),
        &lake,
        &["compare", "--deploy", "1.5.0", "--date", "2026-11-02"],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("session_frictions has no partition"), "{err}");

    let args: Vec<&str> = "backfill daily --from 2026-11-01 --to 2026-11-03"
        .split(' ')
        .collect();
    let o = signals_in(repo(), &lake, &args);
    let out = ok(&o);
    assert!(out.contains("backfill daily: 3 dates, 0 failed"), "{out}");
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        log.contains("daily 2026-11-01 session_frictions: succeeded")
            && !log.contains("daily 2026-11-01 friction: started")
            && !log.contains("daily 2026-11-01 patterns: started"),
        "{log}"
    );
    // Each session once per type, with all its moments.
    let q = "SELECT (SELECT count(*) FROM session_frictions) AS n, \
             (SELECT sum(moments) FROM session_frictions) AS m, \
             (SELECT count(*) FROM (SELECT DISTINCT session_id, friction_type FROM frictions)) AS d, \
             (SELECT count(*) FROM frictions) AS f";
    let csv = ok(&signals(&lake, &["sql", "--format", "csv", q]));
    let row = int_row(&csv);
    assert_eq!((row[0], row[1]), (row[2], row[3]), "{csv}");
    assert!(row[0] > 0, "{csv}");

    // Judging a date again outside the pipeline says how to recount its outputs.
    let o = signals_in(repo(), &lake, &["judge", "--date", "2026-11-02"]);
    ok(&o);
    let note = String::from_utf8_lossy(&o.stderr);
    assert!(
        note.contains("--from 2026-11-02 --to 2026-11-02 --from-stage session_frictions"),
        "{note}"
    );
    let args: Vec<&str> =
        "backfill daily --from 2026-11-02 --to 2026-11-02 --from-stage session_frictions"
            .split(' ')
            .collect();
    let o = signals_in(repo(), &lake, &args);
    ok(&o);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        log.contains("daily 2026-11-02 session_frictions: succeeded")
            && log.contains("daily 2026-11-02 patterns: succeeded")
            && !log.contains("daily 2026-11-02 friction: started"),
        "{log}"
    );
}

#[test]
fn run_status_dag_and_schedule_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let sessions_dir = generate(dir.path(), 60);
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals(&lake, &["ingest", &sessions_dir]));
    let date = "2026-11-01";

    // JSON logs: one object per line on stderr.
    let o = signals_in(
        repo(),
        &lake,
        &["run", "daily", "--date", date, "--log-format", "json"],
    );
    let out = ok(&o);
    assert!(
        out.starts_with(&format!("daily {date}: succeeded")),
        "{out}"
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    // Facet discovery runs on Mondays; 11-01 is a Sunday.
    assert!(events.iter().any(|e| e["stage"] == "facet_discovery"
        && e["event"] == "stage_finished"
        && e["note"] == "not due: runs on mon"));
    let finished: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "stage_finished" && e["stage"] != "facet_discovery")
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(finished.len(), 12, "{events:?}");
    let at = |stage: &str| finished.iter().position(|s| *s == stage).unwrap();
    // Each stage finishes after what it depends on (the rest run side by side).
    for (before, after) in [
        ("ingest", "filter"),
        ("filter", "friction"),
        ("filter", "facets"),
        ("filter", "delight"),
        ("friction", "session_frictions"),
        ("session_frictions", "patterns"),
        ("facets", "patterns"),
        ("patterns", "tickets"),
        ("tickets", "alerts"),
        ("tickets", "resolve"),
        ("tickets", "remeasure"),
        ("remeasure", "digest"),
        ("delight", "digest"),
    ] {
        assert!(at(before) < at(after), "{before} < {after}: {finished:?}");
    }
    assert_eq!(finished[0], "ingest");
    assert!(
        events
            .iter()
            .all(|e| e["pipeline"] == "daily" && e["date"] == date)
    );

    let again = ok(&signals_in(
        repo(),
        &lake,
        &["run", "daily", "--date", date],
    ));
    assert!(again.contains("already complete"), "{again}");

    let status = ok(&signals_in(repo(), &lake, &["status", "--date", date]));
    let lines: Vec<&str> = status.lines().collect();
    assert!(
        lines[1].contains("succeeded") && lines[1].contains("13/13"),
        "{status}"
    );
    assert!(
        lines[2].trim_start().starts_with("ingest") && lines[2].contains("off"),
        "pipeline order:\n{status}"
    );
    assert!(
        lines[3].trim_start().starts_with("filter") && lines[3].contains("rows"),
        "{status}"
    );

    // User errors: named, non-zero exit, nothing run.
    let o = signals_in(
        repo(),
        &lake,
        &["run", "daily", "--date", date, "--param", "min_step=3"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("min_step") && err.contains("min_steps"),
        "{err}"
    );
    let o = signals_in(repo(), &lake, &["run", "weekly", "--date", date]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("known: daily"));

    // Backfill a range, then the DAG as Graphviz.
    let b = ok(&signals_in(
        repo(),
        &lake,
        &[
            "backfill",
            "daily",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--parallel",
            "2",
        ],
    ));
    assert!(
        b.contains("already complete") && b.contains("3 dates, 0 failed"),
        "{b}"
    );
    let dot = ok(&signals_in(
        repo(),
        &lake,
        &["dag", "show", "daily", "--format", "dot"],
    ));
    assert!(dot.contains("\"filter\" -> \"friction\""), "{dot}");

    // Diagnostics: what RUST_LOG selects goes to stderr, under the stage's span;
    // nothing by default.
    let traced = signals_env(
        &lake,
        &["run", "daily", "--date", date, "--from", "digest"],
        &[("RUST_LOG".into(), "signals=debug".into())],
    );
    let err = String::from_utf8_lossy(&traced.stderr);
    assert!(
        err.lines().any(|l| l.contains("DEBUG")
            && l.contains("stage{pipeline=daily date=2026-11-01 stage=digest kind=\"digest\"}")
            && l.contains("partition written table=\"digests\"")),
        "{err}"
    );
    let quiet = signals(&lake, &["run", "daily", "--date", date, "--from", "digest"]);
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("DEBUG"),
        "{quiet:?}"
    );

    // The scheduler, once: the last 7 days (catchup_days) before now, each run.
    let s = ok(&signals_in(
        repo(),
        &lake,
        &["schedule", "daily", "--once", "--log-format", "quiet"],
    ));
    assert_eq!(
        s.lines().filter(|l| l.contains(": succeeded")).count(),
        7,
        "{s}"
    );
    let s = signals_in(repo(), &lake, &["schedule", "daily", "--once"]);
    assert!(
        String::from_utf8_lossy(&s.stderr).contains("up to date"),
        "{s:?}"
    );
}

/// The analysts' side: the notebook runs top to bottom on the sample data, and
/// DuckDB and pyarrow read the same tables with the same row counts. Needs the
/// packages of notebooks/requirements.txt (CI installs them and sets
/// SIGNALS_REQUIRE_NOTEBOOKS=1, which makes their absence a failure).
#[test]
fn notebooks_run_and_other_tools_read_the_lake() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import datafusion, duckdb, pyarrow, pandas, matplotlib, nbclient, nbformat, ipykernel",
        ])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("SIGNALS_REQUIRE_NOTEBOOKS").is_none(),
            "python packages missing: pip install -r notebooks/requirements.txt"
        );
        eprintln!("skipped: pip install -r notebooks/requirements.txt to run the notebooks");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals_in(repo(), &lake, &["ingest", "data/sessions"]));
    ok(&signals_in(
        repo(),
        &lake,
        &["backfill", "daily", "--all", "--log-format", "quiet"],
    ));

    let read = Command::new("python3")
        .arg("read_lake.py")
        .arg(&lake)
        .current_dir(repo().join("notebooks"))
        .output()
        .unwrap();
    let text = ok(&read);
    for table in [
        "sessions",
        "events",
        "frictions",
        "friction_patterns",
        "tickets",
    ] {
        let ours = ok(&signals(
            &lake,
            &[
                "sql",
                "--format",
                "csv",
                &format!("SELECT count(*) FROM {table}"),
            ],
        ));
        let n = ours.lines().nth(1).unwrap();
        assert!(
            text.lines().any(|l| l == format!("{table} {n} {n}")),
            "{table}: ours {n}\n{text}"
        );
    }

    let out = dir.path().join("figures");
    std::fs::create_dir_all(&out).unwrap();
    let run = Command::new("python3")
        .args([
            "-c",
            "import nbformat, nbclient; nb = nbformat.read('friction.ipynb', 4); \
             nbclient.NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': '.'}}).execute(); \
             print('executed', len(nb.cells), 'cells')",
        ])
        .current_dir(repo().join("notebooks"))
        .env("SIGNALS_LAKE", &lake)
        .env("NOTEBOOK_OUT", &out)
        .output()
        .unwrap();
    assert!(ok(&run).contains("executed"));
    for f in [
        "friction_rates.png",
        "severity_mix.png",
        "top_slices.png",
        "before_after.png",
        "delight.png",
        "cascades.png",
        "recovery.png",
    ] {
        let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 5_000, "{f}: {len} bytes");
    }
}

/// `signals report`: a self-contained page whose charts have data points, rendered
/// by headless Chromium without console errors. Needs Debian's `chromium` (CI
/// installs it and sets SIGNALS_REQUIRE_CHROMIUM=1).
#[test]
fn the_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals_in(repo(), &lake, &["ingest", "data/sessions"]));
    ok(&signals_in(
        repo(),
        &lake,
        &["backfill", "daily", "--all", "--log-format", "quiet"],
    ));
    let out = dir.path().join("out");
    let written = ok(&signals(
        &lake,
        &[
            "report",
            "--date",
            "2026-11-21",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let page = out.join("report-2026-11-21.html");
    assert_eq!(written.trim(), page.display().to_string());
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing is fetched.
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("src="),
        "external reference"
    );
    for want in [
        "Friction rate per type",
        "Severity mix",
        "Patterns above threshold",
        "Open tickets",
        "Before and after deployments",
        "1.6.0",
        "improved",
        "Delight",
        "gratitude",
        "Context churn is a leading indicator of frustration",
        "Rephrasing cascades compound",
        "Recovery beats perfection",
        "P(k+1 | k)",
        "not_recovered",
    ] {
        assert!(html.contains(want), "{want}");
    }
    // An empty lake still gives a page, saying so.
    let empty = dir.path().join("empty").display().to_string();
    let o = signals(
        &empty,
        &[
            "report",
            "--date",
            "2026-11-14",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok(&o).contains("report-2026-11-14.html"));

    let Ok(chromium) = Command::new("chromium").arg("--version").output() else {
        assert!(
            std::env::var_os("SIGNALS_REQUIRE_CHROMIUM").is_none(),
            "chromium missing: apt-get install chromium"
        );
        eprintln!("skipped the browser check: apt-get install chromium");
        return;
    };
    assert!(chromium.status.success());
    std::fs::write(&page, &html).unwrap();
    let profile = dir.path().join("profile");
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not run:\n{log}"
    );
    for chart in ["rates", "severity", "before_after", "satisfaction"] {
        let at = dom
            .find(&format!("data-chart=\"{chart}\""))
            .unwrap_or_else(|| panic!("no chart {chart}"));
        let tag = &dom[at..at + dom[at..].find('>').unwrap()];
        let points: usize = tag
            .split("data-points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(points > 0, "{chart} has no data points: {tag}");
    }
    // 21 days x 7 types.
    assert!(dom.contains("data-points=\"147\""));
    assert!(
        !log.contains("CONSOLE") && !log.contains("Uncaught"),
        "console errors:\n{log}"
    );
}

/// `signals bench` end to end on a small set: every stage of the pipeline is
/// reported, the SQL stages give DuckDB and DataFusion the same rows, and the
/// LLM cost model read sessions. Timings are printed, never checked.
#[test]
fn bench_reports_every_stage_and_both_engines_agree() {
    let has_duckdb = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_duckdb {
        assert!(
            std::env::var_os("SIGNALS_REQUIRE_NOTEBOOKS").is_none(),
            "python packages missing: pip install -r notebooks/requirements.txt"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    let b = bench.display().to_string();
    let python = if has_duckdb { "python3" } else { "" };
    let out = ok(&signals(
        "unused",
        &[
            "bench",
            "--sessions",
            "600",
            "--days",
            "8",
            "--dir",
            &b,
            "--reps",
            "1",
            "--rounds",
            "2",
            "--sql-dates",
            "2",
            "--llm-sample",
            "50",
            "--real-size-sessions",
            "12",
            "--python",
            python,
        ],
    ));
    assert!(
        out.contains("## Targets") && out.contains("ingest at >= 300k events/s"),
        "{out}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bench.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["sessions"], 600);
    assert_eq!(r["dates"], 8);
    // The next day through the landing zone: 75 sessions, measured.
    assert_eq!(r["incremental_sessions"], 75);
    assert!(r["incremental_day"]["seconds"].as_f64().unwrap() > 0.0);
    assert!(out.contains("the next day (75 sessions landing"), "{out}");
    // The live hook, on a 2,000-line transcript whose last prompt restates.
    assert!((1995..=2005).contains(&r["hook"]["lines"].as_u64().unwrap()));
    assert_eq!(r["hook"]["fired"], true);
    assert!(r["hook"]["median_ms"].as_f64().unwrap() > 0.0);
    assert!(out.contains("the live hook"), "{out}");
    let stages: Vec<&str> = r["stages"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for s in [
        "filter",
        "friction",
        "facets",
        "delight",
        "patterns",
        "tickets",
        "resolve",
        "remeasure",
        "facet_discovery",
    ] {
        assert!(stages.contains(&s), "{stages:?}");
    }
    assert_eq!(r["stages"]["filter"]["rows"], r["analysed"]);
    assert!(
        r["ingest"]["peak_rss"].as_u64().unwrap() > 0,
        "RSS was sampled"
    );
    for q in ["filter", "patterns", "remeasure", "scan"] {
        let c = &r["sql"][q];
        assert_eq!(c["rows"].as_array().unwrap().len(), 2, "{q}");
        let (ours, planning) = (
            c["ours"].as_f64().unwrap(),
            c["ours_planning"].as_f64().unwrap(),
        );
        assert!(
            planning > 0.0 && planning < ours,
            "{q}: planning ({planning}) is part of the query's time ({ours})"
        );
        assert_eq!(c["ours_rounds"].as_array().unwrap().len(), 2, "{q}");
        if has_duckdb {
            assert_eq!(
                c["rows"], c["duckdb_rows"],
                "{q}: both engines give the same rows"
            );
            // Both engines ran in each round, and the ratio is the rounds' median.
            let ratios: Vec<f64> = c["ratios"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert_eq!(ratios.len(), 2, "{q}");
            let ratio = c["ratio"].as_f64().unwrap();
            assert!(ratios.contains(&ratio), "{q}: {ratio} of {ratios:?}");
        }
    }
    assert_eq!(r["llm"]["sessions"], 50);
    assert!(r["llm"]["input_condensed"].as_f64().unwrap() > 1000.0);
    assert!(
        r["llm"]["usd_cascade"].as_f64().unwrap()
            <= r["llm"]["usd_all_condensed"].as_f64().unwrap()
    );
    // Real-size sessions: far over the input budget whole, condensed >= 5x fewer.
    let real = &r["llm_real_size"];
    assert!(real["over_budget"].as_u64().unwrap() > 0, "{real}");
    assert!(
        real["over_whole"].as_f64().unwrap() >= 5.0 * real["over_condensed"].as_f64().unwrap(),
        "{real}"
    );
    assert!(out.contains("real-size sessions"), "{out}");
    // `signals bench cost` on that lake gives the same figures.
    let lake = bench.join("real-size").join("lake").display().to_string();
    let cost: serde_json::Value =
        serde_json::from_str(&ok(&signals(&lake, &["bench", "cost", "--all", "--json"]))).unwrap();
    assert_eq!(cost["sessions"], real["sessions"]);
    assert_eq!(cost["input_condensed"], real["input_condensed"]);
    // A second run reuses the generated sessions.
    let again = signals(
        "unused",
        &[
            "bench",
            "--sessions",
            "600",
            "--days",
            "8",
            "--dir",
            &b,
            "--reps",
            "1",
            "--sql-dates",
            "1",
            "--llm-sample",
            "10",
            "--real-size-sessions",
            "0",
            "--python",
            "",
        ],
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("reusing the sessions"));
}

/// `signals hook claude-code` as Claude Code runs it: the hook input on stdin, the
/// hook's JSON on stdout when a cascade is under way (wording from the daily
/// pipeline's parameter), nothing otherwise, and exit 0 even on bad input.
#[test]
fn the_claude_code_hook_speaks_only_when_a_cascade_is_under_way() {
    let transcript = repo().join("crates/hook/tests/fixtures/cascade.jsonl");
    let hook_with = |extra: &[&str], stdin: String| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_signals"))
            .args(["hook", "claude-code"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        (
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let hook = |stdin: String| hook_with(&[], stdin);
    let input = |prompt: &str| {
        serde_json::json!({
            "session_id": "5b1f0c2e-cascade-test",
            "transcript_path": transcript.display().to_string(),
            "hook_event_name": "UserPromptSubmit",
            "prompt": prompt,
        })
        .to_string()
    };
    let (out, _) = hook(input(
        "It's still not blue. The login button should be blue!",
    ));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "UserPromptSubmit");
    let context = v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap();
    let daily = std::fs::read_to_string(repo().join("pipelines/daily.toml")).unwrap();
    assert!(
        daily.contains(context),
        "the wording is the pipeline's parameter"
    );
    assert!(context.contains("clarifying question"), "{context}");

    let (out, err) = hook(input("Now add a unit test for the header component."));
    assert_eq!((out.as_str(), err.as_str()), ("", ""));

    // With --log, each intervention is a row of the lake's `interventions`, and
    // sql/analyses/interventions_help.sql compares those sessions with the rest.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    ok(&signals(&lake, &["ingest", transcript.to_str().unwrap()]));
    ok(&signals(&lake, &["judge", "--all", "--min-steps", "0"]));
    let (out, err) = hook_with(
        &["--log", &lake],
        input("It's still not blue. The login button should be blue!"),
    );
    assert!(!out.is_empty(), "{err}");
    let rows = ok(&signals(
        &lake,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT session_id, agent, friction_type FROM interventions",
        ],
    ));
    assert_eq!(
        rows,
        "session_id,agent,friction_type\n5b1f0c2e-cascade-test,claude-code,rephrasing_cascade\n"
    );
    let help = analysis(&lake, "sql/analyses/interventions_help.sql");
    let first = help.lines().nth(1).unwrap_or("");
    assert!(first.starts_with("rephrasing_cascade,true,1,"), "{help}");
    // The report has a section on them.
    let out = dir.path().join("report");
    let page = ok(&signals(
        &lake,
        &[
            "report",
            "--date",
            "2026-12-01",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let html = std::fs::read_to_string(page.trim()).unwrap();
    let section = &html[html
        .find("<h2>Live interventions</h2>")
        .expect("the section")..];
    let section = &section[..4 + section[4..].find("<h2>").unwrap_or(section.len() - 4)];
    assert!(
        section.contains("<td>rephrasing_cascade</td><td>true</td><td>1</td>"),
        "{section}"
    );

    let (out, err) = hook("{not json".into());
    assert_eq!(out, "");
    assert!(err.contains("the prompt goes on unchanged"), "{err}");
}

/// The daily digest and the alerts on the sample: one Slack message per date
/// (a local server plays the incoming webhook), none again when the dates run
/// again, one alert for the cascade 1.5.0 brought, the same digest on stdout,
/// and the webhook URL nowhere in the output or the lake.
#[tokio::test(flavor = "multi_thread")]
async fn the_digest_goes_to_slack_once_a_date_and_prints_from_the_cli() {
    use signals_testkit::http::Server;
    let server = Server::start(|_| (200, serde_json::Value::String("ok".into()))).await;
    let secret = "T0SECRET/B0SECRET/hookTOKEN";
    let url = format!("{}/services/{secret}", server.url);
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let run = |args: &[&str], url: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signals"));
        cmd.args(args)
            .current_dir(repo())
            .env("SIGNALS_LAKE", &lake);
        match url {
            Some(u) => cmd.env("SIGNALS_SLACK_WEBHOOK_URL", u),
            None => cmd.env_remove("SIGNALS_SLACK_WEBHOOK_URL"),
        };
        let out = cmd.output().expect("signals runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("SECRET"),
            "the webhook URL was printed:\n{all}"
        );
        out
    };
    ok(&run(&["ingest", "data/sessions"], None));

    // Slack without its webhook fails before anything runs, and says what to set.
    let no_url = run(
        &[
            "run",
            "daily",
            "--date",
            "2026-11-09",
            "--param",
            "notify=slack",
        ],
        None,
    );
    assert!(!no_url.status.success());
    assert!(
        String::from_utf8_lossy(&no_url.stderr).contains("SIGNALS_SLACK_WEBHOOK_URL"),
        "{}",
        String::from_utf8_lossy(&no_url.stderr)
    );

    // A date older than notify_max_age_days (3 by default) is not posted: the
    // sample's are weeks old. Its digest is written all the same.
    let old = ok(&run(
        &[
            "run",
            "daily",
            "--date",
            "2026-11-02",
            "--param",
            "notify=slack",
        ],
        Some(&url),
    ));
    assert!(
        old.contains("not posted (older than notify_max_age_days)"),
        "{old}"
    );
    assert!(server.take().is_empty());
    // No age limit from here on.
    let backfill = [
        "backfill",
        "daily",
        "--all",
        "--param",
        "notify=slack",
        "--param",
        "notify_max_age_days=0",
    ];
    let first = ok(&run(&backfill, Some(&url)));
    assert!(first.contains("21 dates, 0 failed"), "{first}");
    let posts = server.take();
    let headers: Vec<String> = posts
        .iter()
        .map(|p| {
            p.body["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let digests = headers
        .iter()
        .filter(|h| h.starts_with("agent-signals — "))
        .count();
    let alerts: Vec<&String> = headers.iter().filter(|h| h.contains("alert")).collect();
    assert_eq!(digests, 21, "{headers:?}");
    assert_eq!(alerts, ["agent-signals alert — 2026-11-09"], "{headers:?}");
    assert!(
        posts
            .iter()
            .all(|p| p.path == format!("/services/{secret}"))
    );
    // Every message keeps to Slack's limits.
    for p in &posts {
        let blocks = p.body["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50, "{} blocks", blocks.len());
        for b in blocks {
            let text = b["text"]["text"].as_str().unwrap_or("");
            let max = if b["type"] == "header" { 150 } else { 3000 };
            assert!(text.chars().count() <= max, "{b}");
        }
        assert!(p.body["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    // The day of the fix's verdict says so, in Slack and on stdout.
    let verdict_day = posts
        .iter()
        .find(|p| p.body["blocks"][0]["text"]["text"] == "agent-signals — 2026-11-21")
        .unwrap();
    let text = verdict_day.body.to_string();
    assert!(
        text.contains("*1.6.0*") && text.contains("rephrasing_cascade improved 35.5% → 8.5%"),
        "{text}"
    );
    let md = ok(&run(&["digest", "--date", "2026-11-21"], None));
    assert!(
        md.contains("## Deployment verdicts")
            && md.contains("**1.6.0**")
            && md.contains("rephrasing_cascade improved 35.5% → 8.5%"),
        "{md}"
    );
    let md9 = ok(&run(&["digest", "--date", "2026-11-09"], None));
    assert!(
        md9.contains("## Crossing patterns (1)")
            && md9.contains("**rephrasing_cascade** in all sessions: 42.5%"),
        "{md9}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lake/digests/2026-11-09.md")).unwrap(),
        md9
    );
    let json = ok(&run(
        &["digest", "--date", "2026-11-09", "--format", "slack"],
        None,
    ));
    let message: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(message["blocks"][0]["type"], "header");

    // Every date again, forced: nothing is posted twice.
    let again = ok(&run(
        &[
            "backfill",
            "daily",
            "--all",
            "--force",
            "--param",
            "notify=slack",
        ],
        Some(&url),
    ));
    assert!(again.contains("21 dates, 0 failed"), "{again}");
    assert!(server.take().is_empty());
    let table = ok(&run(
        &[
            "sql",
            "--format",
            "csv",
            "SELECT (SELECT count(*) FROM digests WHERE channel = 'slack' AND status = 'already_posted') AS d, \
             (SELECT count(*) FROM alerts WHERE status = 'already_posted') AS a",
        ],
        None,
    ));
    assert_eq!(int_row(&table), [21, 1], "{table}");
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains("SECRET"),
                    "{} holds the webhook URL",
                    e.path().display()
                );
            }
        }
    }
}
