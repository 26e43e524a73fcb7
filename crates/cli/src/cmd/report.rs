//! `signals report --date D [--out DIR]`: the daily report as one HTML page.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `signals report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's day (default: the latest day with analysed sessions).
    #[arg(long)]
    date: Option<String>,
    /// Directory the page is written to (`report-DATE.html`).
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

/// Run `signals report`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let date = match &args.date {
        Some(d) => signals_lake::parse_date(d)?,
        None => lake
            .partitions("analysed_sessions")
            .await?
            .into_iter()
            .max()
            .context(
                "no analysed sessions in the lake: run `signals run daily` (or backfill) first",
            )?,
    };
    let html = signals_report::render(&lake, date).await?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join(format!("report-{date}.html"));
    std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
