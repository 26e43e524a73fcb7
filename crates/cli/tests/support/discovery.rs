//! Facet discovery end to end: a generated set with a planted theme no core
//! facet covers (sessions configuring CI pipelines) is proposed, accepting it
//! makes the facet pass extract it and the patterns slice by it; a set without a
//! theme proposes nothing; the OpenAI embedder and namer go through the fake
//! OpenAI (with a failing call retried), and a rejected proposal is not proposed
//! again.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::openai::{FakeOpenAi, Reply};
use crate::{ok, repo, signals_env};

/// 300 sessions over 11-01..11-10, optionally with the CI theme; the lake after
/// `backfill daily --all` (11-02 and 11-09 are Mondays: discovery runs on them).
fn themed_lake(
    dir: &Path,
    theme: Option<&str>,
    env: &[(String, String)],
    params: &[&str],
) -> (String, BTreeSet<String>) {
    let lake = dir.join("lake").display().to_string();
    let out = dir.join("gen");
    let o = out.to_str().unwrap();
    let mut args = vec![
        "generate",
        "--sessions",
        "300",
        "--days",
        "10",
        "--seed",
        "5",
        "--out",
        o,
    ];
    if let Some(t) = theme {
        args.extend(["--theme", t]);
    }
    ok(&signals_env(&lake, &args, &[]));
    ok(&signals_env(&lake, &["ingest", o], &[]));
    let mut run = vec!["backfill", "daily", "--all"];
    run.extend(params);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_signals"))
        .args(&run)
        .current_dir(repo())
        .env("SIGNALS_LAKE", &lake)
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    ok(&o);
    let themed = std::fs::read_to_string(out.join("labels.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["theme"] == "ci_pipeline")
        .map(|v| v["session_id"].as_str().unwrap().to_string())
        .collect();
    (lake, themed)
}

fn csv(lake: &str, sql: &str) -> Vec<Vec<String>> {
    let out = ok(&signals_env(lake, &["sql", "--format", "csv", sql], &[]));
    out.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn a_planted_theme_is_proposed_and_once_accepted_extracted_and_sliced() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, themed) = themed_lake(dir.path(), Some("ci_pipeline:0.15"), &[], &[]);
    assert!(themed.len() > 30, "{} themed sessions", themed.len());
    let rows = csv(
        &lake,
        "SELECT date, name, cluster_size, window_sessions, array_to_string(candidate_values, ' '), \
         array_to_string(example_sessions, ' '), closest_facet, embedder, namer FROM facet_proposals ORDER BY date",
    );
    assert_eq!(
        rows.len(),
        1,
        "one proposal, on 11-09 (11-02's window is too small): {rows:?}"
    );
    let r = &rows[0];
    assert_eq!(
        (r[0].as_str(), r[1].as_str()),
        ("2026-11-09", "ci_pipeline")
    );
    let size: usize = r[2].parse().unwrap();
    let window: usize = r[3].parse().unwrap();
    // Every themed analysed session of the window, and nothing else.
    let analysed: BTreeSet<String> = csv(
        &lake,
        "SELECT session_id FROM analysed_sessions WHERE date BETWEEN '2026-11-03' AND '2026-11-09'",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(window, analysed.len());
    assert_eq!(
        size,
        analysed.intersection(&themed).count(),
        "theme members = themed sessions"
    );
    let values: BTreeSet<&str> = r[4].split(' ').collect();
    for v in ["github_actions", "jenkins", "circleci"] {
        assert!(values.contains(v), "{values:?}");
    }
    for s in r[5].split(' ') {
        assert!(themed.contains(s), "example {s} is a themed session");
    }
    assert_eq!(
        r[6], "intent=ops_config",
        "the nearest core facet, which does not pick them out"
    );
    assert_eq!(
        (r[7].as_str(), r[8].as_str()),
        ("hashed-tfidf-512", "terms")
    );

    let list = ok(&signals_env(&lake, &["facets", "list", "-v"], &[]));
    assert!(list.contains("ci_pipeline  open"), "{list}");
    assert!(
        list.contains("touched ci pipeline"),
        "examples are printed: {list}"
    );
    let o = signals_env(&lake, &["facets", "accept", "ci_pipline"], &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("proposals: ci_pipeline"));
    let o = signals_env(
        &lake,
        &["facets", "accept", "ci_pipeline", "--values", "travis"],
        &[],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no candidate value \"travis\""));
    let out = ok(&signals_env(
        &lake,
        &[
            "facets",
            "accept",
            "ci_pipeline",
            "--by",
            "alice",
            "--reason",
            "a product area",
        ],
        &[],
    ));
    assert!(
        out.contains("accepted ci_pipeline") && out.contains("by alice"),
        "{out}"
    );
    let ledger: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&lake).join("_facets/ci_pipeline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(ledger["status"], "accepted");
    assert_eq!(ledger["decided_by"], "alice");
    assert!(ledger["decided_at"].as_str().unwrap().starts_with("20"));
    assert_eq!(ledger["reason"], "a product area");

    // From the next run on the facet pass extracts it: exactly the themed sessions.
    let run = |date: &str| {
        ok(&std::process::Command::new(env!("CARGO_BIN_EXE_signals"))
            .args(["run", "daily", "--date", date, "--force"])
            .current_dir(repo())
            .env("SIGNALS_LAKE", &lake)
            .output()
            .unwrap())
    };
    run("2026-11-10");
    let tagged: BTreeSet<String> = csv(
        &lake,
        "SELECT session_id FROM session_facets WHERE date = '2026-11-10' AND facet = 'ci_pipeline' AND source = 'discovered'",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let analysed: BTreeSet<String> = csv(
        &lake,
        "SELECT session_id FROM analysed_sessions WHERE date = '2026-11-10'",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let want: BTreeSet<String> = analysed.intersection(&themed).cloned().collect();
    assert!(!want.is_empty());
    assert_eq!(tagged, want);
    let slices = csv(
        &lake,
        "SELECT count(*) FROM friction_patterns WHERE date = '2026-11-10' AND slice_kind = 'ci_pipeline'",
    );
    assert!(
        slices[0][0].parse::<i64>().unwrap() > 0,
        "patterns slice by the new facet"
    );
    // A decided theme is not proposed again.
    let out = run("2026-11-09");
    assert!(out.contains("ci_pipeline: already decided"), "{out}");
    assert_eq!(
        csv(
            &lake,
            "SELECT count(*) FROM facet_proposals WHERE date = '2026-11-09'"
        )[0][0],
        "0"
    );
    let list = ok(&signals_env(&lake, &["facets", "list"], &[]));
    assert!(
        list.contains("accepted ci_pipeline: github_actions") && list.contains("by alice"),
        "{list}"
    );
    // Once no date's proposal is left, the list says why and keeps the decision.
    run("2026-11-02");
    let list = ok(&signals_env(&lake, &["facets", "list"], &[]));
    assert!(
        list.contains("no proposals in the lake: a decided facet is not proposed again")
            && list.contains("accepted ci_pipeline: github_actions"),
        "{list}"
    );
}

#[test]
fn a_set_without_a_theme_proposes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, themed) = themed_lake(dir.path(), None, &[], &[]);
    assert!(themed.is_empty());
    assert_eq!(
        csv(&lake, "SELECT count(*) FROM facet_proposals")[0][0],
        "0"
    );
    let status = ok(&signals_env(
        &lake,
        &["status", "--date", "2026-11-09"],
        &[],
    ));
    assert!(status.contains("0 proposed"), "{status}");
    let list = ok(&signals_env(&lake, &["facets", "list"], &[]));
    assert!(list.contains("no proposals yet"), "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openai_embedder_and_namer_go_through_the_api_and_a_rejection_sticks() {
    let server = FakeOpenAi::start(|_, body: &Value| {
        // The naming request: map every candidate phrase to a value.
        let schema = &body["response_format"]["json_schema"];
        assert_eq!(schema["name"], "signals_facet_name");
        let phrases = schema["schema"]["properties"]["values"]["items"]["properties"]["phrase"]["enum"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let values: Vec<Value> = phrases
            .iter()
            .map(|p| json!({"value": p.as_str().unwrap().replace(' ', "_"), "phrase": p}))
            .collect();
        Reply::Content(
            json!({"name": "ci_system", "description": "Which CI system the session's pipeline runs on.", "values": values})
                .to_string(),
        )
    })
    .await;
    server.fail_embeddings(2);
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        (
            "OPENAI_API_KEY".to_string(),
            "sk-test-discovery".to_string(),
        ),
        ("OPENAI_BASE_URL".to_string(), server.url.clone()),
    ];
    let params = [
        "--param",
        "discovery_embedder=openai",
        "--param",
        "discovery_namer=openai",
        "--param",
        "discovery_embedding_batch=16",
        "--param",
        "llm_model=gpt-test",
    ];
    let (lake, _) = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        let env = env.clone();
        move || themed_lake(&d, Some("ci_pipeline:0.15"), &env, &params)
    })
    .await
    .unwrap();
    let rows = csv(
        &lake,
        "SELECT name, embedder, namer, description FROM facet_proposals",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0][0].as_str(),
            rows[0][1].as_str(),
            rows[0][2].as_str()
        ),
        (
            "ci_system",
            "openai:text-embedding-3-small",
            "openai:gpt-test"
        )
    );
    assert!(rows[0][3].starts_with("Which CI system"));
    let calls = server.embeddings();
    assert!(
        calls.len() > 2,
        "two 500s were retried: {} calls",
        calls.len()
    );
    let mut seen = BTreeSet::new();
    for c in &calls {
        let inputs = c["input"].as_array().unwrap();
        assert!(inputs.len() <= 16, "batched by discovery_embedding_batch");
        assert_eq!(c["model"], "text-embedding-3-small");
        for i in inputs {
            let t = i.as_str().unwrap();
            assert!(
                !t.contains("steps") && !t.contains(".yml"),
                "only residual phrases: {t}"
            );
            seen.insert(t.to_string());
        }
    }
    assert!(seen.iter().any(|t| t.contains("ci pipeline")));
    let out = ok(&signals_env(
        &lake,
        &["facets", "reject", "ci_system", "--by", "bob"],
        &[],
    ));
    assert!(out.contains("rejected ci_system (by bob"), "{out}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_signals"))
        .args(["run", "daily", "--date", "2026-11-09", "--force"])
        .args(params)
        .current_dir(repo())
        .env("SIGNALS_LAKE", &lake)
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    let out = ok(&o);
    assert!(out.contains("already decided"), "{out}");
    let list = ok(&signals_env(
        &lake,
        &["facets", "list", "--status", "rejected"],
        &[],
    ));
    assert!(
        list.contains("rejected ci_system: ") && list.contains("by bob"),
        "{list}"
    );
}
