//! Decisions on proposals: one JSON file per facet name under the lake's
//! `_facets/`, written by `signals facets accept|reject` and read by the facet
//! pass (accepted definitions) and by discovery (decided names are not proposed
//! again).

use signals_lake::Lake;

use crate::Result;

pub use signals_judge::{Decision, accepted};

/// Every decision, by facet name.
pub async fn decisions(lake: &Lake) -> Result<Vec<Decision>> {
    Ok(signals_judge::decisions(lake).await?)
}

/// Record a decision (replacing an earlier one on the same name).
pub async fn record(lake: &Lake, d: &Decision) -> Result<()> {
    Ok(lake
        .write_json(&format!("_facets/{}.json", d.definition.name), d)
        .await?)
}
