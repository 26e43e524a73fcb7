//! `signals judge`: run a judge's two passes over date partitions.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use signals_judge::run::{Selection, run_both};
use signals_judge::{FrictionParams, judge_by_name};

/// Which dates a command works on.
#[derive(Debug, clap::Args)]
pub struct Dates {
    /// One date (YYYY-MM-DD).
    #[arg(long, conflicts_with_all = ["from", "all"])]
    pub date: Option<String>,
    /// First date of a range (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last date of a range, inclusive.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Every date that has sessions in the lake.
    #[arg(long)]
    pub all: bool,
}

impl Dates {
    /// Resolve to a list of dates (the lake's `sessions` partitions for `--all`).
    pub async fn resolve(&self, lake: &signals_lake::Lake) -> anyhow::Result<Vec<NaiveDate>> {
        if let Some(d) = &self.date {
            return Ok(vec![signals_lake::parse_date(d)?]);
        }
        if let (Some(a), Some(b)) = (&self.from, &self.to) {
            let (a, b) = (signals_lake::parse_date(a)?, signals_lake::parse_date(b)?);
            if b < a {
                bail!("--to {b} is before --from {a}");
            }
            return Ok(a.iter_days().take_while(|d| *d <= b).collect());
        }
        if self.all {
            return Ok(lake.partitions("sessions").await?);
        }
        bail!("say which dates: --date D, --from D1 --to D2, or --all")
    }
}

/// Arguments of `signals judge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dates: Dates,
    /// Judge to run.
    #[arg(long, default_value = "builtin")]
    judge: String,
    /// Analyse sessions with at least this many agentic steps.
    #[arg(long, default_value_t = 30)]
    min_steps: i64,
    /// Add->remove cycles of one path that make context churn.
    #[arg(long, default_value_t = 3)]
    churn_cycles: usize,
    /// Seconds the churn cycles must fall within (default: no limit).
    #[arg(long)]
    churn_window: Option<i64>,
}

/// Run `signals judge`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let params = FrictionParams {
        churn_cycles: args.churn_cycles,
        churn_window_s: args.churn_window,
        ..FrictionParams::default()
    };
    let discovered = signals_discover::accepted(&lake).await?;
    let judge: Arc<dyn signals_judge::Judge> =
        Arc::from(judge_by_name(&args.judge, params, discovered)?);
    let requested = args.dates.resolve(&lake).await?;
    let have = lake.partitions("sessions").await?;
    let (dates, missing): (Vec<NaiveDate>, Vec<NaiveDate>) =
        requested.into_iter().partition(|d| have.contains(d));
    for d in &missing {
        eprintln!("warning: no sessions on {d} in the lake (ingest them first); skipped");
    }
    if dates.is_empty() {
        bail!("none of the requested dates has sessions in the lake; run `signals ingest` first");
    }
    let (mut sessions, mut moments) = (0, 0);
    for date in &dates {
        let (f, _) = run_both(
            &lake,
            *date,
            Arc::clone(&judge),
            &Selection::MinSteps(args.min_steps),
        )
        .await
        .with_context(|| format!("judging {date}"))?;
        sessions += f.sessions;
        moments += f.rows;
    }
    println!(
        "judge {} analysed {sessions} sessions (>= {} steps) on {} dates: {moments} friction moments",
        judge.name(),
        args.min_steps,
        dates.len()
    );
    // The pipeline's outputs of these dates were counted from the frictions this
    // replaced; say how to recount them rather than leave them quietly stale.
    let counted = lake.partitions("session_frictions").await?;
    let stale: Vec<&NaiveDate> = dates.iter().filter(|d| counted.contains(d)).collect();
    if let (Some(first), Some(last)) = (stale.first(), stale.last()) {
        eprintln!(
            "note: the daily pipeline's outputs of {} date(s) still count the frictions judged before; recount them with `signals backfill daily --from {first} --to {last} --from-stage session_frictions`",
            stale.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
