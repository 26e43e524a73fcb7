//! `signals`: the agent-signals command line.

mod cmd;

/// mimalloc, as DataFusion's own CLI uses: ingest frees on one thread what parse
/// workers allocated, and glibc's malloc spent a third of the reading thread's time on that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// agent-signals: find where users struggle with your coding agent, from its sessions.
#[derive(Debug, Parser)]
#[command(name = "signals", version, about, long_about = None)]
struct Cli {
    /// The lake: a path, file://, memory://, s3://bucket/prefix, gs://... or az://...
    #[arg(long, global = true, env = "SIGNALS_LAKE", default_value = signals_lake::DEFAULT_LAKE)]
    lake: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest session logs into the lake (files, directories, globs, `-` for stdin).
    Ingest(cmd::ingest::Args),
    /// Run SQL over the lake: a query, a file (-f), or an interactive shell.
    Sql(cmd::sql::Args),
    /// Generate realistic synthetic sessions and their ground-truth labels.
    Generate(cmd::generate::Args),
    /// List the lake's tables, or print the data dictionary.
    Tables(cmd::tables::Args),
    /// Run a judge's friction and facet passes over date partitions.
    Judge(cmd::judge::Args),
    /// Score the judge output in the lake against a label file.
    Eval(cmd::eval::Args),
    /// List sessions, or show one as a timeline (`sessions show ID`).
    Sessions(cmd::sessions::Args),
    /// Run a pipeline (e.g. `daily`) for one date partition, resuming where it stopped.
    Run(cmd::pipeline::RunArgs),
    /// Run a pipeline over a range of dates (or every date with sessions).
    Backfill(cmd::pipeline::BackfillArgs),
    /// Runs and their stages, from the run state kept in the lake.
    Status(cmd::pipeline::StatusArgs),
    /// Show a pipeline's DAG (text, dot or mermaid).
    Dag(cmd::pipeline::DagArgs),
    /// Run a pipeline on its cron schedule, catching up missed days.
    Schedule(cmd::pipeline::ScheduleArgs),
    /// Tickets filed from friction patterns: list, show, file a date by hand.
    Tickets(cmd::tickets::Args),
    /// Record and list deployments (the re-measurement compares around them).
    Deploy(cmd::deploy::Args),
    /// Friction rates before and after a deployment, with a verdict per type.
    Compare(cmd::deploy::CompareArgs),
    /// The LLM judge's Batch API batches: list, cancel.
    Batches(cmd::batches::Args),
    /// The leases that keep two writers of the lake apart: list, break.
    Lease(cmd::lease::Args),
    /// Write the daily report: one self-contained HTML page with SVG charts.
    Report(cmd::report::Args),
    /// Print a day's digest (Markdown, or the Slack message as JSON) from the lake.
    Digest(cmd::digest::Args),
    /// Facets proposed by facet discovery: list, accept, reject.
    Facets(cmd::facets::Args),
    /// Benchmark: a million sessions through ingest and the daily pipeline,
    /// the SQL stages side by side with DuckDB, the LLM judge's cost model.
    Bench(cmd::bench::Args),
    /// Live hooks a coding agent runs: catch a rephrasing cascade or context
    /// churn while it is under way and ask the agent to clarify.
    Hook(cmd::hook::Args),
}

fn main() -> std::process::ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    diagnostics();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Ingest(a) => cmd::ingest::run(&cli.lake, a).await,
            Command::Sql(a) => cmd::sql::run(&cli.lake, a).await,
            Command::Generate(a) => cmd::generate::run(a),
            Command::Tables(a) => cmd::tables::run(&cli.lake, a).await,
            Command::Judge(a) => cmd::judge::run(&cli.lake, a).await,
            Command::Eval(a) => cmd::eval::run(&cli.lake, a).await,
            Command::Sessions(a) => cmd::sessions::run(&cli.lake, a).await,
            Command::Run(a) => cmd::pipeline::run_cmd(&cli.lake, a).await,
            Command::Backfill(a) => cmd::pipeline::backfill_cmd(&cli.lake, a).await,
            Command::Status(a) => cmd::pipeline::status_cmd(&cli.lake, a).await,
            Command::Dag(a) => cmd::pipeline::dag_cmd(&cli.lake, a).await,
            Command::Schedule(a) => cmd::pipeline::schedule_cmd(&cli.lake, a).await,
            Command::Tickets(a) => cmd::tickets::run(&cli.lake, a).await,
            Command::Deploy(a) => cmd::deploy::run(&cli.lake, a).await,
            Command::Compare(a) => cmd::deploy::compare(&cli.lake, a).await,
            Command::Batches(a) => cmd::batches::run(&cli.lake, a).await,
            Command::Lease(a) => cmd::lease::run(&cli.lake, a).await,
            Command::Report(a) => cmd::report::run(&cli.lake, a).await,
            Command::Digest(a) => cmd::digest::run(&cli.lake, a).await,
            Command::Facets(a) => cmd::facets::run(&cli.lake, a).await,
            Command::Bench(a) => cmd::bench::run_cmd(&cli.lake, a).await,
            Command::Hook(a) => Ok(cmd::hook::run(a).await),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) if cmd::closed_stdout(&e) => std::process::ExitCode::from(141),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Diagnostics on stderr: the `tracing` events `RUST_LOG` selects (e.g.
/// `RUST_LOG=signals_llm=debug`: the LLM judge's batches); by default our
/// warnings and other crates' errors. The run log (`--log-format`) is separate.
fn diagnostics() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error,signals=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A closed stdout (`signals sql ... | head`) ends the command quietly with the
/// status a shell gives a process killed by SIGPIPE (141), as other CLIs do,
/// instead of a panic from `println!`.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
