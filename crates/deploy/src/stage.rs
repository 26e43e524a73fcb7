//! The `remeasure` stage kind.

use std::sync::Arc;

use serde::Deserialize;
use signals_stage::{
    Check, Context, Fields, Outcome, Params, ParamsExt, SqlFiles, Stage, StageError,
};

use crate::RemeasureParams;

impl RemeasureParams {
    /// The settings from a pipeline's parameters (`remeasure_*`), defaults where absent.
    pub fn from_params(params: &Params) -> Self {
        let d = RemeasureParams::default();
        RemeasureParams {
            days: params.int("remeasure_days", d.days).max(1),
            min_sessions: params.int("remeasure_min_sessions", d.min_sessions),
            max_q: params.float("remeasure_max_q", d.max_q),
            target_change: params.float("remeasure_target_change", d.target_change),
            horizon_days: params.int("remeasure_horizon_days", d.horizon_days).max(1),
        }
    }
}

impl From<crate::Error> for StageError {
    fn from(e: crate::Error) -> Self {
        StageError::new(e.class(), e)
    }
}

/// A `remeasure` stage: runs its `sql/` file like a `sql` stage into `output`,
/// then posts complete windows' verdicts on the deployments' linked tickets
/// (sink: the `ticket_sink` parameter).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemeasureStage {
    /// Path under `sql/`.
    #[serde(default = "remeasure_sql")]
    pub sql: String,
    /// Lake table written.
    #[serde(default = "friction_before_after")]
    pub output: String,
}

fn remeasure_sql() -> String {
    "stages/remeasure.sql".into()
}

fn friction_before_after() -> String {
    "friction_before_after".into()
}

/// Build a `remeasure` stage from its fields.
pub fn parse(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(signals_stage::fields::<RemeasureStage>(
        "remeasure",
        f,
    )?))
}

#[async_trait::async_trait]
impl Stage for RemeasureStage {
    fn kind(&self) -> &'static str {
        "remeasure"
    }

    fn describe(&self) -> String {
        format!("remeasure sql/{} -> {}", self.sql, self.output)
    }

    fn outputs(&self) -> Vec<String> {
        vec![self.output.clone()]
    }

    fn reads(&self, sql: &dyn SqlFiles) -> Vec<String> {
        // Through the view all_deployments: a deployment recorded for a date
        // reruns it.
        let mut t = vec!["deployments".to_string(), "sessions".to_string()];
        if let Ok(text) = sql.read(&self.sql) {
            t.extend(signals_lake::tables_read(&text));
        }
        t
    }

    fn sql_file(&self) -> Option<&str> {
        Some(&self.sql)
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        signals_tickets::stage::sink(params)?;
        Ok(())
    }

    async fn validate(&self, check: &Check<'_>) -> Vec<String> {
        signals_stage::sql::check_query(check, &self.sql, &self.output).await
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let text = cx.sql.read(&self.sql).map_err(StageError::user)?;
        let sink = signals_tickets::stage::sink(cx.params)?;
        let r = crate::remeasure(
            cx.lake,
            &text,
            cx.date,
            &RemeasureParams::from_params(cx.params),
            &sink,
        )
        .await?;
        Ok(Outcome::Done { rows: r.rows })
    }
}
