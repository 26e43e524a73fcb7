//! `signals generate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use signals_generate::{GenConfig, PlantedChange, PlantedTheme, generate};

/// Arguments of `signals generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of sessions.
    #[arg(long, default_value_t = 300)]
    sessions: u64,
    /// Number of days they spread over.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// RNG seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-01")]
    start: String,
    /// Output directory (one JSONL file per day, plus labels.jsonl).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the labels (default: OUT/labels.jsonl).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Planted change after a version bump, as TYPE@VERSION*FACTOR
    /// (default: rephrasing_cascade@1.6.0*0.4); `none` plants nothing. Repeat it
    /// for several; changes of one type compound (`rephrasing_cascade@1.5.0*3
    /// --change rephrasing_cascade@1.6.0*0.2`: a regression, then its fix).
    #[arg(long)]
    change: Vec<String>,
    /// A planted theme no core facet describes, as NAME[:SHARE] (default share
    /// 0.15): `ci_pipeline` (sessions configuring CI pipelines). Facet discovery
    /// should propose it.
    #[arg(long)]
    theme: Option<String>,
    /// Share of long sessions (30-200 steps); the rest have 3-25. 0.6 gives
    /// about 100 events per session, 0.3 about 60.
    #[arg(long, default_value_t = 0.6)]
    long_share: f64,
    /// Real-size tool outputs: long-tailed file reads and command logs (a long
    /// session is 100k+ tokens), for the LLM judge's cost model.
    #[arg(long)]
    real_size: bool,
}

/// Run `signals generate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = GenConfig::new(&args.out);
    cfg.sessions = args.sessions;
    cfg.days = args.days;
    cfg.seed = args.seed;
    cfg.labels = args.labels;
    cfg.long_share = args.long_share;
    cfg.real_size = args.real_size;
    cfg.start = signals_lake::parse_date(&args.start)?;
    if !args.change.is_empty() {
        cfg.changes = args
            .change
            .iter()
            .filter(|c| c.as_str() != "none")
            .map(|c| parse_change(c))
            .collect::<anyhow::Result<_>>()?;
    }
    if let Some(t) = args.theme {
        let (name, share) = t.split_once(':').unwrap_or((t.as_str(), "0.15"));
        cfg.theme = Some(PlantedTheme {
            name: name.into(),
            share: share
                .parse()
                .with_context(|| format!("--theme {t:?}: share {share:?} is not a number"))?,
        });
    }
    let r = generate(&cfg).context("generating sessions")?;
    println!(
        "wrote {} sessions ({} events, {} long, {} without friction) to {}",
        r.sessions,
        r.events,
        r.long_sessions,
        r.clean_sessions,
        args.out.display()
    );
    for (t, n) in &r.by_type {
        println!("  {t:<20} {n}");
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_change(s: &str) -> anyhow::Result<PlantedChange> {
    let Some((friction, rest)) = s.split_once('@') else {
        bail!("--change {s:?}: expected TYPE@VERSION*FACTOR, e.g. rephrasing_cascade@1.6.0*0.4");
    };
    let Some((version, factor)) = rest.split_once('*') else {
        bail!("--change {s:?}: expected TYPE@VERSION*FACTOR, e.g. rephrasing_cascade@1.6.0*0.4");
    };
    Ok(PlantedChange {
        friction: friction.into(),
        version: version.into(),
        factor: factor
            .parse()
            .with_context(|| format!("--change {s:?}: factor {factor:?} is not a number"))?,
    })
}
