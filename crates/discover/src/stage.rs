//! The `discover` stage kind: facet discovery over the window ending on the date.

use std::sync::Arc;

use serde::Deserialize;
use signals_llm::{llm_config, uses_llm};
use signals_stage::{
    Check, Context, Fields, Outcome, Params, ParamsExt, SqlFiles, Stage, StageError,
};

use crate::{DiscoveryParams, Embedder, Error};

impl DiscoveryParams {
    /// Facet discovery's settings from a pipeline's parameters (`discovery_*`).
    /// The namer `auto` names themes with the LLM when the run's judge is the LLM judge.
    pub fn from_params(params: &Params) -> crate::Result<Self> {
        let d = DiscoveryParams::default();
        let embedder = match params.text("discovery_embedder", "hashed").as_str() {
            "hashed" => Embedder::Hashed { dims: 512 },
            "openai" => Embedder::OpenAi {
                model: params.text("discovery_embedding_model", "text-embedding-3-small"),
                batch: params.int("discovery_embedding_batch", 256).clamp(1, 2048) as usize,
            },
            other => {
                return Err(Error::Usage(format!(
                    "discovery_embedder = {other:?}: use \"hashed\" (offline) or \"openai\" (the embeddings endpoint)"
                )));
            }
        };
        let llm_namer = match params.text("discovery_namer", "auto").as_str() {
            "auto" => uses_llm(&params.text("judge", "builtin")),
            "openai" => true,
            "terms" => false,
            other => {
                return Err(Error::Usage(format!(
                    "discovery_namer = {other:?}: use \"auto\", \"terms\" or \"openai\""
                )));
            }
        };
        Ok(DiscoveryParams {
            days: params.int("discovery_days", d.days).max(1),
            min_sessions: params
                .int("discovery_min_sessions", d.min_sessions as i64)
                .max(2) as usize,
            min_share: params.float("discovery_min_share", d.min_share),
            max_share: params.float("discovery_max_share", d.max_share),
            max_sessions: params
                .int("discovery_max_sessions", d.max_sessions as i64)
                .max(10) as usize,
            max_overlap: params.float("discovery_max_overlap", d.max_overlap),
            embedder,
            llm_namer,
        })
    }

    /// Whether these settings call the LLM (embeddings or names).
    pub fn needs_llm(&self) -> bool {
        matches!(self.embedder, Embedder::OpenAi { .. }) || self.llm_namer
    }
}

impl From<Error> for StageError {
    fn from(e: Error) -> Self {
        StageError::new(e.class(), e)
    }
}

/// A `discover` stage: themes of the window's session summaries that no
/// existing facet picks out, into `facet_proposals` (docs/facets.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverStage {
    /// Path under `sql/` of the window query.
    #[serde(default = "discovery_sql")]
    pub sql: String,
}

fn discovery_sql() -> String {
    "stages/discovery.sql".into()
}

/// Build a `discover` stage from its fields.
pub fn parse(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(signals_stage::fields::<DiscoverStage>(
        "discover", f,
    )?))
}

#[async_trait::async_trait]
impl Stage for DiscoverStage {
    fn kind(&self) -> &'static str {
        "discover"
    }

    fn describe(&self) -> String {
        format!("discover: summaries of sql/{} -> facet_proposals", self.sql)
    }

    fn outputs(&self) -> Vec<String> {
        vec!["facet_proposals".into()]
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        vec!["session_facets".into(), "frictions".into()]
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        if DiscoveryParams::from_params(params)?.needs_llm() {
            llm_config(params)?;
        }
        Ok(())
    }

    async fn validate(&self, check: &Check<'_>) -> Vec<String> {
        check.sql.read(&self.sql).err().into_iter().collect()
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let text = cx.sql.read(&self.sql).map_err(StageError::user)?;
        let dp = DiscoveryParams::from_params(cx.params)?;
        let judge_is_llm = uses_llm(&cx.params.text("judge", "builtin"));
        let cfg = if dp.needs_llm() || judge_is_llm {
            Some(llm_config(cx.params)?)
        } else {
            None
        };
        let r = crate::discover(cx.lake, &text, cx.date, &dp, cfg.as_ref()).await?;
        Ok(Outcome::Noted {
            rows: r.proposals.len() as u64,
            note: r.note(),
        })
    }
}
