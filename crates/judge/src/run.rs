//! Apply a judge to one date partition of the lake and write its tables.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, TimestampMicrosecondArray};
use arrow::datatypes::DataType;
use chrono::NaiveDate;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use signals_lake::{Lake, schema};

use crate::rows::{DelightRows, FacetRows, FrictionRows};
use crate::session::{Event, Session};
use crate::{Error, Judge, Result};

/// The SQL that picks the sessions a judge analyses (`$date`, `$min_steps`).
pub const FILTER_SQL: &str = include_str!("../../../sql/stages/filter.sql");

/// Which sessions of a date a pass analyses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those that pass `sql/stages/filter.sql` with this `min_steps`.
    MinSteps(i64),
    /// Those listed in a lake table's partition of the date (the pipeline's
    /// `filter` stage writes `analysed_sessions`).
    Table(String),
}

/// Which pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The friction pass -> `frictions`.
    Friction,
    /// The facet pass -> `session_facets`.
    Facets,
    /// The delight pass -> `delights`.
    Delight,
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    /// Sessions analysed.
    pub sessions: u64,
    /// Rows written.
    pub rows: u64,
}

/// Stream the selected sessions of `date`, in session order, to `f`.
pub async fn for_each_session(
    ctx: &SessionContext,
    date: NaiveDate,
    selection: &Selection,
    mut f: impl FnMut(&Session),
) -> Result<u64> {
    let (chosen, mut params) = match selection {
        Selection::MinSteps(n) => (
            format!(
                "SELECT session_id FROM ({})",
                FILTER_SQL.trim().trim_end_matches(';')
            ),
            vec![("min_steps", ScalarValue::from(*n))],
        ),
        Selection::Table(t) => (
            format!("SELECT session_id FROM {t} WHERE date = $date"),
            vec![],
        ),
    };
    params.push(("date", ScalarValue::from(date.to_string())));
    let sql = format!(
        "SELECT session_id, seq, ts, kind, text, call_id, tool, args, status, output, path, error_type, message
         FROM events
         WHERE date = $date AND session_id IN ({chosen})
         ORDER BY session_id, seq"
    );
    let df = ctx.sql(&sql).await?.with_param_values(params)?;
    let mut stream = df.execute_stream().await?;
    let mut current = Session::default();
    let mut count = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let s = |i: usize| -> Result<ArrayRef> {
            Ok(arrow::compute::cast(batch.column(i), &DataType::Utf8)?)
        };
        let ids = s(0)?;
        let ids = ids.as_string::<i32>();
        let seq = arrow::compute::cast(batch.column(1), &DataType::Int64)?;
        let seq = seq.as_primitive::<arrow::datatypes::Int64Type>();
        let ts = batch
            .column(2)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| {
                Error::Arrow(arrow::error::ArrowError::SchemaError(
                    "events.ts is not µs".into(),
                ))
            })?;
        let cols: Vec<ArrayRef> = (3..13).map(s).collect::<Result<_>>()?;
        let txt = |c: usize, i: usize| {
            let a = cols[c].as_string::<i32>();
            a.is_valid(i).then(|| a.value(i).to_string())
        };
        for i in 0..batch.num_rows() {
            let id = ids.value(i);
            if current.id != id {
                if !current.id.is_empty() {
                    f(&current);
                    count += 1;
                }
                current = Session {
                    id: id.to_string(),
                    events: Vec::new(),
                };
            }
            current.events.push(Event {
                seq: seq.value(i),
                ts: ts.is_valid(i).then(|| ts.value(i)),
                kind: txt(0, i).unwrap_or_default(),
                text: txt(1, i),
                call_id: txt(2, i),
                tool: txt(3, i),
                args: txt(4, i),
                status: txt(5, i),
                output: txt(6, i),
                path: txt(7, i),
                error_type: txt(8, i),
                message: txt(9, i),
            });
        }
    }
    if !current.id.is_empty() {
        f(&current);
        count += 1;
    }
    Ok(count)
}

/// Run one pass of `judge` over `date` and replace that partition of its table.
pub async fn run_pass(
    lake: &Lake,
    ctx: &SessionContext,
    date: NaiveDate,
    judge: &dyn Judge,
    pass: Pass,
    selection: &Selection,
) -> Result<PassReport> {
    let (mut moments, mut facets, mut delights) = (
        FrictionRows::default(),
        FacetRows::default(),
        DelightRows::default(),
    );
    let (name, version) = (judge.name(), judge.version());
    let sessions = for_each_session(ctx, date, selection, |s| match pass {
        Pass::Friction => {
            for m in judge.friction(s) {
                moments.push(&s.id, &m, name, version);
            }
        }
        Pass::Facets => {
            for f in crate::unique_facets(judge.facets(s)) {
                facets.push(&s.id, &f, name, version);
            }
        }
        Pass::Delight => {
            for d in judge.delights(s) {
                delights.push(&s.id, &d, name, version);
            }
        }
    })
    .await?;
    let batch = match pass {
        Pass::Friction => moments.finish()?,
        Pass::Facets => facets.finish()?,
        Pass::Delight => delights.finish()?,
    };
    let def = match pass {
        Pass::Friction => schema::frictions(),
        Pass::Facets => schema::session_facets(),
        Pass::Delight => schema::delights(),
    };
    let written = lake
        .write_partition_batches(&def, date, vec![batch])
        .await?;
    Ok(PassReport {
        sessions,
        rows: written,
    })
}

/// Run the friction and facet passes of `judge` over `date` side by side, and
/// its delight pass (the reports of the first two are returned).
pub async fn run_both(
    lake: &Lake,
    date: NaiveDate,
    judge: Arc<dyn Judge>,
    selection: &Selection,
) -> Result<(PassReport, PassReport)> {
    let ctx = lake.session_context().await?;
    let (a, b, c) = tokio::join!(
        run_pass(lake, &ctx, date, judge.as_ref(), Pass::Friction, selection),
        run_pass(lake, &ctx, date, judge.as_ref(), Pass::Facets, selection),
        run_pass(lake, &ctx, date, judge.as_ref(), Pass::Delight, selection),
    );
    c?;
    Ok((a?, b?))
}
