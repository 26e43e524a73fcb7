//! `signals eval`: score judge output against a label file.

use std::path::PathBuf;
use std::process::ExitCode;

use signals_judge::eval::{evaluate, read_labels, render};

/// Arguments of `signals eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Label file (spec format, JSONL).
    #[arg(long)]
    labels: PathBuf,
    /// Only score the output of this judge.
    #[arg(long)]
    judge: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Run `signals eval`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let file = read_labels(&args.labels)?;
    for e in &file.bad_lines {
        eprintln!("warning: skipped {e}");
    }
    let report = evaluate(&lake, &file.labels, args.judge.as_deref()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}
