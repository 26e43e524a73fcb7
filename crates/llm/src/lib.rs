//! The LLM judge: the friction and facet passes run by a model with structured
//! outputs, through the OpenAI Batch API (24-hour window, half price) or any
//! OpenAI-compatible Chat Completions server (vLLM, llama.cpp, Ollama).
//!
//! Before anything leaves the machine each session is scrubbed ([`scrub`]) and
//! condensed to a token budget ([`condense`]); every reply is validated and its
//! citations are guarded against quotes and identifiers ([`reply`]).

pub mod cascade;
pub mod condense;
mod config;
pub mod discovery;
mod lifecycle;
pub mod model;
mod reply;
pub mod request;
pub mod scrub;
mod stage;

pub use config::{Cascade, LlmConfig, Mode};
pub use lifecycle::{BatchInfo, Progress, batches, cancel, run_pass};
pub use request::{LlmPass, PROMPT_VERSION};
pub use stage::{Judges, LlmJudge, judge_stage, llm_config, uses_llm};

use signals_lake::ErrorClass;

/// Errors of the LLM judge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The judge's own tables could not be built.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// Reading the sessions failed.
    #[error(transparent)]
    Judge(#[from] signals_judge::Error),
    /// The lake's object store failed.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
    /// The judge's state could not be read or written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Missing or wrong configuration (key, model).
    #[error("llm judge: {0}")]
    Config(String),
    /// More than `llm_max_failure_share` of the day's sessions failed: the
    /// message names the top reason and what to change.
    #[error("{0}")]
    MostlyFailed(String),
    /// The API answered with an error or could not be reached (after retries).
    #[error("llm judge: {what} failed: {reason}")]
    Api {
        /// The call.
        what: String,
        /// Status and message (never the key).
        reason: String,
        /// HTTP status, when there was one.
        status: Option<u16>,
    },
}

impl Error {
    pub(crate) fn from_openai(what: &str, e: async_openai::error::OpenAIError) -> Error {
        use async_openai::error::OpenAIError as E;
        let (reason, status) = match &e {
            E::ApiError(r) => (
                format!("HTTP {}: {}", r.status_code, r.api_error.message),
                Some(r.status_code.as_u16()),
            ),
            other => (other.to_string(), None),
        };
        Error::Api {
            what: what.into(),
            reason,
            status,
        }
    }

    /// A rejected key or permission: no point in retrying.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Api {
                status: Some(401 | 403),
                ..
            }
        )
    }

    /// Whose problem it is.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::Config(_) | Error::MostlyFailed(_) => ErrorClass::User,
            Error::Api {
                status: Some(400..=499),
                ..
            } if !matches!(
                self,
                Error::Api {
                    status: Some(408 | 409 | 429),
                    ..
                }
            ) =>
            {
                ErrorClass::User
            }
            Error::Api { .. } | Error::ObjectStore(_) => ErrorClass::External,
            Error::Judge(_) | Error::Arrow(_) | Error::Json(_) => ErrorClass::Internal,
        }
    }
}

/// Result alias of the LLM judge.
pub type Result<T, E = Error> = std::result::Result<T, E>;
