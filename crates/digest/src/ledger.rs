//! What was sent, kept in the lake (`_notify/`), so a date that runs again
//! never sends twice and an alert's cooldown holds across runs.

use object_store::{ObjectStoreExt, PutPayload};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use signals_lake::Lake;

use crate::Result;

/// A date's digest: when it went to Slack.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DigestLedger {
    /// RFC 3339 time of the Slack post, once made.
    pub slack_posted_at: Option<String>,
}

/// A ticket's alerts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AlertLedger {
    /// Every alert sent for the ticket.
    pub sent: Vec<SentAlert>,
}

/// One alert sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SentAlert {
    /// The date it was about.
    pub date: String,
    /// `markdown` or `slack`.
    pub channel: String,
    /// RFC 3339 time it was sent.
    pub sent_at: String,
}

/// The ledger at `_notify/REL.json` (empty when there is none).
pub(crate) async fn load<T: DeserializeOwned + Default>(lake: &Lake, rel: &str) -> Result<T> {
    Ok(lake
        .read_json(&format!("_notify/{rel}.json"))
        .await?
        .unwrap_or_default())
}

/// Save the ledger at `_notify/REL.json`.
pub(crate) async fn save<T: Serialize>(lake: &Lake, rel: &str, ledger: &T) -> Result<()> {
    Ok(lake
        .write_json(&format!("_notify/{rel}.json"), ledger)
        .await?)
}

/// Write a text file at `rel` in the lake (the Markdown digests and alerts).
pub(crate) async fn write_text(lake: &Lake, rel: &str, text: &str) -> Result<()> {
    lake.store()
        .put(&lake.path(rel), PutPayload::from(text.as_bytes().to_vec()))
        .await?;
    Ok(())
}
