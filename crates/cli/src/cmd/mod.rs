//! One module per subcommand.

pub mod eval;
pub mod generate;
pub mod ingest;
pub mod judge;
pub mod pipeline;
pub mod sessions;
pub mod sql;
pub mod tables;

use anyhow::Context;
use signals_lake::Lake;

/// Open the lake named on the command line.
pub fn open_lake(url: &str) -> anyhow::Result<Lake> {
    Lake::open(url).with_context(|| format!("opening lake {url}"))
}
