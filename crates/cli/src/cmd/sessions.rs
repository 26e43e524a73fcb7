//! `signals sessions`: list sessions, and show one as a readable timeline.

use std::process::ExitCode;

use anyhow::{Context, bail};
use arrow::array::RecordBatch;
use arrow::util::display::array_value_to_string;
use signals_lake::datafusion::prelude::SessionContext;
use signals_lake::datafusion::scalar::ScalarValue;

const SHOW_SQL: &str = include_str!("../../../../sql/sessions/show.sql");
const LIST_SQL: &str = include_str!("../../../../sql/sessions/list.sql");

/// Arguments of `signals sessions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// List sessions, newest first.
    List {
        /// First date (YYYY-MM-DD; default: the earliest).
        #[arg(long)]
        from: Option<String>,
        /// Last date, inclusive (default: the latest).
        #[arg(long)]
        to: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Print one session as a timeline: seq, time, kind and a short text per event.
    Show {
        /// Session id.
        id: String,
        /// Characters of text shown per event (0: all).
        #[arg(long, default_value_t = 100)]
        width: usize,
    },
}

/// Run `signals sessions`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let ctx = lake.session_context().await?;
    match args.command {
        Sub::List { from, to, limit } => {
            let from = from.unwrap_or_else(|| "0000-01-01".into());
            let to = to.unwrap_or_else(|| "9999-12-31".into());
            let df = ctx
                .sql(LIST_SQL)
                .await?
                .with_param_values(vec![ScalarValue::from(from), ScalarValue::from(to)])?
                .limit(0, Some(limit))?;
            let batches = df.collect().await?;
            println!("{}", arrow::util::pretty::pretty_format_batches(&batches)?);
            Ok(ExitCode::SUCCESS)
        }
        Sub::Show { id, width } => show(&ctx, &id, width).await,
    }
}

async fn show(ctx: &SessionContext, id: &str, width: usize) -> anyhow::Result<ExitCode> {
    let head = query(
        ctx,
        "SELECT date, agent, agent_version, model, step_count, end_status, started_at FROM sessions WHERE session_id = $1",
        vec![ScalarValue::from(id)],
    )
    .await?;
    let Some((b, r)) = rows(&head).next() else {
        bail!("no session {id:?} in the lake; `signals sessions list` shows what is there");
    };
    let cell = |c: usize| value(b, c, r);
    let date = cell(0);
    println!(
        "session {id}\n  {} {} · model {} · {} · {} steps · ended: {}",
        or_dash(&cell(1)),
        cell(2),
        or_dash(&cell(3)),
        cell(6),
        cell(4),
        or_dash(&cell(5))
    );
    let events = query(
        ctx,
        SHOW_SQL,
        vec![ScalarValue::from(id), ScalarValue::from(date.clone())],
    )
    .await
    .context("reading the session's events")?;
    println!("\n{:>5}  {:<8}  {:<18}  text", "seq", "time", "kind");
    for (b, r) in rows(&events) {
        let v = |c: usize| value(b, c, r);
        let time = v(1).get(11..19).unwrap_or("").to_string();
        let kind = match (v(2).as_str(), v(4)) {
            ("tool_result", s) if !s.is_empty() => format!("tool_result {s}"),
            (k, _) => k.to_string(),
        };
        let mut text = match (v(3), v(6)) {
            (tool, _) if !tool.is_empty() && v(2) == "tool_call" => format!("{tool} {}", v(5)),
            (_, et) if !et.is_empty() => format!("{et}: {}", v(5)),
            _ => v(5),
        };
        text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if width > 0 && text.chars().count() > width {
            text = text.chars().take(width).collect::<String>() + "…";
        }
        println!("{:>5}  {:<8}  {:<18}  {}", v(0), time, kind, text);
    }
    let fr = query(
        ctx,
        "SELECT friction_type, severity, first_seq, last_seq, citation, judge FROM frictions WHERE date = $2 AND session_id = $1 ORDER BY first_seq",
        vec![ScalarValue::from(id), ScalarValue::from(date)],
    )
    .await?;
    let found: Vec<_> = rows(&fr).collect();
    if !found.is_empty() {
        println!("\nfriction found:");
        for (b, r) in found {
            let v = |c: usize| value(b, c, r);
            println!(
                "  seq {:>4}-{:<4} {:<19} {:<6} {} ({})",
                v(2),
                v(3),
                v(0),
                v(1),
                v(4),
                v(5)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn query(
    ctx: &SessionContext,
    sql: &str,
    params: Vec<ScalarValue>,
) -> anyhow::Result<Vec<RecordBatch>> {
    Ok(ctx
        .sql(sql)
        .await?
        .with_param_values(params)?
        .collect()
        .await?)
}

fn rows(batches: &[RecordBatch]) -> impl Iterator<Item = (&RecordBatch, usize)> {
    batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
}

fn value(b: &RecordBatch, c: usize, r: usize) -> String {
    let col = b.column(c);
    if col.is_null(r) {
        String::new()
    } else {
        array_value_to_string(col, r).unwrap_or_default()
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
