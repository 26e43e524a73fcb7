//! A ticket and its row in the `tickets` table.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use signals_lake::schema;

use crate::Result;

/// A ticket's state as of a date (one row of `tickets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// `SIG-` and the fingerprint's first 8 hex digits.
    pub ticket_id: String,
    /// SHA-256 (hex) of type, slice kind and slice value.
    pub fingerprint: String,
    /// Friction type.
    pub friction_type: String,
    /// Slice kind.
    pub slice_kind: String,
    /// Slice value.
    pub slice_value: String,
    /// Title.
    pub title: String,
    /// `open` or `faded`.
    pub status: String,
    /// What the snapshot's date did to it.
    pub action: String,
    /// First date the pattern crossed.
    pub first_seen: String,
    /// Last date it crossed.
    pub last_seen: String,
    /// Dates it crossed on.
    pub days_seen: i64,
    /// Sessions in the slice on `last_seen`.
    pub sessions: i64,
    /// Affected sessions on `last_seen`.
    pub affected: i64,
    /// Rate on `last_seen`.
    pub rate: f64,
    /// Baseline rate on `last_seen`.
    pub baseline_rate: Option<f64>,
    /// p-value on `last_seen`.
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg q-value on `last_seen` (None in tickets from before it).
    pub q_value: Option<f64>,
    /// `new`, `rising`, `steady` or `falling`.
    pub trend: String,
    /// High-severity moments.
    pub high: i64,
    /// Medium-severity moments.
    pub medium: i64,
    /// Low-severity moments.
    pub low: i64,
    /// Up to 5 abstracted citations.
    pub citations: Vec<String>,
    /// Sink name.
    pub sink: String,
    /// The sink's reference (path, URL).
    pub external_ref: Option<String>,
    /// The branch a coding agent worked on for it (`resolve`).
    #[serde(default)]
    pub branch: Option<String>,
    /// The pull request the coding agent reported.
    #[serde(default)]
    pub pull_request: Option<String>,
}

/// The fingerprint of a pattern: what makes two days' sightings one ticket.
pub fn fingerprint(friction_type: &str, slice_kind: &str, slice_value: &str) -> String {
    let mut h = Sha256::new();
    for part in [friction_type, slice_kind, slice_value] {
        h.update(part.as_bytes());
        // A separator that cannot occur in the parts keeps ("a", "bc") and ("ab", "c") apart.
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Column `name` of `batch` as strings (nulls as `None`).
pub(crate) fn strings(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    Ok(signals_lake::string_column(batch, name)?)
}

/// Column `name` of `batch` as integers.
pub(crate) fn ints(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let col = column(batch, name, &DataType::Int64)?;
    let a = col
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("cast to Int64");
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect())
}

/// Column `name` of `batch` as floats.
pub(crate) fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>> {
    let col = column(batch, name, &DataType::Float64)?;
    let a = col
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("cast to Float64");
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect())
}

/// A float column that older partitions may lack: all None then.
pub(crate) fn optional_floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>> {
    if batch.column_by_name(name).is_none() {
        return Ok(vec![None; batch.num_rows()]);
    }
    floats(batch, name)
}

fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<ArrayRef> {
    let col = batch.column_by_name(name).ok_or_else(|| {
        datafusion::error::DataFusionError::Plan(format!("result has no column {name}"))
    })?;
    Ok(cast(col, to).map_err(datafusion::error::DataFusionError::from)?)
}

impl Ticket {
    /// Tickets from batches of the `tickets` table.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Vec<Ticket>> {
        let mut out = Vec::new();
        for b in batches {
            let s = |n| strings(b, n);
            let (branch, pr) = (s("branch")?, s("pull_request")?);
            let (id, fp, ty, sk, sv, title, status, action, first, last, trend, cites, sink, ext) = (
                s("ticket_id")?,
                s("fingerprint")?,
                s("friction_type")?,
                s("slice_kind")?,
                s("slice_value")?,
                s("title")?,
                s("status")?,
                s("action")?,
                s("first_seen")?,
                s("last_seen")?,
                s("trend")?,
                s("citations")?,
                s("sink")?,
                s("external_ref")?,
            );
            let i = |n| ints(b, n);
            let (days, sessions, affected, high, medium, low) = (
                i("days_seen")?,
                i("sessions")?,
                i("affected")?,
                i("high")?,
                i("medium")?,
                i("low")?,
            );
            let (rate, base, p) = (
                floats(b, "rate")?,
                floats(b, "baseline_rate")?,
                floats(b, "p_value")?,
            );
            let q = optional_floats(b, "q_value")?;
            for r in 0..b.num_rows() {
                let text = |v: &Vec<Option<String>>| v[r].clone().unwrap_or_default();
                out.push(Ticket {
                    ticket_id: text(&id),
                    fingerprint: text(&fp),
                    friction_type: text(&ty),
                    slice_kind: text(&sk),
                    slice_value: text(&sv),
                    title: text(&title),
                    status: text(&status),
                    action: text(&action),
                    first_seen: text(&first),
                    last_seen: text(&last),
                    days_seen: days[r].unwrap_or(0),
                    sessions: sessions[r].unwrap_or(0),
                    affected: affected[r].unwrap_or(0),
                    rate: rate[r].unwrap_or(0.0),
                    baseline_rate: base[r],
                    p_value: p[r],
                    q_value: q[r],
                    trend: text(&trend),
                    high: high[r].unwrap_or(0),
                    medium: medium[r].unwrap_or(0),
                    low: low[r].unwrap_or(0),
                    citations: serde_json::from_str(&text(&cites)).unwrap_or_default(),
                    sink: text(&sink),
                    external_ref: ext[r].clone(),
                    branch: branch[r].clone(),
                    pull_request: pr[r].clone(),
                });
            }
        }
        Ok(out)
    }

    /// Tickets as one batch of the `tickets` table.
    pub fn to_batch(tickets: &[Ticket]) -> Result<RecordBatch> {
        let def = schema::tickets();
        let s = |f: &dyn Fn(&Ticket) -> String| -> ArrayRef {
            Arc::new(StringArray::from(tickets.iter().map(f).collect::<Vec<_>>()))
        };
        let i = |f: &dyn Fn(&Ticket) -> i64| -> ArrayRef {
            Arc::new(Int64Array::from(tickets.iter().map(f).collect::<Vec<_>>()))
        };
        let o = |f: &dyn Fn(&Ticket) -> Option<f64>| -> ArrayRef {
            Arc::new(Float64Array::from(
                tickets.iter().map(f).collect::<Vec<_>>(),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            s(&|t| t.ticket_id.clone()),
            s(&|t| t.fingerprint.clone()),
            s(&|t| t.friction_type.clone()),
            s(&|t| t.slice_kind.clone()),
            s(&|t| t.slice_value.clone()),
            s(&|t| t.title.clone()),
            s(&|t| t.status.clone()),
            s(&|t| t.action.clone()),
            s(&|t| t.first_seen.clone()),
            s(&|t| t.last_seen.clone()),
            i(&|t| t.days_seen),
            i(&|t| t.sessions),
            i(&|t| t.affected),
            o(&|t| Some(t.rate)),
            o(&|t| t.baseline_rate),
            o(&|t| t.p_value),
            s(&|t| t.trend.clone()),
            i(&|t| t.high),
            i(&|t| t.medium),
            i(&|t| t.low),
            s(&|t| serde_json::to_string(&t.citations).unwrap_or_else(|_| "[]".into())),
            s(&|t| t.sink.clone()),
            Arc::new(StringArray::from(
                tickets
                    .iter()
                    .map(|t| t.external_ref.clone())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                tickets.iter().map(|t| t.branch.clone()).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                tickets
                    .iter()
                    .map(|t| t.pull_request.clone())
                    .collect::<Vec<_>>(),
            )),
            o(&|t| t.q_value),
        ];
        Ok(RecordBatch::try_new(def.file_schema(), columns)
            .map_err(datafusion::error::DataFusionError::from)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_unambiguous() {
        let a = fingerprint("error_event", "agent_version", "1.5.0");
        assert_eq!(a, fingerprint("error_event", "agent_version", "1.5.0"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, fingerprint("error_event", "agent_version", "1.6.0"));
        assert_ne!(fingerprint("a", "bc", "d"), fingerprint("ab", "c", "d"));
    }
}

/// One hand-off (a row of `ticket_resolutions`; kept in the ticket's ledger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The ticket.
    pub ticket_id: String,
    /// The snapshot date it was handed off on.
    pub date: String,
    /// The branch created.
    pub branch: String,
    /// The last URL the command printed on stdout.
    pub pull_request: Option<String>,
    /// `proposed` or `failed`.
    pub status: String,
    /// Exit status (None: killed by a signal).
    pub exit_code: Option<i64>,
    /// Commits on the branch beyond the base.
    pub commits: i64,
    /// The command line.
    pub command: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Last line of stderr on failure.
    pub note: Option<String>,
}
