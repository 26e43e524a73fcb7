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
    /// `cost`: only the LLM judge's cost model, on the lake's sessions.
    #[command(subcommand)]
    sub: Option<Sub>,
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
    /// Real-size sessions (long-tailed tool outputs, 100k+ tokens) generated for
    /// the LLM cost model on sessions the size real ones are (0 skips it).
    #[arg(long, default_value_t = 300)]
    real_size_sessions: u64,
}

/// What `signals bench` can run alone.
#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// The LLM judge's cost model on the lake's sessions (e.g. real logs, or
    /// `signals generate --real-size`): input tokens whole vs condensed, and US$
    /// per 1,000 sessions judging every session or with the cascade.
    Cost(CostArgs),
}

/// Arguments of `signals bench cost`.
#[derive(Debug, clap::Args)]
pub struct CostArgs {
    #[command(flatten)]
    dates: super::judge::Dates,
    /// Sessions with at least this many agentic steps (tool calls).
    #[arg(long, default_value_t = 30)]
    min_steps: i64,
    /// The model (prices and reasoning from its profile).
    #[arg(long, default_value = signals_llm::model::DEFAULT_MODEL)]
    model: String,
    /// Input tokens a session is condensed to.
    #[arg(long, default_value_t = 12_000)]
    input_budget: usize,
    /// Reasoning tokens assumed per request (a reasoning model at low effort);
    /// judge_usage.reasoning_tokens has the measured figure after a real run.
    #[arg(long, default_value_t = 512)]
    reasoning_tokens: u32,
    /// The cascade's calibration sample.
    #[arg(long, default_value_t = 0.1)]
    sample: f64,
    /// Sessions read at the most (newest dates first).
    #[arg(long, default_value_t = 2000)]
    max_sessions: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

async fn cost_cmd(lake: &str, a: CostArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let dates = a.dates.resolve(&lake).await?;
    let cfg = signals_bench::CostConfig {
        model: a.model,
        input_budget: a.input_budget.max(500),
        reasoning_tokens: a.reasoning_tokens,
        sample: a.sample.clamp(0.0, 1.0),
        max_sessions: a.max_sessions.max(1),
    };
    let ctx = lake.session_context().await?;
    let m = signals_bench::cost_model(
        &ctx,
        &dates,
        &signals_judge::run::Selection::MinSteps(a.min_steps),
        &cfg,
    )
    .await?;
    if m.sessions == 0 {
        anyhow::bail!(
            "no session with at least {} steps on those dates (--min-steps lowers it)",
            a.min_steps
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!(
            "{}",
            m.markdown(&format!("sessions with >= {} steps", a.min_steps))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `signals bench`.
pub async fn run_cmd(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(Sub::Cost(a)) = args.sub {
        return cost_cmd(lake, a).await;
    }
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
        real_size_sessions: args.real_size_sessions,
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
