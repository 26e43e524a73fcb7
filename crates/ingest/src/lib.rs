//! Ingest: read session logs (the interchange format, and the logs coding agents
//! write) into the lake's `events`, `sessions` and `quarantine` tables.

pub mod adapters;
pub mod format;
mod ingest;
pub mod input;
mod interchange;
pub mod landing;
pub mod landing_stage;
pub mod model;
mod parquet_in;
pub mod registry;
mod sniff;
mod stage;

pub use ingest::{IngestOptions, IngestReport, Replacing, ingest, ingest_replacing};

/// Errors of the ingest crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input that cannot be found or opened.
    #[error("{path}: {reason}")]
    Input {
        /// The path or pattern as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A read failure inside a file (e.g. a corrupt compressed stream).
    #[error("read error at line {line}: {source}")]
    Read {
        /// Line being read.
        line: i64,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `--format` names no known format.
    #[error("unknown format {name:?}; known formats: auto, {known}")]
    UnknownFormat {
        /// Name given.
        name: String,
        /// Known names.
        known: String,
    },
    /// Lake failure.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// DataFusion failure.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failure.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet failure (staging).
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Local I/O failure (staging).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A broken invariant.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> signals_lake::ErrorClass {
        use signals_lake::ErrorClass;
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::Input { .. } | Error::UnknownFormat { .. } => ErrorClass::User,
            _ => ErrorClass::Internal,
        }
    }
}

impl From<Error> for signals_stage::StageError {
    fn from(e: Error) -> Self {
        signals_stage::StageError::new(e.class(), e)
    }
}

/// Result alias of the ingest crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
