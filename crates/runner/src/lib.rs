//! The DAG runner: pipeline files (`pipelines/*.toml`), their validation, runs per
//! date partition with state kept in the lake, resumption, leases, retries,
//! backfills and schedules.
//!
//! Stages talk only through lake tables. Each kind of stage implements
//! [`signals_stage::Stage`] in the crate that owns it ([`KINDS`] lists them);
//! the runner orders, leases, records and retries.

pub mod exec;
pub mod pipeline;
pub mod render;
mod report;
pub mod schedule;
mod state;

pub use exec::{RunOptions, backfill, run};
pub use pipeline::{KINDS, Param, Pipeline, Stage};
pub use report::{LogFormat, Reporter};
pub use signals_lake::ErrorClass;
pub use signals_stage::command::EXIT_WAITING;
pub use state::{RunState, RunStatus, StageState, StageStatus};

/// Errors of the runner.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pipeline file with problems, each naming file and stage.
    #[error("{} problem(s) in {file}:\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid {
        /// The pipeline file.
        file: String,
        /// What is wrong, one line each.
        problems: Vec<String>,
    },
    /// A pipeline name or path that does not resolve.
    #[error("no pipeline {name:?}: {reason}")]
    UnknownPipeline {
        /// Name or path given.
        name: String,
        /// What was looked for.
        reason: String,
    },
    /// A bad `--param`, `--from` or similar run option.
    #[error("{0}")]
    Usage(String),
    /// The run's lease was taken by another holder while it ran: it stopped.
    #[error(
        "lost the run's lease ({0}); stopped so as not to write beside the run that holds it now"
    )]
    LeaseLost(String),
    /// A stage ran past its timeout.
    #[error("stage {stage} timed out after {seconds}s")]
    Timeout {
        /// Stage name.
        stage: String,
        /// The limit.
        seconds: u64,
    },
    /// Lake failure.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A stage's failure (its class says whether a retry may help).
    #[error(transparent)]
    Stage(#[from] signals_stage::StageError),
    /// DataFusion failure.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Object store failure.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Run state that cannot be read or written.
    #[error("run state: {0}")]
    Json(#[from] serde_json::Error),
    /// A task that panicked or was cancelled.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Who has to act: user errors fail fast, external ones are retried with backoff.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Invalid { .. } | Error::UnknownPipeline { .. } | Error::Usage(_) => {
                ErrorClass::User
            }
            Error::Timeout { .. } | Error::LeaseLost(_) => ErrorClass::External,
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::Stage(e) => e.class(),
            Error::ObjectStore(_) => ErrorClass::External,
            Error::Json(_) | Error::Internal(_) => ErrorClass::Internal,
        }
    }

    /// What to do about it, in a few words.
    pub fn hint(&self) -> &'static str {
        match self.class() {
            ErrorClass::User => "fix the input or the pipeline and run again",
            ErrorClass::External => {
                "a remote system failed; retried with backoff — run again to resume"
            }
            ErrorClass::Internal => "a bug in agent-signals; please report it with this message",
        }
    }
}

/// Result alias of the runner.
pub type Result<T, E = Error> = std::result::Result<T, E>;
