//! The `judge` stage kind and the one trait both judges implement to run a pass
//! ([`PassJudge`]): the built-in judge in-process, the LLM judge through its
//! batch lifecycle (`signals-llm`, which also says which judge a run's `judge`
//! parameter names: [`JudgeSource`]).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;
use signals_lake::{Lake, schema};
use signals_stage::{Check, Context, Fields, Outcome, Params, SqlFiles, Stage, StageError};

use crate::run::{Pass, Selection};
use crate::{FacetDef, Judge};

/// How a pass over a date ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The pass's table was written.
    Done {
        /// Rows written.
        rows: u64,
    },
    /// Work is still running elsewhere (the LLM judge's batches).
    Waiting {
        /// What is running.
        note: String,
    },
}

/// A judge that runs a whole pass over a date's sessions and writes its table.
#[async_trait::async_trait]
pub trait PassJudge: Send + Sync {
    /// Run `pass` over the `sessions` of `date`.
    async fn run_pass(
        &self,
        lake: &Lake,
        date: NaiveDate,
        pass: Pass,
        sessions: &Selection,
    ) -> Result<Progress, StageError>;
}

/// A per-session [`Judge`] (the built-in one) as a [`PassJudge`].
pub struct InProcess(pub Box<dyn Judge>);

#[async_trait::async_trait]
impl PassJudge for InProcess {
    async fn run_pass(
        &self,
        lake: &Lake,
        date: NaiveDate,
        pass: Pass,
        sessions: &Selection,
    ) -> Result<Progress, StageError> {
        let ctx = lake.session_context().await?;
        let r = crate::run::run_pass(lake, &ctx, date, self.0.as_ref(), pass, sessions).await?;
        Ok(Progress::Done { rows: r.rows })
    }
}

/// Which judge a run's parameters name (the `judge` parameter).
pub trait JudgeSource: Send + Sync {
    /// Check the judge and its configuration before a run.
    fn check(&self, params: &Params) -> Result<(), StageError>;

    /// The judge of a run, extracting `discovered` facets too; `wait`: wait for
    /// external work within the run.
    fn judge(
        &self,
        params: &Params,
        discovered: Vec<FacetDef>,
        wait: bool,
    ) -> Result<Arc<dyn PassJudge>, StageError>;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JudgeFields {
    pass: String,
    #[serde(default = "analysed_sessions")]
    input: String,
}

fn analysed_sessions() -> String {
    "analysed_sessions".into()
}

/// A `judge` stage: one pass of the run's judge over the sessions listed in the
/// date's partition of `input`.
pub struct JudgeStage {
    /// Which pass.
    pub pass: Pass,
    /// Table listing the sessions to analyse (for the date).
    pub input: String,
    source: Arc<dyn JudgeSource>,
}

impl std::fmt::Debug for JudgeStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JudgeStage")
            .field("pass", &self.pass)
            .field("input", &self.input)
            .finish()
    }
}

/// Build a `judge` stage from its fields, its judges named by `source`.
pub fn parse(f: &Fields, source: Arc<dyn JudgeSource>) -> Result<Arc<dyn Stage>, Vec<String>> {
    let j: JudgeFields = signals_stage::fields("judge", f)?;
    let pass = match j.pass.as_str() {
        "friction" => Pass::Friction,
        "facets" => Pass::Facets,
        "delight" => Pass::Delight,
        other => {
            return Err(vec![format!(
                "`pass` must be \"friction\", \"facets\" or \"delight\", not {other:?}"
            )]);
        }
    };
    Ok(Arc::new(JudgeStage {
        pass,
        input: j.input,
        source,
    }))
}

impl JudgeStage {
    fn output(&self) -> &'static str {
        match self.pass {
            Pass::Friction => "frictions",
            Pass::Facets => "session_facets",
            Pass::Delight => "delights",
        }
    }
}

#[async_trait::async_trait]
impl Stage for JudgeStage {
    fn kind(&self) -> &'static str {
        "judge"
    }

    fn describe(&self) -> String {
        format!(
            "judge {:?} pass over {} -> {}",
            self.pass,
            self.input,
            self.output()
        )
        .to_lowercase()
    }

    fn outputs(&self) -> Vec<String> {
        vec![self.output().to_string()]
    }

    // The LLM judge's accounts, written by each pass from the date's one batch state.
    fn shared_outputs(&self) -> Vec<String> {
        ["judge_usage", "judge_failures", "judge_agreement"]
            .map(String::from)
            .to_vec()
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        vec![self.input.clone(), "events".into()]
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        self.source.check(params)
    }

    async fn validate(&self, _check: &Check<'_>) -> Vec<String> {
        if schema::table(&self.input).is_none() {
            vec![format!("input {:?} is not a lake table", self.input)]
        } else {
            Vec::new()
        }
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        // Accepted discovered facets are extracted from then on.
        let discovered = match self.pass {
            Pass::Facets => crate::accepted(cx.lake).await?,
            Pass::Friction | Pass::Delight => Vec::new(),
        };
        let judge = self.source.judge(cx.params, discovered, cx.wait)?;
        match judge
            .run_pass(
                cx.lake,
                cx.date,
                self.pass,
                &Selection::Table(self.input.clone()),
            )
            .await?
        {
            Progress::Done { rows } => Ok(Outcome::Done { rows }),
            Progress::Waiting { note } => Ok(Outcome::Waiting { note }),
        }
    }
}
