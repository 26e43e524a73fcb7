//! The agent-signals lake: Hive-partitioned Parquet tables in an object store
//! (local disk, memory, S3, GCS, Azure), with one documented Arrow schema per table,
//! atomic partition replacement, leases, and a DataFusion session over all of it.

mod error;
mod lake;
mod lease;
mod rows;
pub mod schema;
mod sqltext;
mod stats;

pub use error::{Error, ErrorClass, Result, datafusion_class};
pub use lake::{DEFAULT_LAKE, LAKE_ENV, Lake, PART_FILE, conform, parse_date, string_column};
pub use lease::{Lease, LeaseRecord, holder_id};
pub use rows::{batch_from_rows, query_rows, rows_of};
pub use sqltext::{placeholders, sql_literal, strip_comments, tables_read};

pub use datafusion;

/// A stable 64-bit hash of `text` (FNV-1a): the same on every run and machine,
/// for deterministic samples and hashed features (never for security).
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
