//! `signals run`, `backfill`, `status`, `dag show` and `schedule`: the DAG runner.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{Duration, NaiveDate, Utc};
use signals_lake::Lake;
use signals_runner::exec::RunReport;
use signals_runner::render::{DagFormat, render};
use signals_runner::schedule::{cron, due_dates, next_firing};
use signals_runner::{
    LogFormat, Pipeline, Reporter, RunOptions, RunState, RunStatus, StageState, backfill, run,
};

/// Options shared by every command that runs a pipeline.
#[derive(Debug, clap::Args)]
pub struct RunFlags {
    /// Override a pipeline parameter (repeatable): `--param min_steps=0`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_kv)]
    params: Vec<(String, String)>,
    /// The judge of the judge stages (the `judge` parameter).
    #[arg(long)]
    judge: Option<String>,
    /// Rerun every stage, even those already done.
    #[arg(long)]
    force: bool,
    /// Stages run at once (default: the pipeline's `concurrency`).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Wait for external work (the LLM judge's batches) instead of leaving the
    /// stage waiting for a later run.
    #[arg(long)]
    wait: bool,
    /// `text` (default) or `json` (one object per event, for log collectors).
    #[arg(long, default_value = "text", value_parser = ["text", "json", "quiet"])]
    log_format: String,
}

/// `NAME=VALUE` of `--param`.
pub fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("{s:?}: expected NAME=VALUE"))
}

impl RunFlags {
    fn options(&self, from_stage: Option<&String>) -> RunOptions {
        RunOptions {
            params: self.params.clone(),
            judge: self.judge.clone(),
            force: self.force,
            from: from_stage.cloned(),
            concurrency: self.concurrency,
            wait: self.wait,
            ..RunOptions::default()
        }
    }

    fn reporter(&self) -> Reporter {
        Reporter::new(match self.log_format.as_str() {
            "json" => LogFormat::Json,
            "quiet" => LogFormat::Quiet,
            _ => LogFormat::Text,
        })
    }
}

/// Arguments of `signals run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Pipeline: a name in pipelines/ (`daily`) or a path to a .toml file.
    pipeline: String,
    /// Date partition to run (default: yesterday, UTC).
    #[arg(long)]
    date: Option<String>,
    /// Rerun this stage and everything downstream of it.
    #[arg(long, value_name = "STAGE")]
    from: Option<String>,
    #[command(flatten)]
    flags: RunFlags,
}

/// Arguments of `signals backfill`.
#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// Pipeline: a name in pipelines/ or a path.
    pipeline: String,
    /// First date.
    #[arg(
        long,
        value_name = "DATE",
        required_unless_present = "all",
        requires = "to"
    )]
    from: Option<String>,
    /// Last date, inclusive.
    #[arg(long, value_name = "DATE", requires = "from")]
    to: Option<String>,
    /// Every date that has sessions in the lake.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    all: bool,
    /// Rerun this stage and everything downstream of it, on every date.
    #[arg(long, value_name = "STAGE")]
    from_stage: Option<String>,
    /// Dates run at once.
    #[arg(long, default_value_t = 1)]
    parallel: usize,
    #[command(flatten)]
    flags: RunFlags,
}

/// Arguments of `signals status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this date (and show its stages).
    #[arg(long)]
    date: Option<String>,
    /// Only this pipeline.
    #[arg(long)]
    pipeline: Option<String>,
}

/// Arguments of `signals dag`.
#[derive(Debug, clap::Args)]
pub struct DagArgs {
    #[command(subcommand)]
    command: DagCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DagCommand {
    /// Print a pipeline's stages and dependencies (after validating it).
    Show {
        /// Pipeline: a name in pipelines/ or a path.
        pipeline: String,
        /// `text`, `dot` (Graphviz) or `mermaid`.
        #[arg(long, default_value = "text", value_parser = ["text", "dot", "mermaid"])]
        format: String,
    },
}

/// Arguments of `signals schedule`.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// Pipeline: a name in pipelines/ or a path.
    pipeline: String,
    /// Catch up the missed days, then exit (for cron, systemd timers, CronJobs).
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    flags: RunFlags,
}

fn yesterday() -> NaiveDate {
    Utc::now().date_naive() - Duration::days(1)
}

/// A run's stages in the pipeline's order (alphabetical when the pipeline file is
/// gone or no longer has them).
fn ordered<'a>(s: &'a RunState, p: Option<&Pipeline>) -> Vec<(&'a String, &'a StageState)> {
    let order = p.map(|p| p.topo_order()).unwrap_or_default();
    let mut v: Vec<_> = s.stages.iter().collect();
    v.sort_by_key(|(n, _)| {
        (
            order.iter().position(|o| o == *n).unwrap_or(usize::MAX),
            (*n).clone(),
        )
    });
    v
}

/// Print one run's outcome; the exit code says whether it failed.
fn print_report(r: &RunReport, p: &Pipeline) -> bool {
    let s = &r.state;
    let stages_in_order = ordered(s, Some(p));
    if r.nothing_to_do {
        println!(
            "{} {}: already complete (run {}); nothing to do — --force or --from STAGE reruns",
            s.pipeline, s.date, s.run_id
        );
        return true;
    }
    let stages: Vec<String> = stages_in_order
        .iter()
        .map(|(n, st)| match (st.rows, &st.note) {
            (Some(rows), _) if st.status.to_string() == "succeeded" => format!("{n} ({rows} rows)"),
            (None, Some(note)) if st.status.to_string() == "succeeded" => format!("{n} ({note})"),
            _ => format!("{n} {}", st.status),
        })
        .collect();
    println!(
        "{} {}: {} — {}",
        s.pipeline,
        s.date,
        s.status,
        stages.join(", ")
    );
    for (n, st) in &stages_in_order {
        if let Some(e) = &st.error {
            println!("  {n}: {e}");
        } else if let Some(note) = &st.note {
            println!("  {n}: {note}");
        }
    }
    if s.status == RunStatus::Waiting {
        println!("  waiting: run the same command again later to continue");
    }
    s.status != RunStatus::Failed
}

/// Run `signals run`.
pub async fn run_cmd(lake: &str, args: RunArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let p = Pipeline::load(&args.pipeline)?;
    let date = match &args.date {
        Some(d) => signals_lake::parse_date(d)?,
        None => yesterday(),
    };
    let opts = args.flags.options(args.from.as_ref());
    let report = run(&lake, &p, date, &opts, &args.flags.reporter()).await?;
    Ok(if print_report(&report, &p) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Run `signals backfill`.
pub async fn backfill_cmd(lake: &str, args: BackfillArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let p = Pipeline::load(&args.pipeline)?;
    let dates: Vec<NaiveDate> = if args.all {
        lake.partitions("sessions").await?
    } else {
        let a = signals_lake::parse_date(args.from.as_deref().unwrap_or_default())?;
        let b = signals_lake::parse_date(args.to.as_deref().unwrap_or_default())?;
        if b < a {
            bail!("--to {b} is before --from {a}");
        }
        a.iter_days().take_while(|d| *d <= b).collect()
    };
    if dates.is_empty() {
        bail!("no dates to run: the lake has no sessions (run `signals ingest` first)");
    }
    let opts = args.flags.options(args.from_stage.as_ref());
    let results = backfill(
        &lake,
        &p,
        dates,
        &opts,
        &args.flags.reporter(),
        args.parallel,
    )
    .await?;
    let mut failed = 0;
    for (d, r) in &results {
        match r {
            Ok(r) => {
                if !print_report(r, &p) {
                    failed += 1;
                }
            }
            Err(e) => {
                failed += 1;
                println!("{} {d}: error — {e}", p.name);
            }
        }
    }
    println!(
        "backfill {}: {} dates, {} failed",
        p.name,
        results.len(),
        failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Run `signals status`.
pub async fn status_cmd(lake: &str, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let date = args
        .date
        .as_deref()
        .map(signals_lake::parse_date)
        .transpose()?;
    let states = RunState::list(&lake, args.pipeline.as_deref(), date).await?;
    if states.is_empty() {
        println!(
            "no runs yet{}",
            date.map(|d| format!(" for {d}")).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<10} {:<10} {:<10} {:<24} {:>8}  stages",
        "pipeline", "date", "status", "run", "seconds"
    );
    for s in &states {
        let secs = s
            .ended_at
            .map(|e| {
                format!(
                    "{:.1}",
                    (e - s.started_at).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_else(|| "-".into());
        let ok = s
            .stages
            .values()
            .filter(|st| st.status.to_string() == "succeeded")
            .count();
        println!(
            "{:<10} {:<10} {:<10} {:<24} {:>8}  {ok}/{} succeeded",
            s.pipeline,
            s.date,
            s.status,
            s.run_id,
            secs,
            s.stages.len()
        );
        if date.is_some() {
            let p = Pipeline::load(&s.pipeline).ok();
            for (n, st) in ordered(s, p.as_ref()) {
                let what = st
                    .error
                    .clone()
                    .or_else(|| st.note.clone())
                    .or_else(|| st.rows.map(|r| format!("{r} rows")))
                    .unwrap_or_default();
                println!(
                    "    {n:<12} {:<10} attempt {:<2} {what}",
                    st.status.to_string(),
                    st.attempt
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `signals dag`.
pub async fn dag_cmd(lake: &str, args: DagArgs) -> anyhow::Result<ExitCode> {
    let DagCommand::Show { pipeline, format } = args.command;
    let p = Pipeline::load(&pipeline)?;
    let lake: Lake = super::open_lake(lake)?;
    p.validate(&lake.session_context().await?).await?;
    let f = match format.as_str() {
        "dot" => DagFormat::Dot,
        "mermaid" => DagFormat::Mermaid,
        _ => DagFormat::Text,
    };
    print!("{}", render(&p, f));
    Ok(ExitCode::SUCCESS)
}

/// Run `signals schedule`.
pub async fn schedule_cmd(lake: &str, args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let p = Pipeline::load(&args.pipeline)?;
    let expr = p
        .schedule
        .clone()
        .with_context(|| format!("{} has no `schedule`", p.file))?;
    let c = cron(&expr)?;
    let rep = args.flags.reporter();
    let opts = args.flags.options(None);
    loop {
        let states = RunState::list(&lake, Some(&p.name), None).await?;
        let due = due_dates(&c, Utc::now(), p.catchup_days, &states)?;
        if due.is_empty() {
            eprintln!(
                "{}: up to date (the last {} day(s) have succeeded runs)",
                p.name, p.catchup_days
            );
        } else {
            eprintln!(
                "{}: catching up {} date(s): {}",
                p.name,
                due.len(),
                due.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        match backfill(&lake, &p, due, &opts, &rep, 1).await {
            Ok(results) => {
                for (d, r) in results {
                    match r {
                        Ok(r) => {
                            print_report(&r, &p);
                        }
                        Err(e) => println!("{} {d}: error — {e}", p.name),
                    }
                }
            }
            // A scheduler keeps going (the next firing may find the lake reachable
            // or the pipeline fixed); `--once` reports the failure to its caller.
            Err(e) if !args.once => eprintln!("{}: error — {e} ({})", p.name, e.hint()),
            Err(e) => return Err(e.into()),
        }
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        let (at, date) = next_firing(&c, Utc::now())?;
        eprintln!(
            "{}: next run at {at} for {date} (schedule {expr}); Ctrl-C stops",
            p.name
        );
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopped");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}
