//! One module per subcommand.

pub mod batches;
pub mod bench;
pub mod deploy;
pub mod digest;
pub mod eval;
pub mod facets;
pub mod generate;
pub mod hook;
pub mod ingest;
pub mod judge;
pub mod lease;
pub mod pipeline;
pub mod report;
pub mod sessions;
pub mod sql;
pub mod tables;
pub mod tickets;

use anyhow::Context;
use signals_lake::Lake;

/// Open the lake named on the command line.
pub fn open_lake(url: &str) -> anyhow::Result<Lake> {
    Lake::open(url).with_context(|| format!("opening lake {url}"))
}

/// Print rows as left-aligned columns under a header.
pub fn print_table<const N: usize>(head: [&str; N], rows: &[[String; N]]) {
    let mut width = head.map(str::len);
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(head.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Whether an error is a write to a stdout whose reader went away. Arrow's CSV
/// and JSON writers keep only the I/O error's text, hence the second test.
pub fn closed_stdout(e: &anyhow::Error) -> bool {
    let epipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe).to_string();
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe (os error 32)")
            || c.to_string().ends_with(&epipe)
    })
}
