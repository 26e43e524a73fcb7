//! Integration tests of `signals ingest` against real lakes (local disk and memory),
//! and of the agent-log adapters (`adapters/`).

mod adapters;

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use signals_ingest::input::{Input, expand};
use signals_ingest::{IngestOptions, ingest};
use signals_lake::Lake;

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn files(paths: &[&PathBuf]) -> Vec<Input> {
    paths.iter().map(|p| Input::File((*p).clone())).collect()
}

async fn query(lake: &Lake, sql: &str) -> Vec<RecordBatch> {
    let ctx = lake.session_context().await.unwrap();
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

async fn scalar(lake: &Lake, sql: &str) -> i64 {
    query(lake, sql).await[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .value(0)
}

/// Column `i` of all batches as strings (nulls as "∅").
async fn strings(lake: &Lake, sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in query(lake, sql).await {
        let c = arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
        let c = c.as_string::<i32>();
        for i in 0..c.len() {
            out.push(if c.is_null(i) {
                "∅".into()
            } else {
                c.value(i).to_string()
            });
        }
    }
    out
}

const SESSION_A: &str = r#"{"session_id":"a","seq":0,"ts":"2026-11-20T09:00:00Z","kind":"session_start","agent":"droid","agent_version":"0.9.1","model":"gpt-5","user":"u-1"}
{"session_id":"a","seq":1,"ts":"2026-11-20T09:00:05Z","kind":"user_message","text":"Add retries to the upload client"}
{"session_id":"a","seq":2,"ts":"2026-11-20T09:00:09Z","kind":"context_add","path":"src/upload.rs"}
{"session_id":"a","seq":3,"ts":"2026-11-20T09:00:12Z","kind":"tool_call","call_id":"c1","tool":"edit_file","args":{"path":"src/upload.rs"}}
{"session_id":"a","seq":4,"ts":"2026-11-20T09:00:20Z","kind":"tool_result","call_id":"c1","status":"rejected"}
{"session_id":"a","seq":5,"ts":"2026-11-20T09:03:00Z","kind":"session_end","status":"completed"}
"#;

#[tokio::test]
async fn spec_example_lands_in_sessions_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.jsonl", SESSION_A);
    let lake = Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    let r = ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (r.counts.events, r.sessions, r.counts.quarantined),
        (6, 1, 0)
    );
    let b = &query(&lake, "SELECT agent, agent_version, model, \"user\", step_count, event_count, user_message_count, rejected_tool_count, end_status, duration_s, date FROM sessions").await[0];
    let s = |i: usize| {
        arrow::compute::cast(b.column(i), &DataType::Utf8)
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string()
    };
    assert_eq!(
        (0..11).map(s).collect::<Vec<_>>(),
        vec![
            "droid",
            "0.9.1",
            "gpt-5",
            "u-1",
            "1",
            "6",
            "1",
            "1",
            "completed",
            "180.0",
            "2026-11-20"
        ]
    );
    let args = strings(&lake, "SELECT args FROM events WHERE kind = 'tool_call'").await;
    assert_eq!(args, vec![r#"{"path":"src/upload.rs"}"#]);
}

#[tokio::test]
async fn bad_lines_are_quarantined_next_to_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for (i, line) in SESSION_A.lines().enumerate() {
        body.push_str(line);
        body.push('\n');
        // A bad line after every good one.
        body.push_str(match i {
            0 => "this is not json\n",
            1 => "{\"kind\":\"user_message\",\"text\":\"no session\"}\n",
            2 => "{\"session_id\":\"a\",\"text\":\"no kind\"}\n",
            3 => "{\"session_id\":\"a\",\"kind\":\"user_message\",\"seq\":\"7\"}\n",
            4 => "{\"session_id\":\"a\",\"kind\":\"user_message\",\"ts\":\"last tuesday\"}\n",
            _ => "[\"an\",\"array\"]\n",
        });
    }
    body.push_str("{\"session_id\":\"a\",\"seq\":6,\"kind\":\"user_mess"); // truncated last line
    let mut bytes = body.into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe{\"session_id\":\"a\"}\n");
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, bytes).unwrap();
    let lake = Lake::open("memory:///").unwrap();
    let r = ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(r.counts.events, 6, "every good line is kept");
    assert_eq!(r.counts.quarantined, 8);
    let reasons = strings(&lake, "SELECT reason FROM quarantine ORDER BY source_line").await;
    let want = [
        "not valid JSON",
        "missing required field session_id",
        "missing required field kind",
        "malformed field seq",
        "malformed field ts",
        "not a JSON object",
        "not valid JSON",
        "not valid UTF-8",
    ];
    assert_eq!(reasons.len(), want.len());
    for (got, want) in reasons.iter().zip(want) {
        assert!(got.starts_with(want), "{got} should start with {want}");
    }
    let lines = strings(
        &lake,
        "SELECT CAST(source_line AS VARCHAR) AS l FROM quarantine ORDER BY source_line",
    )
    .await;
    assert_eq!(lines, vec!["2", "4", "6", "8", "10", "12", "13", "14"]);
    assert_eq!(
        scalar(
            &lake,
            "SELECT count(*) FROM quarantine WHERE source_file LIKE '%bad.jsonl'"
        )
        .await,
        8
    );
    // Re-ingesting the same bad file does not duplicate quarantine rows either.
    ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(scalar(&lake, "SELECT count(*) FROM quarantine").await, 8);
}

/// Format detection reads a first line it cannot parse whole for its top-level
/// fields: a first line longer than the peek buffer (a huge tool output) is
/// read, and one nested deeper than the parser goes is quarantined alone.
#[tokio::test]
async fn a_huge_or_too_deep_first_line_does_not_lose_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let next = "{\"session_id\":\"h\",\"seq\":1,\"ts\":\"2026-11-20T09:00:05Z\",\"kind\":\"user_message\",\"text\":\"ok\"}\n";
    let huge = format!(
        "{{\"session_id\":\"h\",\"seq\":0,\"ts\":\"2026-11-20T09:00:00Z\",\"kind\":\"tool_result\",\"call_id\":\"c\",\"status\":\"ok\",\"output\":\"{}\"}}\n{next}",
        "x".repeat(3 << 20)
    );
    let deep = format!(
        "{{\"session_id\":\"h\",\"seq\":0,\"kind\":\"user_message\",\"attrs\":{}{}}}\n{next}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for (name, body, events, quarantined) in
        [("huge.jsonl", huge, 2, 0), ("deep.jsonl", deep, 1, 1)]
    {
        let f = write(dir.path(), name, &body);
        let lake = Lake::open("memory:///").unwrap();
        let r = ingest(&lake, files(&[&f]), &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (r.counts.events, r.counts.quarantined),
            (events, quarantined),
            "{name}"
        );
    }
}

/// Parquet in: a warehouse export (its own columns) mapped by a SQL SELECT, and a
/// file with the interchange columns read as it is. A row that does not fit is
/// quarantined under its row number; a mapping that does not plan names the file.
#[tokio::test]
async fn parquet_files_are_read_with_or_without_a_mapping() {
    use arrow::array::{Int64Array, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema, TimeUnit};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let write_parquet = |name: &str, batch: RecordBatch| {
        let path = dir.path().join(name);
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            batch.schema(),
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    };
    let t0 = 1_795_165_200_000_000i64; // 2026-11-20T09:00:00Z
    let export = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("conversation_id", DataType::Utf8, false),
            Field::new("turn_index", DataType::Int64, false),
            Field::new(
                "created_at",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
            Field::new("role", DataType::Utf8, false),
            Field::new("content", DataType::Utf8, false),
        ])),
        vec![
            Arc::new(StringArray::from(vec!["c1", "c1", "c1", "c2", "c2"])),
            Arc::new(Int64Array::from(vec![0, 1, 2, 0, 1])),
            Arc::new(TimestampMicrosecondArray::from(
                (0..5).map(|i| t0 + i * 1_000_000).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(vec![
                "user",
                "assistant",
                "user",
                "user",
                "system",
            ])),
            Arc::new(StringArray::from(vec![
                "fix the parser",
                "done",
                "thanks",
                "add retries",
                "you are helpful",
            ])),
        ],
    )
    .unwrap();
    let export = write_parquet("export.parquet", export);
    let map = "SELECT conversation_id AS session_id, turn_index AS seq, created_at AS ts, \
               CASE role WHEN 'user' THEN 'user_message' WHEN 'assistant' THEN 'assistant_message' END AS kind, \
               content AS text FROM input";
    let lake = Lake::open("memory:///").unwrap();
    let opts = IngestOptions {
        map: Some(map.into()),
        ..IngestOptions::default()
    };
    let r = ingest(&lake, files(&[&export]), &opts).await.unwrap();
    assert_eq!(
        (r.counts.events, r.sessions, r.counts.quarantined),
        (4, 2, 1)
    );
    assert_eq!(
        strings(
            &lake,
            "SELECT reason || ' @' || CAST(source_line AS VARCHAR) AS r FROM quarantine"
        )
        .await,
        ["missing required field kind @5"]
    );
    assert_eq!(
        strings(
            &lake,
            "SELECT CAST(ts AS VARCHAR) AS t FROM events WHERE session_id = 'c1' AND seq = 2"
        )
        .await,
        ["2026-11-20T09:00:02Z"]
    );
    assert_eq!(
        scalar(
            &lake,
            "SELECT count(*) FROM events WHERE kind = 'user_message'"
        )
        .await,
        3
    );

    let own = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("session_id", DataType::Utf8, false),
            Field::new("seq", DataType::Int64, false),
            Field::new("ts", DataType::Utf8, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("text", DataType::Utf8, true),
        ])),
        vec![
            Arc::new(StringArray::from(vec!["p1", "p1"])),
            Arc::new(Int64Array::from(vec![0, 1])),
            Arc::new(StringArray::from(vec![
                "2026-11-21T10:00:00Z",
                "2026-11-21T10:00:05Z",
            ])),
            Arc::new(StringArray::from(vec!["session_start", "user_message"])),
            Arc::new(StringArray::from(vec![None, Some("hello")])),
        ],
    )
    .unwrap();
    let own = write_parquet("events.parquet", own);
    let r = ingest(&lake, files(&[&own]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (r.counts.events, r.sessions, r.counts.quarantined),
        (2, 1, 0)
    );

    let bad = IngestOptions {
        map: Some("SELECT nothing_here FROM input".into()),
        ..IngestOptions::default()
    };
    let e = ingest(&lake, files(&[&export]), &bad)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("export.parquet") && e.contains("mapping SQL"),
        "{e}"
    );
}

#[tokio::test]
async fn gzip_and_zstd_inputs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("a.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(SESSION_A.as_bytes()).unwrap();
    enc.finish().unwrap();
    let other = SESSION_A.replace("\"a\"", "\"b\"");
    let zst = dir.path().join("b.log"); // detected by content, not by name
    std::fs::write(&zst, zstd::encode_all(other.as_bytes(), 3).unwrap()).unwrap();
    let lake = Lake::open("memory:///").unwrap();
    let r = ingest(&lake, files(&[&gz, &zst]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (r.files, r.counts.events, r.sessions, r.counts.quarantined),
        (2, 12, 2, 0)
    );
    assert_eq!(
        strings(&lake, "SELECT session_id FROM sessions ORDER BY session_id").await,
        vec!["a", "b"]
    );
}

#[tokio::test]
async fn reingest_and_overlapping_files_never_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<&str> = SESSION_A.lines().collect();
    let first = write(dir.path(), "first.jsonl", &(lines[..4].join("\n") + "\n"));
    let overlap = write(dir.path(), "overlap.jsonl", &(lines[2..].join("\n") + "\n"));
    let whole = write(dir.path(), "whole.jsonl", SESSION_A);
    let lake = Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    let opts = IngestOptions::default();
    ingest(&lake, files(&[&first]), &opts).await.unwrap();
    assert_eq!(scalar(&lake, "SELECT count(*) FROM events").await, 4);
    ingest(&lake, files(&[&overlap]), &opts).await.unwrap();
    assert_eq!(scalar(&lake, "SELECT count(*) FROM events").await, 6);
    for _ in 0..2 {
        ingest(&lake, files(&[&whole, &first, &overlap]), &opts)
            .await
            .unwrap();
        assert_eq!(scalar(&lake, "SELECT count(*) FROM events").await, 6);
        assert_eq!(scalar(&lake, "SELECT count(*) FROM sessions").await, 1);
        assert_eq!(scalar(&lake, "SELECT event_count FROM sessions").await, 6);
    }
    // Events are stored sorted by (session_id, seq).
    let seqs = strings(&lake, "SELECT CAST(seq AS VARCHAR) FROM events").await;
    assert_eq!(seqs, vec!["0", "1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn missing_seq_and_ts_follow_the_spec_with_interleaved_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"session_id":"x","ts":"2026-11-20T10:00:00Z","kind":"session_start"}
{"session_id":"y","ts":"2026-11-21T23:59:00Z","kind":"session_start"}
{"session_id":"x","kind":"user_message","text":"first"}
{"session_id":"y","kind":"user_message","text":"other"}
{"session_id":"x","ts":"2026-11-20T10:05:00Z","kind":"tool_call","tool":"t"}
{"session_id":"y","ts":"2026-11-22T00:01:00Z","kind":"session_end","status":"completed"}
{"session_id":"x","kind":"telemetry","cpu":3}
"#;
    let f = write(dir.path(), "i.jsonl", body);
    let lake = Lake::open("memory:///").unwrap();
    ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap();
    let rows = strings(&lake, "SELECT concat(session_id, ':', seq, ':', kind, ':', coalesce(CAST(ts AS VARCHAR), '-'), ':', date) FROM events ORDER BY session_id, seq").await;
    assert_eq!(
        rows,
        vec![
            "x:0:session_start:2026-11-20T10:00:00Z:2026-11-20",
            "x:1:user_message:2026-11-20T10:00:00Z:2026-11-20",
            "x:2:tool_call:2026-11-20T10:05:00Z:2026-11-20",
            "x:3:other:2026-11-20T10:05:00Z:2026-11-20",
            // A session that crosses midnight stays in the partition of its start.
            "y:0:session_start:2026-11-21T23:59:00Z:2026-11-21",
            "y:1:user_message:2026-11-21T23:59:00Z:2026-11-21",
            "y:2:session_end:2026-11-22T00:01:00Z:2026-11-21",
        ]
    );
    assert_eq!(
        strings(&lake, "SELECT attrs FROM events WHERE kind = 'other'").await,
        vec![r#"{"kind":"telemetry","cpu":3}"#]
    );
}

#[tokio::test]
async fn a_session_moves_when_earlier_events_arrive_later() {
    let dir = tempfile::tempdir().unwrap();
    let late = write(
        dir.path(),
        "late.jsonl",
        r#"{"session_id":"m","seq":5,"ts":"2026-11-21T00:10:00Z","kind":"user_message","text":"later"}
{"session_id":"n","seq":0,"ts":"2026-11-21T08:00:00Z","kind":"session_start"}
"#,
    );
    let early = write(
        dir.path(),
        "early.jsonl",
        r#"{"session_id":"m","seq":0,"ts":"2026-11-20T23:50:00Z","kind":"session_start"}
"#,
    );
    let lake = Lake::open("memory:///").unwrap();
    ingest(&lake, files(&[&late]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        strings(&lake, "SELECT date FROM sessions WHERE session_id = 'm'").await,
        vec!["2026-11-21"]
    );
    ingest(&lake, files(&[&early]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        strings(
            &lake,
            "SELECT DISTINCT date FROM events WHERE session_id = 'm'"
        )
        .await,
        vec!["2026-11-20"]
    );
    assert_eq!(
        scalar(&lake, "SELECT count(*) FROM events WHERE session_id = 'm'").await,
        2
    );
    assert_eq!(
        strings(
            &lake,
            "SELECT session_id FROM sessions WHERE date = '2026-11-21'"
        )
        .await,
        vec!["n"]
    );
    assert_eq!(scalar(&lake, "SELECT count(*) FROM sessions").await, 2);
}

/// Every date both loses sessions (to the day before) and gains them (from the day
/// after), while dates are merged concurrently: no moved row may be lost.
#[tokio::test]
async fn sessions_moving_across_many_dates_keep_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let (mut late, mut early) = (String::new(), String::new());
    for day in 2..=9 {
        for k in 0..20 {
            let id = format!("d{day}-{k}");
            for seq in 1..=3 {
                late.push_str(&format!(
                    r#"{{"session_id":"{id}","seq":{seq},"ts":"2026-11-0{day}T00:1{seq}:00Z","kind":"user_message","text":"t"}}"#
                ));
                late.push('\n');
            }
            early.push_str(&format!(
                r#"{{"session_id":"{id}","seq":0,"ts":"2026-11-0{}T23:50:00Z","kind":"session_start"}}"#,
                day - 1
            ));
            early.push('\n');
        }
    }
    let late = write(dir.path(), "late.jsonl", &late);
    let early = write(dir.path(), "early.jsonl", &early);
    let lake = Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap();
    ingest(&lake, files(&[&late]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(scalar(&lake, "SELECT count(*) FROM events").await, 480);
    ingest(&lake, files(&[&early]), &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(scalar(&lake, "SELECT count(*) FROM events").await, 640);
    assert_eq!(
        scalar(
            &lake,
            "SELECT count(*) FROM events WHERE CAST(date AS VARCHAR) <> to_char(ts, '%Y-%m-%d') AND seq > 0"
        )
        .await,
        480,
        "every later event sits in its session's (earlier) date"
    );
    assert_eq!(
        scalar(
            &lake,
            "SELECT count(*) FROM sessions s WHERE event_count = 4 AND CAST(date AS VARCHAR) = to_char(started_at, '%Y-%m-%d')"
        )
        .await,
        160
    );
}

#[tokio::test]
async fn directories_and_globs_expand_and_unknown_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("d/sub")).unwrap();
    write(&dir.path().join("d"), "1.jsonl", SESSION_A);
    write(
        &dir.path().join("d/sub"),
        "2.jsonl",
        &SESSION_A.replace("\"a\"", "\"b\""),
    );
    write(&dir.path().join("d"), "notes.txt", "just some notes\n");
    let d = dir.path().join("d").display().to_string();
    let inputs = expand(std::slice::from_ref(&d)).unwrap();
    assert_eq!(inputs.len(), 3);
    let glob = format!("{d}/**/*.jsonl");
    assert_eq!(expand(&[glob]).unwrap().len(), 2);
    let missing = expand(&[format!("{d}/nope.jsonl")]).unwrap_err();
    assert!(missing.to_string().contains("no such file"), "{missing}");
    let lake = Lake::open("memory:///").unwrap();
    let r = ingest(&lake, inputs, &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(r.sessions, 2);
    assert_eq!(r.unrecognized.len(), 1);
    assert!(r.unrecognized[0].ends_with("notes.txt"));
}

#[tokio::test]
async fn a_second_ingest_waits_for_the_lease() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.jsonl", SESSION_A);
    let lake = Lake::open("memory:///").unwrap();
    let held = lake
        .acquire_lease("ingest", "someone-else", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let err = ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("held by someone-else"), "{err}");
    held.release().await.unwrap();
    ingest(&lake, files(&[&f]), &IngestOptions::default())
        .await
        .unwrap();
    // With `wait` (`signals ingest --wait`) it waits for the holder to finish.
    let held = lake
        .acquire_lease("ingest", "someone-else", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        held.release().await.unwrap();
    });
    let opts = IngestOptions {
        wait: true,
        ..IngestOptions::default()
    };
    let r = ingest(&lake, files(&[&f]), &opts).await.unwrap();
    assert!(r.counts.events > 0 && r.took_over_from.is_none());
    release.await.unwrap();
}
