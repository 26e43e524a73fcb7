//! `signals batches list|cancel`: the Batch API batches the LLM judge submitted.

use std::process::ExitCode;

use signals_llm::{LlmConfig, Mode};

/// Arguments of `signals batches`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// The batches submitted, by date, with their last known status.
    List,
    /// Cancel a batch at the provider (finished requests stay usable; the next run
    /// retries the rest). Key: OPENAI_API_KEY; server: OPENAI_BASE_URL or --base-url.
    Cancel {
        /// Batch id (`batch_…`).
        id: String,
        /// API base URL.
        #[arg(long)]
        base_url: Option<String>,
    },
}

/// Run `signals batches`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::List => {
            let lake = super::open_lake(lake)?;
            let list = signals_llm::batches(&lake).await?;
            if list.is_empty() {
                println!("no batches: the LLM judge (--judge openai) submits them");
            }
            let rows: Vec<[String; 4]> = list
                .into_iter()
                .map(|b| {
                    [
                        b.date.to_string(),
                        b.id,
                        b.status,
                        if b.processed { "collected" } else { "running" }.into(),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                super::print_table(["date", "batch", "status", "results"], &rows);
            }
        }
        Sub::Cancel { id, base_url } => {
            let mut cfg = LlmConfig::from_env("", Mode::Batch)?;
            if let Some(b) = base_url {
                cfg.api_base = b;
            }
            let status = signals_llm::cancel(&cfg, &id).await?;
            println!("{id}: {status}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
