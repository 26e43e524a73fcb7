//! `signals deploy record|list` and `signals compare --deploy V`: deployments and
//! the friction rates before and after them.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use signals_deploy::{Deployment, REMEASURE_SQL, RemeasureParams};
use signals_lake::parse_date;

/// Arguments of `signals deploy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Record a deployment (recording a version again replaces it).
    Record {
        /// What was deployed: an agent version (as in sessions' agent_version) or a release name.
        #[arg(long)]
        version: String,
        /// When (RFC 3339, or YYYY-MM-DD for midnight UTC; default: now).
        #[arg(long)]
        at: Option<String>,
        /// The ticket it is meant to fix: it gets the before/after verdict.
        #[arg(long)]
        ticket: Option<String>,
        /// Free text.
        #[arg(long)]
        note: Option<String>,
    },
    /// List deployments: recorded ones and those inferred from new agent versions.
    List,
}

/// Arguments of `signals compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The deployment's version.
    #[arg(long = "deploy")]
    version: String,
    /// Measure as of this date (default: the latest date with analysed sessions).
    #[arg(long)]
    date: Option<String>,
    /// Days in each window.
    #[arg(long, default_value_t = RemeasureParams::default().days)]
    window_days: i64,
    /// Sessions a side needs for a verdict.
    #[arg(long, default_value_t = RemeasureParams::default().min_sessions)]
    min_sessions: i64,
    /// False-discovery rate over the deployment's seven types: a change is
    /// real when its Benjamini-Hochberg q-value is below it.
    #[arg(long, default_value_t = RemeasureParams::default().max_q)]
    max_q: f64,
}

fn parse_at(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = parse_date(s).with_context(|| {
        format!("--at {s:?}: expected RFC 3339 (2026-11-20T14:00:00Z) or YYYY-MM-DD")
    })?;
    Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

/// Run `signals deploy`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    match args.command {
        Sub::Record {
            version,
            at,
            ticket,
            note,
        } => {
            let deployed_at = at
                .as_deref()
                .map(parse_at)
                .transpose()?
                .unwrap_or_else(Utc::now);
            let dep = Deployment {
                version,
                deployed_at,
                ticket_id: ticket,
                note,
                source: "recorded".into(),
            };
            signals_deploy::record(&lake, &dep).await?;
            println!(
                "recorded deployment {} at {}{}",
                dep.version,
                deployed_at.to_rfc3339(),
                dep.ticket_id
                    .as_ref()
                    .map(|t| format!(" (ticket {t})"))
                    .unwrap_or_default()
            );
            println!(
                "the `remeasure` stage measures it once the after window has data; now: signals compare --deploy {}",
                dep.version
            );
        }
        Sub::List => {
            let deps = signals_deploy::list(&lake).await?;
            if deps.is_empty() {
                println!(
                    "no deployments: record one with `signals deploy record --version V`, or ingest sessions of a new agent_version"
                );
            }
            for d in deps {
                println!(
                    "{:<12} {}  {:<8} {}{}",
                    d.version,
                    d.deployed_at.to_rfc3339(),
                    d.source,
                    d.ticket_id.unwrap_or_default(),
                    d.note.map(|n| format!("  {n}")).unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// Run `signals compare`.
pub async fn compare(lake: &str, args: CompareArgs) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let date: NaiveDate = match &args.date {
        Some(d) => parse_date(d)?,
        None => match lake
            .partitions("analysed_sessions")
            .await?
            .into_iter()
            .max()
        {
            Some(d) => d,
            None => bail!(
                "no analysed sessions in the lake: run `signals run daily` (or backfill) first"
            ),
        },
    };
    let params = RemeasureParams {
        days: args.window_days.max(1),
        min_sessions: args.min_sessions,
        max_q: args.max_q,
        horizon_days: 3650,
        ..RemeasureParams::default()
    };
    let batches = signals_deploy::measure(&lake, REMEASURE_SQL, date, &params).await?;
    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut header = None;
    for r in signals_deploy::BeforeAfter::from_batches(&batches)? {
        if r.version != args.version {
            continue;
        }
        header.get_or_insert_with(|| {
            format!(
                "deployment {} ({}, {}{}) as of {date}\nbefore {}..{}, after {}..{}{}; after: {} sessions",
                r.version,
                r.deployed_on,
                r.source,
                r.ticket_id.as_ref().map_or(String::new(), |t| format!(", ticket {t}")),
                r.before_from,
                r.before_to,
                r.after_from,
                r.after_to,
                if r.window_complete { "" } else { " (window not complete yet)" },
                if r.after_scope == "version" { "on this version's" } else { "all" },
            )
        });
        rows.push([
            r.friction_type.clone(),
            format!("{}/{}", r.before_affected, r.before_sessions),
            pct(r.before_rate),
            format!("{}/{}", r.after_affected, r.after_sessions),
            pct(r.after_rate),
            r.rel_change
                .map_or("-".into(), |x| format!("{:+.0}%", 100.0 * x)),
            match (r.adj_change, r.ci_low, r.ci_high) {
                (Some(d), Some(l), Some(h)) => {
                    format!("{:+.1} [{:+.1}, {:+.1}]", 100.0 * d, 100.0 * l, 100.0 * h)
                }
                _ => "-".into(),
            },
            r.q_value.map_or("-".into(), |x| format!("{x:.4}")),
            r.verdict.clone(),
        ]);
    }
    let Some(header) = header else {
        let known: Vec<String> = signals_deploy::list(&lake)
            .await?
            .into_iter()
            .filter(|d| d.deployed_at.date_naive() <= date)
            .map(|d| d.version)
            .collect();
        bail!(
            "no deployment {:?} on or before {date}; deployments: {}",
            args.version,
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        );
    };
    println!("{header}\n");
    let head = [
        "friction",
        "before",
        "rate",
        "after",
        "rate",
        "change",
        "stratified (points, 95% CI)",
        "q",
        "verdict",
    ];
    super::print_table(head, &rows);
    Ok(ExitCode::SUCCESS)
}
