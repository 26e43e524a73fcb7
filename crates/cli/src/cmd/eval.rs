//! `signals eval`: score judge output against a label file, or the built-in
//! judge against the LLM on your own traffic (the cascade's `judge_agreement`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use datafusion::scalar::ScalarValue;
use signals_judge::eval::{evaluate, read_labels, render};
use signals_llm::cascade::Agreement;

/// The agreement summed over dates (`sql/judge/agreement.sql`).
const AGREEMENT_SQL: &str = include_str!("../../../../sql/judge/agreement.sql");

/// Arguments of `signals eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Label file (spec format, JSONL).
    #[arg(long, required_unless_present = "against")]
    labels: Option<PathBuf>,
    /// `llm`: instead of a label file, the built-in judge's precision and recall
    /// against the LLM on the cascade's judged sessions (`judge_agreement`).
    #[arg(long, value_parser = ["llm"], conflicts_with = "labels")]
    against: Option<String>,
    /// With --against llm: first date (default: the first there is).
    #[arg(long)]
    from: Option<String>,
    /// With --against llm: last date (default: the last there is).
    #[arg(long)]
    to: Option<String>,
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
    if args.against.is_some() {
        return against_llm(&lake, &args).await;
    }
    let Some(labels) = &args.labels else {
        bail!("say what to score against: --labels FILE or --against llm");
    };
    let file = read_labels(labels)?;
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

fn fmt_interval(x: Option<(f64, f64, f64)>) -> String {
    x.map_or("-".into(), |(p, lo, hi)| {
        format!("{p:.2} [{lo:.2}, {hi:.2}]")
    })
}

async fn against_llm(lake: &signals_lake::Lake, args: &Args) -> anyhow::Result<ExitCode> {
    let from = args.from.clone().unwrap_or_else(|| "0000-01-01".into());
    let to = args.to.clone().unwrap_or_else(|| "9999-12-31".into());
    let ctx = lake.session_context().await?;
    let batches = ctx
        .sql(AGREEMENT_SQL)
        .await?
        .with_param_values(vec![
            ("from", ScalarValue::from(from.as_str())),
            ("to", ScalarValue::from(to.as_str())),
        ])?
        .collect()
        .await?;
    let mut rows = Vec::new();
    let mut json = Vec::new();
    let (mut days, mut judged, mut sampled) = (0, 0, 0);
    for b in &batches {
        let s = |c: usize| b.column(c).as_string::<i32>().clone();
        let i = |c: usize| b.column(c).as_primitive::<Int64Type>().clone();
        let (t, d, j, sm, ag, bo) = (s(0), i(1), i(2), i(3), i(4), i(5));
        let lo = b.column(6).as_primitive::<Float64Type>().clone();
        for r in 0..b.num_rows() {
            let a = Agreement {
                agreed: ag.value(r),
                builtin_only: bo.value(r),
                llm_only: if lo.is_null(r) { 0.0 } else { lo.value(r) },
            };
            days = days.max(d.value(r));
            judged = judged.max(j.value(r));
            sampled = sampled.max(sm.value(r));
            rows.push([
                t.value(r).to_string(),
                a.agreed.to_string(),
                a.builtin_only.to_string(),
                format!("{:.1}", a.llm_only),
                fmt_interval(a.precision()),
                fmt_interval(a.recall()),
            ]);
            let part = |x: Option<(f64, f64, f64)>| {
                x.map(|(p, l, h)| serde_json::json!({"value": p, "low": l, "high": h}))
            };
            json.push(serde_json::json!({
                "friction_type": t.value(r), "agreed": a.agreed, "builtin_only": a.builtin_only,
                "llm_only": a.llm_only, "precision": part(a.precision()), "recall": part(a.recall()),
            }));
        }
    }
    if rows.is_empty() {
        bail!(
            "judge_agreement has no rows from {from} to {to}: run the cascade judge first (`signals run daily --judge cascade` or `signals judge --judge cascade`)"
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "days": days, "judged_sessions": judged, "sample_sessions": sampled, "types": json
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "built-in judge vs the LLM on {days} day(s): {judged} sessions judged by the LLM, {sampled} of them in the calibration sample\n(precision and recall with Wilson 95% intervals; the LLM's labels are the reference)\n"
    );
    super::print_table(
        [
            "friction_type",
            "agreed",
            "builtin_only",
            "llm_only",
            "precision",
            "recall",
        ],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}
