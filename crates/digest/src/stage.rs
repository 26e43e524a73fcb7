//! The `alerts` and `digest` stage kinds.

use std::sync::Arc;

use serde::Deserialize;
use signals_stage::{Context, Fields, Outcome, Params, ParamsExt, SqlFiles, Stage, StageError};

use crate::{NotifyConfig, post_alerts, post_digest};

impl NotifyConfig {
    /// The settings of a run: its parameters, and the webhook URL from the environment.
    pub fn from_run(params: &Params) -> crate::Result<Self> {
        NotifyConfig::from_params(|k| params.get_text(k), |k| std::env::var(k).ok())
    }
}

impl From<crate::Error> for StageError {
    fn from(e: crate::Error) -> Self {
        StageError::new(e.class(), e)
    }
}

/// An `alerts` stage: the day's crossing patterns at or above `alert_rate`,
/// posted at once, once per ticket per `alert_cooldown_days`; writes `alerts`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsStage {}

/// Build an `alerts` stage from its fields.
pub fn alerts(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(signals_stage::fields::<AlertsStage>("alerts", f)?))
}

#[async_trait::async_trait]
impl Stage for AlertsStage {
    fn kind(&self) -> &'static str {
        "alerts"
    }

    fn describe(&self) -> String {
        "alerts: tickets at or above $alert_rate -> $notify (cooldown), alerts".into()
    }

    fn outputs(&self) -> Vec<String> {
        vec!["alerts".into()]
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        vec!["tickets".into()]
    }

    // The cooldown looks at earlier dates' alerts.
    fn stateful(&self) -> bool {
        true
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        NotifyConfig::from_run(params)?;
        Ok(())
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let r = post_alerts(cx.lake, cx.date, &NotifyConfig::from_run(cx.params)?).await?;
        Ok(Outcome::Noted {
            rows: r.rows.len() as u64,
            note: r.note(),
        })
    }
}

/// A `digest` stage: the day's digest (`sql/digest/`) as Markdown in the lake
/// and, with `notify = "slack"`, one Slack message per date; writes `digests`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestStage {}

/// Build a `digest` stage from its fields.
pub fn digest(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(signals_stage::fields::<DigestStage>("digest", f)?))
}

#[async_trait::async_trait]
impl Stage for DigestStage {
    fn kind(&self) -> &'static str {
        "digest"
    }

    fn describe(&self) -> String {
        "digest: sql/digest/ -> $notify (once per date), digests".into()
    }

    fn outputs(&self) -> Vec<String> {
        vec!["digests".into()]
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        // What sql/digest/ reads that stages write (the live hook's
        // `interventions` are not an input: they arrive all day).
        [
            "tickets",
            "friction_patterns",
            "friction_before_after",
            "session_frictions",
            "session_facets",
            "delights",
            "facet_proposals",
        ]
        .map(String::from)
        .to_vec()
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        NotifyConfig::from_run(params)?;
        Ok(())
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let r = post_digest(cx.lake, cx.date, &NotifyConfig::from_run(cx.params)?).await?;
        Ok(Outcome::Noted {
            rows: r.rows.len() as u64,
            note: r.note(),
        })
    }
}
