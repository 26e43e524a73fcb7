//! Decisions on proposals: one JSON file per facet name under the lake's
//! `_facets/`, written by `signals facets accept|reject` and read by the facet
//! pass (accepted definitions) and by discovery (decided names are not proposed
//! again).

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use signals_judge::FacetDef;
use signals_lake::Lake;

use crate::{Error, Result};

/// A person's decision on a proposed facet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `accepted` or `rejected`.
    pub status: String,
    /// Who decided (`--by`, else `$SIGNALS_USER`, else `$USER`).
    pub decided_by: String,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// Why (optional).
    #[serde(default)]
    pub reason: Option<String>,
    /// The discovery date of the proposal decided on.
    pub proposed_on: String,
    /// The facet as extracted from then on (for a rejection: as proposed).
    pub definition: FacetDef,
}

fn path(lake: &Lake, name: &str) -> object_store::path::Path {
    lake.path(&format!("_facets/{name}.json"))
}

/// Every decision, by facet name.
pub async fn decisions(lake: &Lake) -> Result<Vec<Decision>> {
    let prefix = lake.path("_facets");
    let metas: Vec<_> = lake
        .store()
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(Error::Store)?;
    let mut out = Vec::new();
    for m in metas {
        if !m.location.as_ref().ends_with(".json") {
            continue;
        }
        let bytes = lake
            .store()
            .get(&m.location)
            .await
            .map_err(Error::Store)?
            .bytes()
            .await
            .map_err(Error::Store)?;
        let d: Decision = serde_json::from_slice(&bytes).map_err(|e| Error::Ledger {
            file: m.location.to_string(),
            reason: e.to_string(),
        })?;
        out.push(d);
    }
    out.sort_by(|a, b| a.definition.name.cmp(&b.definition.name));
    Ok(out)
}

/// The accepted facets: what the facet pass extracts.
pub async fn accepted(lake: &Lake) -> Result<Vec<FacetDef>> {
    Ok(decisions(lake)
        .await?
        .into_iter()
        .filter(|d| d.status == "accepted")
        .map(|d| d.definition)
        .collect())
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
