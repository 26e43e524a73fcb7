//! `signals bench`: generate a million sessions, ingest them, run the daily
//! pipeline over every date, compare the SQL stages with DuckDB and model the
//! LLM judge's cost; print the report (Markdown) and write it with a JSON copy.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use signals_bench::{BenchConfig, run};

/// Arguments of `signals bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sessions generated.
    #[arg(long, default_value_t = 1_000_000)]
    sessions: u64,
    /// Days they spread over.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Share of long sessions (0.2: about 60 events per session, long-tailed).
    #[arg(long, default_value_t = 0.2)]
    long_share: f64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Working directory: sessions (kept and reused for the same parameters),
    /// the lake (rebuilt each time), the report.
    #[arg(long, default_value = "target/bench")]
    dir: PathBuf,
    /// Python with the `duckdb` package for the side-by-side ("" skips it).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Runs per query; the median counts.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Rounds of the side-by-side: every query in ours, then in DuckDB, again and
    /// again; the median round counts (the machine's speed drifts between them).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Dates (the last ones) the SQL stages are compared on.
    #[arg(long, default_value_t = 5)]
    sql_dates: usize,
    /// Analysed sessions in the LLM cost sample.
    #[arg(long, default_value_t = 2000)]
    llm_sample: usize,
}

/// Run `signals bench`.
pub async fn run_cmd(args: Args) -> anyhow::Result<ExitCode> {
    let cfg = BenchConfig {
        sessions: args.sessions,
        days: args.days,
        long_share: args.long_share,
        seed: args.seed,
        dir: args.dir.clone(),
        exe: std::env::current_exe().context("locating the signals binary")?,
        python: args.python,
        reps: args.reps,
        rounds: args.rounds,
        sql_dates: args.sql_dates,
        llm_sample: args.llm_sample,
    };
    let report = run(&cfg).await.context("running the benchmark")?;
    let md = report.markdown(&cfg);
    println!("{md}");
    std::fs::write(args.dir.join("report.md"), &md)?;
    std::fs::write(
        args.dir.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    eprintln!(
        "wrote {} and report.json",
        args.dir.join("report.md").display()
    );
    Ok(ExitCode::SUCCESS)
}
