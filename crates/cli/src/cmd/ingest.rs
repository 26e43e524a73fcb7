//! `signals ingest`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use signals_ingest::{IngestOptions, ingest, input, landing};

/// Arguments of `signals ingest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, directories, globs (quoted), or `-` for stdin; gzip/zstd are detected.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Input format: `auto` detects it per file (Parquet by its magic number);
    /// `parquet` reads every input as Parquet.
    #[arg(long, default_value = "auto")]
    format: String,
    /// For Parquet inputs: a file with a SQL `SELECT` over the table `input` that
    /// maps its columns onto the interchange fields (session_id, seq, ts, kind,
    /// text, ...). Default: the file has them. See docs/formats.md.
    #[arg(long, value_name = "FILE")]
    map: Option<std::path::PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// When another ingest is writing the lake, wait for it to finish instead of
    /// stopping with its holder's name.
    #[arg(long)]
    wait: bool,
}

/// Run `signals ingest`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let map = match &args.map {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("reading the mapping SQL {}", p.display()))?,
        ),
        None => None,
    };
    let opts = IngestOptions {
        format: Some(args.format.clone()),
        progress: std::io::stderr().is_terminal(),
        wait: args.wait,
        map,
        ..Default::default()
    };
    // A URL (s3://, gs://, az://, file://) is a landing zone: list it and read
    // only what arrived or changed since the last ingest of it.
    let (urls, paths): (Vec<String>, Vec<String>) = args
        .inputs
        .iter()
        .cloned()
        .partition(|i| landing::is_source_url(i));
    if !urls.is_empty() {
        if !paths.is_empty() {
            anyhow::bail!(
                "give either landing-zone URLs ({}) or local paths ({}), not both in one ingest",
                urls.join(", "),
                paths.join(", ")
            );
        }
        let mut code = ExitCode::SUCCESS;
        for url in &urls {
            let r = landing::land(&lake, url, &opts)
                .await
                .with_context(|| format!("ingesting {url} into {}", lake.url()))?;
            println!(
                "landing {url}: {} objects, {} new, {} changed, {} already ingested",
                r.listed, r.new, r.changed, r.unchanged
            );
            if let Some(report) = r.ingest {
                code = print_report(&report, &args)?;
            }
        }
        return Ok(code);
    }
    let inputs = input::expand(&args.inputs)?;
    let report = ingest(&lake, inputs, &opts)
        .await
        .with_context(|| format!("ingesting into {}", lake.url()))?;
    print_report(&report, &args)
}

/// Print what an ingest did (text or JSON).
fn print_report(report: &signals_ingest::IngestReport, args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(dead) = &report.took_over_from {
        eprintln!(
            "note: took over the ingest lease from {dead}, a process of this host that is gone"
        );
    }
    if args.json {
        let v = serde_json::json!({
            "files": report.files,
            "formats": report.formats,
            "unrecognized_files": report.unrecognized,
            "lines_read": report.counts.lines,
            "events": report.counts.events,
            "sessions": report.sessions,
            "quarantined": report.counts.quarantined,
            "skipped_records": report.counts.skipped,
            "partitions": report.dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "events_in_partitions": report.events_in_partitions,
            "sessions_in_partitions": report.sessions_in_partitions,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "read {} files ({}), {} lines: {} events in {} sessions, {} quarantined",
            report.files,
            report
                .formats
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            report.counts.lines,
            report.counts.events,
            report.sessions,
            report.counts.quarantined,
        );
        if !report.counts.skipped.is_empty() {
            let s: Vec<String> = report
                .counts
                .skipped
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            println!("skipped records of unmapped types: {}", s.join(", "));
        }
        for f in &report.unrecognized {
            eprintln!("warning: {f}: format not recognised, not read (use --format to force one)");
        }
        if let (Some(first), Some(last)) = (report.dates.first(), report.dates.last()) {
            println!(
                "wrote {} date partitions ({first} .. {last}): {} events, {} sessions in them",
                report.dates.len(),
                report.events_in_partitions,
                report.sessions_in_partitions
            );
        }
        for q in &report.quarantine_sample {
            eprintln!("warning: {}:{}: {}", q.file, q.line, q.reason);
        }
        if report.counts.quarantined > report.quarantine_sample.len() as u64 {
            eprintln!(
                "warning: ... and {} more quarantined lines",
                report.counts.quarantined - report.quarantine_sample.len() as u64
            );
        }
        if report.counts.quarantined > 0 {
            println!(
                "see the bad lines with: signals sql \"SELECT source_file, source_line, reason FROM quarantine ORDER BY source_file, source_line\""
            );
        }
    }
    if report.counts.events == 0 {
        eprintln!("error: nothing could be read from the inputs");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
