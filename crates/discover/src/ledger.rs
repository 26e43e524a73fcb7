//! Decisions on proposals: one JSON file per facet name under the lake's
//! `_facets/`, written by `signals facets accept|reject` and read by the facet
//! pass (accepted definitions) and by discovery (decided names are not proposed
//! again).

use object_store::{ObjectStoreExt, PutPayload};
use signals_lake::Lake;

use crate::{Error, Result};

pub use signals_judge::{Decision, accepted};

/// Every decision, by facet name.
pub async fn decisions(lake: &Lake) -> Result<Vec<Decision>> {
    Ok(signals_judge::decisions(lake).await?)
}

fn path(lake: &Lake, name: &str) -> object_store::path::Path {
    signals_judge::discovered::decision_path(lake, name)
}

/// Record a decision (replacing an earlier one on the same name).
pub async fn record(lake: &Lake, d: &Decision) -> Result<()> {
    let body = serde_json::to_vec_pretty(d).map_err(|e| Error::Ledger {
        file: d.definition.name.clone(),
        reason: e.to_string(),
    })?;
    lake.store()
        .put(&path(lake, &d.definition.name), PutPayload::from(body))
        .await
        .map_err(Error::Store)?;
    Ok(())
}
