//! `signals facets`: the facets that facet discovery proposed, and the decisions
//! on them. An accepted facet is extracted by the facet pass from the next run on
//! (both judges); a rejected one is not proposed again.

use std::process::ExitCode;

use signals_discover::{Decision, decide, decisions, proposals};

use super::print_table;

/// Arguments of `signals facets`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Proposals (latest per name) with their decision, and the accepted facets.
    List {
        /// `open` (undecided), `accepted`, `rejected` or `all`.
        #[arg(long, default_value = "all", value_parser = ["open", "accepted", "rejected", "all"])]
        status: String,
        /// Also print each proposal's description, values and example summaries.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Accept a proposal: the facet pass extracts it from the next run on.
    Accept {
        /// Proposal name (from `signals facets list`).
        name: String,
        /// Keep only these candidate values (comma-separated; default: all).
        #[arg(long, value_delimiter = ',')]
        values: Option<Vec<String>>,
        /// Who decides (default: $SIGNALS_USER, else $USER).
        #[arg(long)]
        by: Option<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a proposal: it is not proposed again.
    Reject {
        /// Proposal name.
        name: String,
        /// Who decides (default: $SIGNALS_USER, else $USER).
        #[arg(long)]
        by: Option<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
}

fn who(by: Option<String>) -> String {
    by.or_else(|| std::env::var("SIGNALS_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A decision's facet values, comma-separated.
fn values(d: &Decision) -> String {
    let v: Vec<&str> = d
        .definition
        .values
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    v.join(", ")
}

/// Who decided and when: `by alice at 2026-11-30 09:56 UTC`.
fn stamp(d: &Decision) -> String {
    format!(
        "by {} at {}",
        d.decided_by,
        d.decided_at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// Run `signals facets`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    match args.command {
        Sub::List { status, verbose } => {
            let props = proposals(&lake).await?;
            let decided = decisions(&lake).await?;
            let status_of = |name: &str| {
                decided
                    .iter()
                    .find(|d| d.definition.name == name)
                    .map_or("open", |d| d.status.as_str())
            };
            let shown: Vec<_> = props
                .iter()
                .filter(|p| status == "all" || status_of(&p.name) == status)
                .collect();
            if props.is_empty() && decided.is_empty() {
                println!(
                    "no proposals yet: the facet_discovery stage of `signals run daily` (Mondays) writes them"
                );
            } else if props.is_empty() {
                // A rerun of facet_discovery leaves decided facets out, so their
                // proposals can be gone while the decisions below remain.
                println!(
                    "no proposals in the lake: a decided facet is not proposed again, and the facet_discovery stage of `signals run daily` (Mondays) writes new ones"
                );
            } else {
                let rows: Vec<[String; 7]> = shown
                    .iter()
                    .map(|p| {
                        [
                            p.name.clone(),
                            status_of(&p.name).to_string(),
                            p.size.to_string(),
                            format!("{:.1}%", p.share * 100.0),
                            p.values
                                .iter()
                                .map(|v| v.0.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                            p.closest.clone().unwrap_or_else(|| "-".into()),
                            p.proposed_on.join(","),
                        ]
                    })
                    .collect();
                print_table(
                    [
                        "name", "status", "sessions", "share", "values", "closest", "proposed",
                    ],
                    &rows,
                );
                if verbose {
                    for p in &shown {
                        println!(
                            "\n{} ({}, named by {})\n  {}",
                            p.name, p.date, p.namer, p.description
                        );
                        for e in &p.examples {
                            println!("  - {e}");
                        }
                    }
                }
            }
            // Decisions outlive proposal rows (a rerun replaces its date's rows).
            let shown_decisions: Vec<_> = decided
                .iter()
                .filter(|d| status == "all" || d.status == status)
                .collect();
            if !shown_decisions.is_empty() {
                println!("\ndecisions (accepted facets are extracted by the facet pass):");
                for d in shown_decisions {
                    println!(
                        "  {} {}: {} ({}{})",
                        d.status,
                        d.definition.name,
                        values(d),
                        stamp(d),
                        d.reason
                            .as_ref()
                            .map(|r| format!("; {r}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Sub::Accept {
            name,
            values: keep,
            by,
            reason,
        } => {
            let d = decide(&lake, &name, true, keep.as_deref(), &who(by), reason).await?;
            println!(
                "accepted {} (values: {}; {}); the facet pass extracts it from the next run on",
                d.definition.name,
                values(&d),
                stamp(&d)
            );
        }
        Sub::Reject { name, by, reason } => {
            let d = decide(&lake, &name, false, None, &who(by), reason).await?;
            println!(
                "rejected {} ({}); it is not proposed again",
                d.definition.name,
                stamp(&d)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
