//! Tickets from friction patterns: a pattern that crosses the threshold files a
//! ticket, the same pattern on a later day updates it (fingerprint: friction type
//! and slice), and one that stops crossing fades. The tickets' state is a lake
//! table (`tickets`, one snapshot per date); the tickets themselves go to a sink:
//! Markdown files under the lake's `tickets/` (the default), GitHub issues or
//! Linear issues.

mod file;
pub mod render;
mod resolve;
mod sink;
pub mod stage;
mod ticket;

pub use file::{Action, FileOptions, FileReport, file_tickets, snapshot};
pub use resolve::{ResolveOptions, ResolveReport, resolve_tickets};
pub use sink::{GitHub, Ledger, Linear, Markdown, Note, Opened, Sink, SinkConfig, TicketSink};
pub use ticket::Resolution;
pub use ticket::{Ticket, fingerprint};

use signals_lake::ErrorClass;

/// Errors of the tickets crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The object store failed.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
    /// JSON (ledger, API responses) could not be read or written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The sink is not configured correctly (unknown sink, missing token or repository).
    #[error("ticket sink {sink}: {problem}")]
    Config {
        /// Sink name.
        sink: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The coding agent's checkout cannot be used (not a git work tree, dirty, git failed).
    #[error("resolve: checkout {path}: {problem}")]
    Checkout {
        /// The checkout.
        path: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The sink's service answered with an error or could not be reached.
    #[error("ticket sink {sink}: {what} failed: {reason}")]
    Sink {
        /// Sink name.
        sink: String,
        /// The request (e.g. `create issue`).
        what: String,
        /// Status and message of the service.
        reason: String,
        /// Whether trying again later may work (network, 5xx, rate limits).
        retryable: bool,
    },
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::ObjectStore(_) => ErrorClass::External,
            Error::Json(_) => ErrorClass::Internal,
            Error::Config { .. } | Error::Checkout { .. } => ErrorClass::User,
            Error::Sink { retryable, .. } => {
                if *retryable {
                    ErrorClass::External
                } else {
                    ErrorClass::User
                }
            }
        }
    }
}

/// Result alias of the tickets crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
