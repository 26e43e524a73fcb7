//! The `judge` stage kind's judges: which one a run's `judge` parameter names
//! (`builtin`, `openai`, `cascade`), and the LLM judge as a [`PassJudge`].

use std::sync::Arc;

use chrono::NaiveDate;
use signals_judge::run::{Pass, Selection};
use signals_judge::{FacetDef, FrictionParams, JudgeSource, PassJudge, Progress, judge_by_name};
use signals_lake::Lake;
use signals_stage::{Fields, Params, ParamsExt, Stage, StageError};

use crate::{LlmConfig, LlmPass};

/// Whether a judge name runs the LLM judge (alone, or as a cascade's second step).
pub fn uses_llm(judge: &str) -> bool {
    judge == "openai" || judge == "cascade"
}

/// The LLM judge's configuration from a run's parameters: `OPENAI_API_KEY`,
/// `OPENAI_BASE_URL` and the `llm_*` parameters (with their defaults).
pub fn llm_config(params: &Params) -> Result<LlmConfig, crate::Error> {
    LlmConfig::from_params(|k| params.get_text(k))
}

/// The LLM judge running a pass (Batch API or sync, per its configuration).
pub struct LlmJudge(pub LlmConfig);

#[async_trait::async_trait]
impl PassJudge for LlmJudge {
    async fn run_pass(
        &self,
        lake: &Lake,
        date: NaiveDate,
        pass: Pass,
        sessions: &Selection,
    ) -> Result<Progress, StageError> {
        let pass = match pass {
            Pass::Friction => LlmPass::Friction,
            Pass::Facets => LlmPass::Facets,
            Pass::Delight => LlmPass::Delight,
        };
        Ok(crate::run_pass(lake, date, pass, sessions, &self.0).await?)
    }
}

/// The judges a `judge` parameter names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judges;

impl Judges {
    fn config(
        name: &str,
        params: &Params,
        screen: Box<dyn signals_judge::Judge>,
    ) -> Result<LlmConfig, StageError> {
        Ok(LlmConfig::for_judge(
            name,
            |k| params.get_text(k),
            Arc::from(screen),
        )?)
    }
}

impl JudgeSource for Judges {
    fn check(&self, params: &Params) -> Result<(), StageError> {
        let name = params.text("judge", "builtin");
        if uses_llm(&name) {
            let screen = judge_by_name("builtin", FrictionParams::default(), Vec::new())?;
            Self::config(&name, params, screen)?;
        } else {
            judge_by_name(&name, FrictionParams::default(), Vec::new())?;
        }
        Ok(())
    }

    fn judge(
        &self,
        params: &Params,
        discovered: Vec<FacetDef>,
        wait: bool,
    ) -> Result<Arc<dyn PassJudge>, StageError> {
        let name = params.text("judge", "builtin");
        let fp = FrictionParams::from_params(params);
        if uses_llm(&name) {
            let screen = judge_by_name("builtin", fp, discovered.clone())?;
            let mut cfg = Self::config(&name, params, screen)?;
            cfg.wait |= wait;
            cfg.discovered = discovered;
            return Ok(Arc::new(LlmJudge(cfg)));
        }
        Ok(Arc::new(signals_judge::stage::InProcess(judge_by_name(
            &name, fp, discovered,
        )?)))
    }
}

/// Build a `judge` stage (the kind's registration).
pub fn judge_stage(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    signals_judge::stage::parse(f, Arc::new(Judges))
}

impl From<crate::Error> for StageError {
    fn from(e: crate::Error) -> Self {
        StageError::new(e.class(), e)
    }
}
