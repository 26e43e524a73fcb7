//! The pipeline's SQL in both engines: a query timed in DataFusion (planning
//! apart), and the same job in DuckDB (the Python package) on the same Parquet.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde_json::{Value, json};

use signals_lake::schema;
use signals_runner::{Param, Pipeline};

use crate::{BenchConfig, Error, Result, median};

/// Median seconds of `reps` runs of a query in `ctx` (all batches read), the
/// median of their planning, and its rows.
pub(crate) async fn time_query(
    ctx: &SessionContext,
    sql: &str,
    params: &BTreeMap<String, Param>,
    reps: usize,
) -> Result<(f64, f64, u64)> {
    let values = signals_stage::sql::bound(sql, params);
    let mut times = Vec::new();
    let mut planning = Vec::new();
    let mut rows = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        // Planning apart from execution: at this scale DataFusion's planning is a
        // sizeable share of a query, and the report says how much.
        let p = Instant::now();
        let plan = ctx
            .sql(sql)
            .await?
            .with_param_values(values.clone())?
            .create_physical_plan()
            .await?;
        planning.push(p.elapsed().as_secs_f64());
        let mut s = datafusion::physical_plan::execute_stream(plan, ctx.task_ctx())?;
        let mut n = 0u64;
        while let Some(b) = s.next().await {
            n += b?.num_rows() as u64;
        }
        times.push(t.elapsed().as_secs_f64());
        rows = n;
    }
    Ok((median(&times), median(&planning), rows))
}

fn duck_type(t: &arrow::datatypes::DataType) -> &'static str {
    use arrow::datatypes::DataType as D;
    match t {
        D::Int64 | D::Int32 => "BIGINT",
        D::Float64 => "DOUBLE",
        D::Boolean => "BOOLEAN",
        D::Timestamp(_, _) => "TIMESTAMPTZ",
        D::List(_) => "VARCHAR[]",
        _ => "VARCHAR",
    }
}

/// The DuckDB side's script (`duckdb_stages.py`) and its job, the same files and
/// queries as ours, written once into the working directory.
pub(crate) fn duckdb_job(
    cfg: &BenchConfig,
    lake_dir: &Path,
    pipeline: &Pipeline,
    queries: &[(String, String)],
    dates: &[NaiveDate],
) -> Result<(PathBuf, String)> {
    let script = cfg.dir.join("duckdb_stages.py");
    std::fs::write(&script, include_str!("../duckdb_stages.py"))?;
    let tables: serde_json::Map<String, Value> = schema::all_tables()
        .iter()
        .map(|t| {
            let cols: Vec<Value> = t
                .columns
                .iter()
                .map(|c| json!([c.name, duck_type(&c.data_type)]))
                .collect();
            (t.name.to_string(), Value::Array(cols))
        })
        .collect();
    let views: Vec<&str> = schema::VIEWS.iter().map(|(_, sql)| *sql).collect();
    let qs: Vec<Value> = queries
        .iter()
        .map(|(stage, sql)| {
            let used = Pipeline::placeholders(sql);
            let runs: Vec<Value> = dates
                .iter()
                .map(|d| {
                    let p = pipeline
                        .resolve_params(&[], &d.to_string())
                        .unwrap_or_default();
                    let params: serde_json::Map<String, Value> = p
                        .iter()
                        .filter(|(k, _)| used.contains(k.as_str()))
                        .map(|(k, v)| {
                            let v = match v {
                                Param::Int(i) => json!(i),
                                Param::Float(f) => json!(f),
                                Param::Bool(b) => json!(b),
                                Param::Str(s) => json!(s),
                            };
                            (k.clone(), v)
                        })
                        .collect();
                    json!({"date": d.to_string(), "params": params})
                })
                .collect();
            json!({"stage": stage, "sql": sql, "runs": runs})
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let job = json!({"lake": lake_dir.canonicalize()?.display().to_string(), "tables": tables, "views": views, "queries": qs, "reps": cfg.reps.max(1), "threads": threads});
    // Kept beside the script, to rerun the DuckDB side by hand:
    // python3 duckdb_stages.py < duckdb_job.json
    let job = job.to_string();
    std::fs::write(cfg.dir.join("duckdb_job.json"), &job)?;
    Ok((script, job))
}

/// Run one round of the DuckDB side: its stages' seconds and rows (JSON).
pub(crate) fn duckdb(cfg: &BenchConfig, script: &Path, job: &str) -> Result<Value> {
    let mut child = std::process::Command::new(&cfg.python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::Step(format!("{}: {e}", cfg.python)))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(job.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        return Err(Error::Step(format!(
            "{} {}: {last} (pip install -r notebooks/requirements.txt)",
            cfg.python,
            script.display()
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::Step(format!("duckdb output: {e}")))
}
