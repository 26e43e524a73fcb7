//! Parquet in: event files as Parquet — with the interchange columns, or any
//! columns mapped onto them by a SQL `SELECT` over the file (table `input`) — are
//! turned into interchange JSON lines in a temporary file, batch by batch (memory
//! stays at a batch), and read from there like any interchange file: rows that do
//! not fit are quarantined with their row number and reason, next to the good ones.
//!
//! A mapping for a warehouse export (BigQuery `EXPORT DATA ... FORMAT = PARQUET`
//! of a messages table), in a file given with `signals ingest --map FILE`:
//!
//! ```sql
//! SELECT conversation_id AS session_id,
//!        turn_index      AS seq,
//!        created_at      AS ts,
//!        CASE role WHEN 'user' THEN 'user_message'
//!                  WHEN 'assistant' THEN 'assistant_message'
//!                  WHEN 'tool' THEN 'tool_result' END AS kind,
//!        content         AS text
//! FROM input
//! ```
//!
//! Timestamps without a time zone are read as UTC.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;

use crate::input::Input;
use crate::{Error, Result};

/// Whether the first bytes of a file are Parquet's magic number.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}

/// The inputs with each Parquet one (by its magic number, or all with `forced`)
/// replaced by its rows as interchange JSON lines in a file under `dir`.
pub async fn convert(
    inputs: Vec<Input>,
    mapping: Option<&str>,
    forced: bool,
    dir: &Path,
) -> Result<Vec<Input>> {
    let mut out = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let name = input.name();
        // The file to read, on disk (a landing-zone object is written out first).
        let file: Option<PathBuf> = match &input {
            Input::File(p) if forced || head_is_parquet(p) => Some(p.clone()),
            Input::Bytes { bytes, .. } if forced || is_parquet(bytes) => {
                let p = dir.join(format!("in-{i}.parquet"));
                std::fs::write(&p, bytes).map_err(|e| Error::Input {
                    path: name.clone(),
                    reason: e.to_string(),
                })?;
                Some(p)
            }
            _ => None,
        };
        let Some(file) = file else {
            out.push(input);
            continue;
        };
        let target = dir.join(format!("in-{i}.jsonl"));
        to_json_lines(&file, mapping, &target)
            .await
            .map_err(|e| match e {
                Error::Input { .. } => e,
                other => Error::Input {
                    path: name.clone(),
                    reason: other.to_string(),
                },
            })?;
        out.push(Input::Converted { name, path: target });
    }
    Ok(out)
}

fn head_is_parquet(p: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && is_parquet(&head)
}

/// Run `mapping` (default: every column) over the Parquet file and write the rows
/// as JSON lines.
async fn to_json_lines(file: &Path, mapping: Option<&str>, target: &Path) -> Result<()> {
    let ctx = SessionContext::new();
    let path = file.to_string_lossy().to_string();
    ctx.register_parquet("input", &path, ParquetReadOptions::default())
        .await
        .map_err(|e| Error::Input {
            path: path.clone(),
            reason: format!("not a Parquet file that can be read: {e}"),
        })?;
    let sql = mapping.unwrap_or("SELECT * FROM input");
    let df = ctx.sql(sql).await.map_err(|e| Error::Input {
        path: path.clone(),
        reason: format!("the mapping SQL does not plan: {e}"),
    })?;
    let mut stream = df.execute_stream().await?;
    let out = std::fs::File::create(target)?;
    let mut writer = arrow::json::LineDelimitedWriter::new(std::io::BufWriter::new(out));
    while let Some(batch) = stream.next().await {
        writer.write(&utc_times(&batch?)?)?;
    }
    writer.finish()?;
    let mut inner = writer.into_inner();
    inner.flush()?;
    Ok(())
}

/// Timestamps without a zone, as UTC (so that they are written with one).
fn utc_times(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Timestamp(_, None)))
    {
        return Ok(batch.clone());
    }
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if matches!(f.data_type(), DataType::Timestamp(_, None)) {
            fields.push(Field::new(f.name(), utc.clone(), f.is_nullable()));
            columns.push(arrow::compute::cast(c, &utc)?);
        } else {
            fields.push(f.as_ref().clone());
            columns.push(Arc::clone(c));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
