//! `signals digest [--date D] [--format markdown|slack]`: the daily digest on
//! stdout, from the lake, as the `digest` stage writes and posts it. Nothing is
//! posted: the stage does that, once per date.

use std::process::ExitCode;

use anyhow::Context;
use signals_runner::Pipeline;

/// Arguments of `signals digest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The digest's day (default: the latest day with friction patterns).
    #[arg(long)]
    date: Option<String>,
    /// `markdown` (what the stage writes to the lake's digests/) or `slack` (the
    /// Block Kit message it posts, as JSON: paste its blocks into Slack's Block Kit Builder).
    #[arg(long, default_value = "markdown", value_parser = ["markdown", "slack"])]
    format: String,
    /// The pipeline whose parameters (`baseline_days`, `digest_max_items`) apply.
    #[arg(long, default_value = "daily")]
    pipeline: String,
    /// Override a pipeline parameter (`name=value`), as for `signals run`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = super::pipeline::parse_kv)]
    params: Vec<(String, String)>,
}

/// Run `signals digest`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let date = match &args.date {
        Some(d) => signals_lake::parse_date(d)?,
        None => lake
            .partitions("friction_patterns")
            .await?
            .into_iter()
            .max()
            .context(
                "no friction patterns in the lake: run `signals run daily` (or backfill) first",
            )?,
    };
    let pipeline = Pipeline::load(&args.pipeline)?;
    let mut params = pipeline.resolve_params(&args.params, &date.to_string())?;
    // Printing never posts: the channel is irrelevant here (and needs no secret).
    params.remove("notify");
    let cfg = signals_digest::NotifyConfig::from_run(&params)?;
    let digest = signals_digest::Digest::load(&lake, date, cfg.baseline_days).await?;
    match args.format.as_str() {
        "slack" => {
            let (message, _) = signals_digest::slack::digest_message(&digest, cfg.max_items);
            println!("{}", serde_json::to_string_pretty(&message)?);
        }
        _ => print!("{}", signals_digest::digest_markdown(&digest)),
    }
    Ok(ExitCode::SUCCESS)
}
