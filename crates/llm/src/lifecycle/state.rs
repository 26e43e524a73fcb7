//! The date's LLM state as kept in the lake (`_llm/date=D.json`): every request's
//! attempt, batch and result, saved after every step so that a later run resumes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signals_lake::Lake;

use crate::Result;
use crate::config::{LlmConfig, Mode};

/// One session and pass's request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Req {
    pub(super) attempt: u32,
    /// `pending`, `uploaded`, `submitted`, `done` or `failed`.
    pub(super) status: String,
    pub(super) batch: Option<String>,
    /// The uploaded input file, between upload and batch creation (`uploaded`).
    #[serde(default)]
    pub(super) file: Option<String>,
    /// Parsed rows: moments or facets (with the summary).
    pub(super) result: Option<Value>,
    pub(super) reason: Option<String>,
    pub(super) detail: Option<String>,
    pub(super) usage: Vec<Usage>,
    /// `max_completion_tokens` of the next attempt (0: not sized yet); doubled
    /// after a truncated reply.
    #[serde(default)]
    pub(super) budget: u32,
    /// Attempts made before this round of retries: a re-run after the stage
    /// settled gives a failed request `max_attempts` more.
    #[serde(default)]
    pub(super) base_attempt: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Usage {
    pub(super) attempt: u32,
    pub(super) status: String,
    pub(super) input_tokens: i64,
    pub(super) output_tokens: i64,
    pub(super) rewritten: i64,
    #[serde(default)]
    pub(super) reasoning_tokens: Option<i64>,
    #[serde(default)]
    pub(super) budget: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct BatchRec {
    pub(super) id: String,
    pub(super) input_file_id: String,
    pub(super) processed: bool,
    pub(super) status: String,
}

/// The date's LLM state, kept in the lake.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct State {
    pub(super) model: String,
    pub(super) prompt_version: String,
    pub(super) mode: Option<Mode>,
    /// `pass:session_id` -> request.
    pub(super) requests: BTreeMap<String, Req>,
    pub(super) batches: Vec<BatchRec>,
    /// Tokens of each session before condensing.
    pub(super) full_tokens: BTreeMap<String, i64>,
    /// The process that last wrote the tables: a later process re-judges the
    /// failed requests (after a fix), the same process does not (its two passes
    /// share this state).
    #[serde(default)]
    pub(super) settled_by: Option<String>,
    /// The last settlement failed more sessions than `max_failure_share`.
    #[serde(default)]
    pub(super) exceeded: bool,
    /// The settings a failed request would be sent again with
    /// ([`retry_settings`]) when they last settled.
    #[serde(default)]
    pub(super) settings: String,
}

/// What a fix of failed requests changes: the effort, the budgets, the attempts.
pub(super) fn retry_settings(cfg: &LlmConfig) -> String {
    format!(
        "{}|{:?}|{}|{}|{}",
        cfg.reasoning_effort.id(),
        cfg.output_budget,
        cfg.max_completion_tokens,
        cfg.input_budget,
        cfg.max_attempts
    )
}

/// This process, as [`State::settled_by`] names it.
pub(super) static PROCESS: LazyLock<String> = LazyLock::new(|| {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
});

impl State {
    fn path(lake: &Lake, date: NaiveDate) -> object_store::path::Path {
        lake.path(&format!("_llm/date={date}.json"))
    }

    /// The keys of the requests waiting to go out.
    pub(super) fn pending(&self) -> Vec<String> {
        self.requests
            .iter()
            .filter(|(_, r)| r.status == "pending")
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub(super) async fn load(lake: &Lake, date: NaiveDate) -> Result<Option<State>> {
        match lake.store().get(&Self::path(lake, date)).await {
            Ok(r) => Ok(Some(serde_json::from_slice(&r.bytes().await?)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn save(&self, lake: &Lake, date: NaiveDate) -> Result<()> {
        lake.store()
            .put(
                &Self::path(lake, date),
                PutPayload::from(serde_json::to_vec(self)?),
            )
            .await?;
        Ok(())
    }
}
