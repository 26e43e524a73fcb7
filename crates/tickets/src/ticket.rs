//! A ticket and its row in the `tickets` table.

use arrow::array::RecordBatch;
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

impl Ticket {
    /// Tickets from batches of the `tickets` table.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Vec<Ticket>> {
        let rows: Vec<serde_json::Value> = signals_lake::rows_of(batches)?;
        rows.into_iter()
            .map(|mut row| {
                // The table keeps the citations as a JSON array in a string.
                let cites = match row.get("citations") {
                    Some(serde_json::Value::String(s)) => {
                        serde_json::from_str(s).unwrap_or_else(|_| serde_json::json!([]))
                    }
                    _ => serde_json::json!([]),
                };
                row["citations"] = cites;
                Ok(serde_json::from_value(row)?)
            })
            .collect()
    }

    /// Tickets as one batch of the `tickets` table.
    pub fn to_batch(tickets: &[Ticket]) -> Result<RecordBatch> {
        let rows = tickets
            .iter()
            .map(|t| {
                let mut row = serde_json::to_value(t)?;
                row["citations"] = serde_json::Value::String(serde_json::to_string(&t.citations)?);
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(signals_lake::batch_from_rows(&schema::tickets(), &rows)?)
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
