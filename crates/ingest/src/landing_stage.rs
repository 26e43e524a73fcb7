//! The `ingest` stage kind: the landing zone (the `landing` parameter: a URL
//! with an optional glob), the objects that arrived or changed since the last
//! run. Off while `landing` is empty.

use std::sync::Arc;

use serde::Deserialize;
use signals_stage::{Context, Fields, Outcome, ParamsExt, Stage, StageError};

/// An `ingest` stage (no fields of its own).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestStage {}

/// Build an `ingest` stage from its fields.
pub fn parse(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(signals_stage::fields::<IngestStage>("ingest", f)?))
}

#[async_trait::async_trait]
impl Stage for IngestStage {
    fn kind(&self) -> &'static str {
        "ingest"
    }

    fn describe(&self) -> String {
        "ingest: new objects of $landing -> events, sessions".into()
    }

    // It writes `events` and `sessions` of any date: they stay the dates'
    // inputs, so a date whose sessions it changed is run again.
    fn writes_inputs(&self) -> bool {
        true
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let source = cx.params.text("landing", "");
        if source.trim().is_empty() {
            return Ok(Outcome::Off {
                note: "off: no landing zone (landing = \"\")".into(),
            });
        }
        // The ingest's future is not Send (it holds borrowed iterators across
        // awaits), and stages run as spawned tasks: it runs on a blocking thread
        // of its own, driven by this runtime.
        let (lake, source) = (cx.lake.clone(), source.trim().to_string());
        let handle = tokio::runtime::Handle::current();
        let r = tokio::task::spawn_blocking(move || {
            handle.block_on(crate::landing::land(
                &lake,
                &source,
                &crate::IngestOptions::default(),
            ))
        })
        .await
        .map_err(|e| StageError::internal(format!("ingest task: {e}")))??;
        Ok(Outcome::Noted {
            rows: r.ingest.as_ref().map_or(0, |i| i.counts.events),
            note: format!(
                "{} objects, {} new, {} changed, {} already ingested",
                r.listed, r.new, r.changed, r.unchanged
            ),
        })
    }
}
