//! Run state, kept in the lake (`_runs/<pipeline>/date=<D>.json`), so that runs
//! resume the same way on local disk and on S3.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use signals_lake::Lake;

use crate::Result;
use crate::pipeline::Param;

/// Status of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Stages are executing (or the process died while they were).
    Running,
    /// Every stage succeeded.
    Succeeded,
    /// A stage failed; a later run resumes from it.
    Failed,
    /// A stage waits on something external (e.g. an LLM batch); run again later.
    Waiting,
}

/// Status of one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// Not started.
    Pending,
    /// Executing.
    Running,
    /// Done; its output partition is written.
    Succeeded,
    /// Failed after its retries.
    Failed,
    /// Waiting on something external.
    Waiting,
    /// Not run because a stage it depends on failed.
    Skipped,
}

/// The snake_case name serde gives a unit variant.
fn serde_name(v: &impl Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_name(self))
    }
}

impl std::fmt::Display for StageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_name(self))
    }
}

/// One stage's state in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageState {
    /// Status.
    pub status: StageStatus,
    /// Attempts made (over every run of this date).
    pub attempt: u32,
    /// Run that last executed it.
    pub run_id: Option<String>,
    /// Start of the last attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the last attempt.
    pub ended_at: Option<DateTime<Utc>>,
    /// Rows written.
    pub rows: Option<u64>,
    /// Error of the last failed attempt.
    pub error: Option<String>,
    /// Its class: `user`, `external` or `internal`.
    pub error_class: Option<String>,
    /// What a waiting stage waits for.
    pub note: Option<String>,
}

impl Default for StageState {
    fn default() -> Self {
        Self {
            status: StageStatus::Pending,
            attempt: 0,
            run_id: None,
            started_at: None,
            ended_at: None,
            rows: None,
            error: None,
            error_class: None,
            note: None,
        }
    }
}

/// The state of a pipeline's run for one date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Latest run's id.
    pub run_id: String,
    /// Pipeline name.
    pub pipeline: String,
    /// Date partition.
    pub date: NaiveDate,
    /// Status.
    pub status: RunStatus,
    /// Parameters of the latest run (a change reruns every stage).
    pub params: BTreeMap<String, Param>,
    /// When the latest run started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Versions of the input partitions the stages read (table -> object version);
    /// a changed input (e.g. re-ingested sessions) reruns every stage.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// Stages by name.
    pub stages: BTreeMap<String, StageState>,
}

fn state_path(pipeline: &str, date: NaiveDate) -> String {
    format!("_runs/{pipeline}/date={date}.json")
}

impl RunState {
    /// The state of `pipeline` for `date`, if it ever ran.
    pub async fn load(lake: &Lake, pipeline: &str, date: NaiveDate) -> Result<Option<RunState>> {
        Ok(lake.read_json(&state_path(pipeline, date)).await?)
    }

    /// Write it to `lake` (one atomic PUT).
    pub async fn save_to(&self, lake: &Lake) -> Result<()> {
        Ok(lake
            .write_json(&state_path(&self.pipeline, self.date), self)
            .await?)
    }

    /// Every run state in the lake, optionally of one pipeline and/or date, by date.
    pub async fn list(
        lake: &Lake,
        pipeline: Option<&str>,
        date: Option<NaiveDate>,
    ) -> Result<Vec<RunState>> {
        let prefix = match pipeline {
            Some(p) => format!("_runs/{p}"),
            None => "_runs".to_string(),
        };
        let mut out = Vec::new();
        for (_, bytes) in lake.json_documents(&prefix).await? {
            let s: RunState = serde_json::from_slice(&bytes)?;
            if date.is_none_or(|d| d == s.date) {
                out.push(s);
            }
        }
        out.sort_by(|a, b| (a.date, &a.pipeline).cmp(&(b.date, &b.pipeline)));
        Ok(out)
    }
}
