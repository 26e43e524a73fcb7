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
    /// Judge to run: `builtin` (offline), `openai` (the LLM judge: OPENAI_API_KEY,
    /// OPENAI_BASE_URL) or `cascade` (the built-in judge screens, the LLM judges
    /// what it flags plus a calibration sample).
    #[arg(long, default_value = "builtin")]
    judge: String,
    /// An LLM judge parameter, as in the pipeline file (`llm_model=gpt-5-mini`,
    /// `llm_mode=sync`, `llm_reasoning_effort=low`, `cascade_sample=0.1`,
    /// `cascade_facets=true`, ...).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// LLM judge in batch mode: wait for the batches instead of returning (a later
    /// `signals judge` with the same dates collects them).
    #[arg(long)]
    wait: bool,
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
    let llm = if signals_llm::uses_llm(&args.judge) {
        Some(llm_config(&args, params.clone(), discovered.clone())?)
    } else {
        None
    };
    // The LLM judges' runs screen with the built-in judge; any other name is
    // looked up (and an unknown one named).
    let name = if llm.is_some() {
        "builtin"
    } else {
        &args.judge
    };
    let judge: Arc<dyn signals_judge::Judge> = Arc::from(judge_by_name(name, params, discovered)?);
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
    if let Some(cfg) = &llm {
        return run_llm(&lake, &dates, cfg, &args).await;
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
    recount_note(&lake, &dates).await?;
    Ok(ExitCode::SUCCESS)
}

/// The LLM judge's configuration from `--param`s, as the pipeline's stage reads
/// them (the pipeline file's own values are not read: name what differs from the
/// defaults).
fn llm_config(
    args: &Args,
    params: FrictionParams,
    discovered: Vec<signals_judge::FacetDef>,
) -> anyhow::Result<signals_llm::LlmConfig> {
    let mut kv = std::collections::BTreeMap::new();
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--param {p:?}: use NAME=VALUE"))?;
        kv.insert(k.trim().to_string(), v.trim().to_string());
    }
    let screen = Arc::from(judge_by_name("builtin", params, discovered.clone())?);
    let mut cfg = signals_llm::LlmConfig::for_judge(&args.judge, |k| kv.get(k).cloned(), screen)?;
    cfg.wait |= args.wait;
    cfg.discovered = discovered;
    Ok(cfg)
}

/// The passes of the LLM judge (or the cascade) over each date (delights come
/// from the friction requests); batches still
/// running leave the command "waiting" (exit 75) for a later call to collect.
async fn run_llm(
    lake: &signals_lake::Lake,
    dates: &[NaiveDate],
    cfg: &signals_llm::LlmConfig,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    use signals_llm::{LlmPass, Progress};
    let selection = Selection::MinSteps(args.min_steps);
    let (mut moments, mut waiting, mut failed) = (0, Vec::new(), Vec::new());
    for date in dates {
        for pass in [LlmPass::Friction, LlmPass::Facets, LlmPass::Delight] {
            match signals_llm::run_pass(lake, *date, pass, &selection, cfg).await {
                Ok(Progress::Done { rows }) => {
                    if pass == LlmPass::Friction {
                        moments += rows;
                    }
                }
                Ok(Progress::Waiting { note }) => {
                    eprintln!("{date}: waiting: {note}");
                    waiting.push(*date);
                    break;
                }
                Err(signals_llm::Error::MostlyFailed(why)) => {
                    eprintln!("error: {date}: {why}");
                    failed.push(*date);
                    break;
                }
                Err(e) => return Err(e).with_context(|| format!("judging {date}")),
            }
        }
    }
    let judged: Vec<NaiveDate> = dates
        .iter()
        .filter(|d| !waiting.contains(d))
        .copied()
        .collect();
    println!(
        "judge {} ({}) on {} of {} dates: {moments} friction moments; {} waiting, {} failed (see judge_failures{})",
        args.judge,
        cfg.model,
        judged.len() - failed.len(),
        dates.len(),
        waiting.len(),
        failed.len(),
        if cfg.cascade.is_some() {
            "; judge_agreement: `signals eval --against llm`"
        } else {
            ""
        }
    );
    recount_note(lake, &judged).await?;
    Ok(if !failed.is_empty() {
        ExitCode::FAILURE
    } else if !waiting.is_empty() {
        ExitCode::from(75)
    } else {
        ExitCode::SUCCESS
    })
}

/// The pipeline's outputs of these dates were counted from the frictions the
/// judge replaced; say how to recount them rather than leave them quietly stale.
async fn recount_note(lake: &signals_lake::Lake, dates: &[NaiveDate]) -> anyhow::Result<()> {
    let counted = lake.partitions("session_frictions").await?;
    let stale: Vec<&NaiveDate> = dates.iter().filter(|d| counted.contains(d)).collect();
    if let (Some(first), Some(last)) = (stale.first(), stale.last()) {
        eprintln!(
            "note: the daily pipeline's outputs of {} date(s) still count the frictions judged before; recount them with `signals backfill daily --from {first} --to {last} --from-stage session_frictions`",
            stale.len()
        );
    }
    Ok(())
}
