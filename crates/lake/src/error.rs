//! The lake's error type.

use std::fmt;

/// Who has to act for an error to go away; the runner turns this into a retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad input or configuration: fail fast, tell the user what to change.
    User,
    /// A remote system failed (object store, HTTP API): retry with backoff.
    External,
    /// A bug or broken invariant in agent-signals itself.
    Internal,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::User => "user",
            ErrorClass::External => "external",
            ErrorClass::Internal => "internal",
        })
    }
}

/// Errors of the lake crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URL could not be understood.
    #[error("invalid lake URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A table name that the lake does not define.
    #[error("unknown table {0:?} (see sql/README.md for the tables of the lake)")]
    UnknownTable(String),
    /// A date that is not `YYYY-MM-DD`.
    #[error("invalid date {0:?}: expected YYYY-MM-DD")]
    InvalidDate(String),
    /// A lease is held by someone else.
    #[error(
        "lease {name:?} is held by {holder} until {expires_at}; wait for it or remove {path} if that process is gone"
    )]
    LeaseHeld {
        /// Lease name.
        name: String,
        /// Who holds it.
        holder: String,
        /// When it expires (RFC 3339).
        expires_at: String,
        /// The object holding the lease.
        path: String,
    },
    /// A batch whose schema does not match the table's.
    #[error("schema mismatch writing table {table}: {reason}")]
    SchemaMismatch {
        /// Table being written.
        table: String,
        /// What differs.
        reason: String,
    },
    /// A view of `sql/views/` failed to plan (a bug: views ship with the binary).
    #[error("view {name} (sql/views/{name}.sql): {source}")]
    View {
        /// View name.
        name: String,
        /// DataFusion's error.
        source: Box<datafusion::error::DataFusionError>,
    },
    /// A derived table (see [`crate::schema::DERIVED`]) has no partition for dates
    /// its source table has: they were written before it existed, or the stage that
    /// derives it has not run for them.
    #[error(
        "{table} has no partition for {} date(s) that {from_table} has ({}), so a query over {table} would miss them; run the stage that writes {table} for those dates: for the daily pipeline, `signals backfill daily --all` (on dates already done it runs only what is missing)",
        dates.len(),
        span(dates)
    )]
    MissingDerived {
        /// The derived table.
        table: String,
        /// The table it is derived from.
        from_table: String,
        /// The dates it lacks, sorted.
        dates: Vec<chrono::NaiveDate>,
    },
    /// Object store failure.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// DataFusion failure (planning or execution).
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failure.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet failure.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// JSON (de)serialisation failure.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Local I/O failure.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The class of this error, for retry decisions.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::InvalidUrl { .. }
            | Error::UnknownTable(_)
            | Error::InvalidDate(_)
            | Error::LeaseHeld { .. }
            | Error::MissingDerived { .. } => ErrorClass::User,
            Error::ObjectStore(e) => match e {
                object_store::Error::NotFound { .. }
                | object_store::Error::InvalidPath { .. }
                | object_store::Error::UnknownConfigurationKey { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. } => ErrorClass::User,
                _ => ErrorClass::External,
            },
            Error::Io(_) => ErrorClass::External,
            Error::DataFusion(e) => datafusion_class(e),
            Error::SchemaMismatch { .. }
            | Error::View { .. }
            | Error::Arrow(_)
            | Error::Parquet(_)
            | Error::Json(_) => ErrorClass::Internal,
        }
    }
}

/// `first .. last` of sorted dates (one date alone as itself).
fn span(dates: &[chrono::NaiveDate]) -> String {
    match (dates.first(), dates.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} .. {b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// Result alias of the lake crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The class of a DataFusion error: storage failures are external, SQL and plan
/// errors are the user's, the rest internal.
pub fn datafusion_class(e: &datafusion::error::DataFusionError) -> ErrorClass {
    use datafusion::error::DataFusionError as E;
    match e.find_root() {
        E::ObjectStore(_) | E::IoError(_) => ErrorClass::External,
        E::SQL(..) | E::Plan(_) | E::SchemaError(..) => ErrorClass::User,
        _ => ErrorClass::Internal,
    }
}
