//! The formats `signals ingest` reads, in detection order, and how one is
//! picked for a file. Kept apart from [`crate::format`] (the trait every format
//! implements) so that the adapters depend on the trait and this registry on
//! them, never the other way round.

use crate::adapters::*;
use crate::format::Format;
use crate::interchange::Interchange;

/// Every format, in detection order (most specific first).
pub fn formats() -> Vec<Box<dyn Format>> {
    vec![
        Box::new(claude_code::ClaudeCode),
        Box::new(codex::Codex),
        Box::new(gemini::Gemini),
        Box::new(openhands_v1::OpenHandsV1),
        Box::new(mini_swe_agent::MiniSweAgent),
        Box::new(openhands_resolver::OpenHandsResolver),
        Box::new(openhands::OpenHands),
        Box::new(swe_agent::SweAgent),
        Box::new(aider::Aider),
        Box::new(otel::Otel),
        Box::new(Interchange),
    ]
}

/// Names accepted by `--format`.
pub fn format_names() -> Vec<&'static str> {
    formats().iter().map(|f| f.name()).collect()
}

/// The format named `name`.
pub fn format_by_name(name: &str) -> Option<Box<dyn Format>> {
    formats().into_iter().find(|f| f.name() == name)
}

/// Detect the format of a file from its name and first bytes.
pub fn detect(file_name: &str, head: &[u8]) -> Option<Box<dyn Format>> {
    formats().into_iter().find(|f| f.detect(file_name, head))
}
