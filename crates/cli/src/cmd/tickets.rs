//! `signals tickets`: list and show the tickets filed from friction patterns, and
//! file a date's tickets by hand (`--dry-run` prints what would be filed).

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use signals_lake::parse_date;
use signals_tickets::{FileOptions, Sink, SinkConfig, Ticket, file_tickets, render, snapshot};

/// Arguments of `signals tickets`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// List tickets as of a date (default: the latest snapshot).
    List {
        /// Snapshot date (YYYY-MM-DD): the latest snapshot on or before it.
        #[arg(long)]
        date: Option<String>,
        /// `open`, `faded` or `all`.
        #[arg(long, default_value = "open", value_parser = ["open", "faded", "all"])]
        status: String,
    },
    /// Print one ticket: its title and body, as the sink received it.
    Show {
        /// Ticket id (`SIG-…`).
        id: String,
    },
    /// File the tickets of a date from its `friction_patterns` (the `tickets` stage
    /// does this in the daily pipeline).
    File {
        /// Date (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// `markdown` (files under the lake's tickets/), `github` or `linear`.
        #[arg(long, default_value = "markdown", value_parser = ["markdown", "github", "linear"])]
        sink: String,
        /// GitHub repository `owner/name` (token: GITHUB_TOKEN).
        #[arg(long)]
        github_repo: Option<String>,
        /// Linear team id (key: LINEAR_API_KEY).
        #[arg(long)]
        linear_team: Option<String>,
        /// Days without crossing after which an open ticket fades.
        #[arg(long, default_value_t = FileOptions::default().fade_days)]
        fade_days: i64,
        /// Print what would be filed; send and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Run `signals tickets`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    match args.command {
        Sub::List { date, status } => {
            let date = date.as_deref().map(parse_date).transpose()?;
            let Some((day, tickets)) = snapshot(&lake, date).await? else {
                println!("no tickets yet: the `tickets` stage of `signals run daily` files them");
                return Ok(ExitCode::SUCCESS);
            };
            let shown: Vec<&Ticket> = tickets
                .iter()
                .filter(|t| status == "all" || t.status == status)
                .collect();
            println!(
                "tickets as of {day}: {} shown ({} in all, {} open)",
                shown.len(),
                tickets.len(),
                tickets.iter().filter(|t| t.status == "open").count()
            );
            if !shown.is_empty() {
                print_list(&shown);
            }
            Ok(ExitCode::SUCCESS)
        }
        Sub::Show { id } => {
            let tickets = snapshot(&lake, None)
                .await?
                .map(|(_, t)| t)
                .unwrap_or_default();
            let Some(t) = tickets
                .iter()
                .find(|t| t.ticket_id.eq_ignore_ascii_case(&id))
            else {
                bail!("no ticket {id:?}; `signals tickets list --status all` lists them");
            };
            println!("# {}\n\n{}", t.title, render::body(t));
            if let Some(r) = &t.external_ref {
                println!("Filed to {}: {r}", t.sink);
            }
            let ledger = signals_tickets::Ledger::load(&lake, &t.ticket_id).await?;
            if let Some(r) = &ledger.resolution {
                println!(
                    "Handed off on {}: {} on branch {}{}",
                    r.date,
                    r.status,
                    r.branch,
                    r.pull_request
                        .as_ref()
                        .map(|p| format!(", pull request {p}"))
                        .unwrap_or_default()
                );
            }
            for n in &ledger.notes {
                println!("\n{}", n.text);
            }
            Ok(ExitCode::SUCCESS)
        }
        Sub::File {
            date,
            sink,
            github_repo,
            linear_team,
            fade_days,
            dry_run,
        } => {
            let date: NaiveDate = parse_date(&date)?;
            let sink = Sink::new(&SinkConfig::from_env(&sink, github_repo, linear_team))?;
            let r = file_tickets(&lake, date, &sink, &FileOptions { fade_days, dry_run })
                .await
                .with_context(|| format!("filing the tickets of {date}"))?;
            let verb = if dry_run { "would be" } else { "were" };
            if r.actions.is_empty() {
                println!(
                    "{date}: nothing to file ({} tickets, {} open)",
                    r.tickets, r.open
                );
            }
            for a in &r.actions {
                println!(
                    "{} {verb} {}: {}{}",
                    a.ticket_id,
                    a.action,
                    a.title,
                    a.external_ref
                        .as_ref()
                        .map(|x| format!(" -> {x}"))
                        .unwrap_or_default()
                );
            }
            if dry_run {
                println!("dry run: nothing sent to {}, nothing written", sink.name());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_list(tickets: &[&Ticket]) {
    let rows: Vec<[String; 8]> = tickets
        .iter()
        .map(|t| {
            [
                t.ticket_id.clone(),
                t.status.clone(),
                t.friction_type.clone(),
                render::slice(t),
                format!("{:.1}%", 100.0 * t.rate),
                format!("{} ({}d)", t.last_seen, t.days_seen),
                t.trend.clone(),
                t.external_ref.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let head = [
        "ticket",
        "status",
        "friction",
        "slice",
        "rate",
        "last seen",
        "trend",
        "where",
    ];
    super::print_table(head, &rows);
}
