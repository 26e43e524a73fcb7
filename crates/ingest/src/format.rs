//! Input formats: the interchange format and the logs real agents write.

use std::io::BufRead;

use crate::Result;
use crate::model::Event;

/// Receives what a format reader finds in one input file.
pub trait EventSink {
    /// An event found at `line` (1-based line or record number).
    fn event(&mut self, event: Event, line: i64);
    /// A line that could not be read, with a reason a user can act on.
    fn quarantine(&mut self, line: i64, reason: String, raw: &str);
    /// A record of a type the format reader does not map (counted, never fatal).
    fn skipped(&mut self, record_type: &str);
    /// Name of the input being read (formats without session ids derive one from it).
    fn source(&self) -> &str {
        ""
    }
}

/// A session log format.
pub trait Format: Send + Sync {
    /// Name used by `--format` and in `events.source_format`.
    fn name(&self) -> &'static str;
    /// Whether a file with this name and first bytes (decompressed) is in this format.
    fn detect(&self, file_name: &str, head: &[u8]) -> bool;
    /// Read a whole file, reporting events, bad lines and skipped records to `sink`.
    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()>;
}

/// Every format, in detection order (most specific first).
pub fn formats() -> Vec<Box<dyn Format>> {
    use crate::adapters::*;
    vec![
        Box::new(claude_code::ClaudeCode),
        Box::new(codex::Codex),
        Box::new(gemini::Gemini),
        Box::new(openhands::OpenHands),
        Box::new(swe_agent::SweAgent),
        Box::new(aider::Aider),
        Box::new(crate::interchange::Interchange),
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

/// Drive a line-oriented reader: calls `f` with each non-blank line (1-based number),
/// quarantining lines that are not UTF-8.
pub fn read_lines(
    input: &mut dyn BufRead,
    sink: &mut dyn EventSink,
    mut f: impl FnMut(i64, &str, &mut dyn EventSink),
) -> Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0i64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| crate::Error::Read {
                line: line_no + 1,
                source: e,
            })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(&buf) {
            Ok(line) => f(line_no, line, sink),
            Err(e) => sink.quarantine(
                line_no,
                format!(
                    "not valid UTF-8 (byte {}); re-encode the file as UTF-8",
                    e.valid_up_to()
                ),
                &String::from_utf8_lossy(&buf),
            ),
        }
    }
}
