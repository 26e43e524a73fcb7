//! The DAG runner: pipeline files (`pipelines/*.toml`), their validation, runs per
//! date partition with state kept in the lake, resumption, leases, retries,
//! backfills and schedules.
//!
//! Stages talk only through lake tables: a `sql` stage writes the result of a
//! `sql/` file as a partition of a documented table, a `judge` stage writes
//! `frictions` or `session_facets`, a `command` stage runs an external process
//! with the run's context in its environment.

pub mod exec;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod schedule;
pub mod state;

pub use exec::{RunOptions, backfill, friction_params, notify_config, run};
pub use pipeline::{Param, Pipeline, Stage, StageKind};
pub use report::{LogFormat, Reporter};
pub use signals_lake::ErrorClass;
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
    /// A command stage failed.
    #[error("stage {stage}: command {command:?} {reason}")]
    Command {
        /// Stage name.
        stage: String,
        /// The command line.
        command: String,
        /// Exit status and the end of its stderr.
        reason: String,
        /// Whether a retry may help (exit codes 69 and 74: unavailable, I/O error).
        retryable: bool,
    },
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
    /// Judge failure.
    #[error(transparent)]
    Judge(#[from] signals_judge::Error),
    /// Filing tickets failed.
    #[error(transparent)]
    Tickets(#[from] signals_tickets::Error),
    /// The LLM judge failed.
    #[error(transparent)]
    Llm(#[from] signals_llm::Error),
    /// Re-measurement failed.
    #[error(transparent)]
    Deploy(#[from] signals_deploy::Error),
    /// The ingest stage's failure.
    #[error(transparent)]
    Ingest(#[from] signals_ingest::Error),
    /// Facet discovery failed.
    #[error(transparent)]
    Discover(#[from] signals_discover::Error),
    /// The digest or an alert failed.
    #[error(transparent)]
    Digest(#[from] signals_digest::Error),
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
            Error::Command { retryable, .. } => {
                if *retryable {
                    ErrorClass::External
                } else {
                    ErrorClass::User
                }
            }
            Error::Timeout { .. } | Error::LeaseLost(_) => ErrorClass::External,
            Error::Lake(e) => e.class(),
            Error::Judge(signals_judge::Error::Lake(e)) => e.class(),
            Error::Judge(signals_judge::Error::DataFusion(e)) | Error::DataFusion(e) => {
                signals_lake::datafusion_class(e)
            }
            Error::Judge(signals_judge::Error::UnknownJudge(_)) => ErrorClass::User,
            Error::Tickets(e) => e.class(),
            Error::Deploy(e) => e.class(),
            Error::Ingest(signals_ingest::Error::Lake(e)) => e.class(),
            Error::Ingest(signals_ingest::Error::Input { .. })
            | Error::Ingest(signals_ingest::Error::UnknownFormat { .. }) => ErrorClass::User,
            Error::Ingest(_) => ErrorClass::Internal,
            Error::Discover(e) => e.class(),
            Error::Digest(e) => e.class(),
            Error::Llm(e) => e.class(),
            Error::ObjectStore(_) => ErrorClass::External,
            Error::Judge(_) | Error::Json(_) | Error::Internal(_) => ErrorClass::Internal,
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
