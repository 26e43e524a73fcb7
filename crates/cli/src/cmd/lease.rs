//! `signals lease list|break`: the leases that keep two writers of a lake apart.

use std::process::ExitCode;

use anyhow::bail;

/// Arguments of `signals lease`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Every lease, who holds it and until when; a holder of this host whose
    /// process is gone is marked (the next run or ingest takes its lease at once).
    List,
    /// Remove a lease whatever holds it: for a holder on another machine that is
    /// known to be gone (one on this machine is taken over without this).
    Break {
        /// Lease name, as `list` shows it (`ingest`, `run-daily-2026-11-20`).
        name: String,
    },
}

/// Run `signals lease`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    match args.command {
        Sub::List => {
            let leases = lake.list_leases().await?;
            if leases.is_empty() {
                println!("no leases: nothing is writing the lake");
                return Ok(ExitCode::SUCCESS);
            }
            let now = chrono::Utc::now();
            let rows: Vec<[String; 4]> = leases
                .into_iter()
                .map(|(r, dead)| {
                    let state = if r.expires_at <= now {
                        "expired"
                    } else if dead {
                        "holder gone"
                    } else {
                        "held"
                    };
                    [
                        r.name,
                        r.holder,
                        r.expires_at.to_rfc3339(),
                        state.to_string(),
                    ]
                })
                .collect();
            super::print_table(["lease", "holder", "expires", "state"], &rows);
        }
        Sub::Break { name } => match lake.break_lease(&name).await? {
            Some(r) => println!("broke lease {name} (was held by {})", r.holder),
            None => bail!("no lease {name:?}; `signals lease list` shows them"),
        },
    }
    Ok(ExitCode::SUCCESS)
}
