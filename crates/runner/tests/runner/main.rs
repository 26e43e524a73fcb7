//! Integration tests of the runner (one test binary): DAG validation, runs over
//! a real lake (resume, retries, waiting, leases, idempotence, backfill) and the
//! `.slt` files of `sql/tests/`.

mod closing;
mod dag;
mod runs;
mod slt;

use std::path::{Path, PathBuf};
use std::time::Duration;

use signals_generate::{GenConfig, generate};
use signals_ingest::{IngestOptions, ingest, input::expand};
use signals_lake::Lake;
use signals_runner::pipeline::SqlRoot;
use signals_runner::{LogFormat, Pipeline, Reporter, RunOptions};

/// The repository root (for `sql/` and `pipelines/`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A lake holding freshly generated sessions.
pub async fn generated_lake(dir: &Path, url: &str, seed: u64, sessions: u64, days: u32) -> Lake {
    let mut cfg = GenConfig::new(dir.join("gen"));
    cfg.seed = seed;
    cfg.sessions = sessions;
    cfg.days = days;
    generate(&cfg).unwrap();
    let lake = Lake::open(url).unwrap();
    ingest_again(&lake, dir).await;
    lake
}

/// Ingest the generated sessions of `dir` (again).
pub async fn ingest_again(lake: &Lake, dir: &Path) {
    let inputs = expand(&[dir.join("gen/sessions-*.jsonl").display().to_string()]).unwrap();
    ingest(lake, inputs, &IngestOptions::default())
        .await
        .unwrap();
}

/// A pipeline from its text, with the repository's `sql/`.
pub fn pipeline(text: &str) -> Pipeline {
    Pipeline::parse(text, "test.toml", SqlRoot::Dir(repo().join("sql"))).unwrap()
}

/// The repository's daily pipeline.
pub fn daily() -> Pipeline {
    Pipeline::load(&repo().join("pipelines/daily.toml").display().to_string()).unwrap()
}

/// Run options for tests: quick retries.
pub fn opts() -> RunOptions {
    RunOptions {
        backoff: Duration::from_millis(10),
        ..RunOptions::default()
    }
}

/// A reporter that prints nothing.
pub fn quiet() -> Reporter {
    Reporter::new(LogFormat::Quiet)
}

/// The single integer a query returns.
pub async fn count(lake: &Lake, sql: &str) -> i64 {
    let ctx = lake.session_context().await.unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let col = batches[0].column(0);
    arrow::compute::cast(col, &arrow::datatypes::DataType::Int64)
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0)
}
