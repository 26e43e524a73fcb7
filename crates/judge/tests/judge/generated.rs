//! The built-in judge on a freshly generated set, through a real lake: ingest,
//! both passes, then `evaluate` against the generator's labels.

use std::sync::Arc;

use signals_generate::{GenConfig, generate};
use signals_ingest::{IngestOptions, ingest, input::expand};
use signals_judge::eval::{evaluate, read_labels};
use signals_judge::run::{Selection, run_both};
use signals_judge::{BuiltinJudge, Judge};
use signals_lake::Lake;

#[tokio::test]
async fn fresh_seed_meets_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    // A seed the detectors were never tuned on.
    let lake_url = dir.path().join("lake").display().to_string();
    let lake = generated_lake(dir.path(), &lake_url, 20_261_124, 240, 3).await;

    let judge: Arc<dyn Judge> = Arc::new(BuiltinJudge::default());
    let mut analysed = 0;
    for date in lake.partitions("sessions").await.unwrap() {
        let (f, facets) = run_both(&lake, date, Arc::clone(&judge), &Selection::MinSteps(0))
            .await
            .unwrap();
        assert_eq!(
            f.sessions, facets.sessions,
            "both passes see the same sessions"
        );
        analysed += f.sessions;
    }
    assert_eq!(analysed, 240);

    let labels = read_labels(&dir.path().join("gen/labels.jsonl"))
        .unwrap()
        .labels;
    let report = evaluate(&lake, &labels, Some("builtin")).await.unwrap();
    eprintln!("{}", signals_judge::eval::render(&report));
    assert_eq!(report.scored, 240);
    assert_eq!(report.types.len(), 7);
    for t in &report.types {
        assert!(
            t.support > 0,
            "{} has no positives in the set",
            t.friction_type
        );
        assert!(t.f1.unwrap() >= 0.80, "{} F1 {:?}", t.friction_type, t.f1);
    }
    assert!(report.macro_f1 >= 0.90, "macro-F1 {}", report.macro_f1);
    assert!(report.outcome_accuracy.unwrap() >= 0.90);
    assert!(report.language_f1.unwrap() >= 0.90);
}

/// Judging a date again replaces its partitions: same row counts, no duplicates.
#[tokio::test]
async fn rejudging_a_date_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 42, 40, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let judge: Arc<dyn Judge> = Arc::new(BuiltinJudge::default());
    let first = run_both(&lake, date, Arc::clone(&judge), &Selection::MinSteps(30))
        .await
        .unwrap();
    let second = run_both(&lake, date, judge, &Selection::MinSteps(30))
        .await
        .unwrap();
    assert_eq!(first.0.rows, second.0.rows);
    assert_eq!(first.1.rows, second.1.rows);
    let ctx = lake.session_context().await.unwrap();
    let n = count(&ctx, "SELECT count(*) FROM session_facets").await;
    let distinct = count(
        &ctx,
        "SELECT count(DISTINCT session_id || '/' || facet || '/' || value) FROM session_facets",
    )
    .await;
    assert_eq!(n as u64, second.1.rows);
    assert_eq!(n, distinct, "no duplicated facet rows");
    // Only sessions that pass the filter are analysed.
    let long = count(&ctx, "SELECT count(*) FROM sessions WHERE step_count >= 30").await;
    assert_eq!(second.1.sessions, long as u64);
    assert!(long > 0 && long < 40);
}

/// The single integer a `SELECT count(*) ...` returns.
async fn count(ctx: &signals_lake::datafusion::prelude::SessionContext, sql: &str) -> i64 {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0)
}

/// Generate `sessions` over `days` with `seed` into `dir/gen` and ingest them into
/// the lake at `url`.
async fn generated_lake(
    dir: &std::path::Path,
    url: &str,
    seed: u64,
    sessions: u64,
    days: u32,
) -> Lake {
    let mut cfg = GenConfig::new(dir.join("gen"));
    cfg.seed = seed;
    cfg.sessions = sessions;
    cfg.days = days;
    generate(&cfg).unwrap();
    let lake = Lake::open(url).unwrap();
    let inputs = expand(&[dir.join("gen/sessions-*.jsonl").display().to_string()]).unwrap();
    ingest(&lake, inputs, &IngestOptions::default())
        .await
        .unwrap();
    lake
}
