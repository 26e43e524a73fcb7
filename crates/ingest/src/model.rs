//! The normalised event every input format is mapped to (one row of `events`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use chrono::{DateTime, Utc};
use signals_lake::schema;

/// Event kinds of the interchange format (plus `slash_command`, our compatible
/// extension for agent commands such as `/clear`, and `other`).
pub const KINDS: &[&str] = &[
    "session_start",
    "user_message",
    "message_edit",
    "assistant_message",
    "tool_call",
    "tool_result",
    "context_add",
    "context_remove",
    "interrupt",
    "error",
    "session_end",
    "slash_command",
];

/// `tool_result.status` values.
pub const TOOL_STATUSES: &[&str] = &["ok", "error", "rejected", "cancelled"];
/// `session_end.status` values.
pub const END_STATUSES: &[&str] = &["completed", "abandoned", "unknown"];

/// One event, in the interchange format's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// Session id.
    pub session_id: String,
    /// Position in the session; `None` lets the ingest assign line order.
    pub seq: Option<i64>,
    /// Timestamp; `None` means "the previous event's".
    pub ts: Option<DateTime<Utc>>,
    /// Event kind (one of [`KINDS`] or `other`).
    pub kind: String,
    /// session_start: agent product.
    pub agent: Option<String>,
    /// session_start: agent version.
    pub agent_version: Option<String>,
    /// session_start: model.
    pub model: Option<String>,
    /// session_start: pseudonymous user.
    pub user: Option<String>,
    /// session_start: pseudonymous repo.
    pub repo: Option<String>,
    /// Message text.
    pub text: Option<String>,
    /// message_edit: seq of the edited message.
    pub edits_seq: Option<i64>,
    /// Tool call id.
    pub call_id: Option<String>,
    /// Tool name.
    pub tool: Option<String>,
    /// Tool args, JSON object text.
    pub args: Option<String>,
    /// tool_result / session_end status.
    pub status: Option<String>,
    /// Tool output.
    pub output: Option<String>,
    /// Context path.
    pub path: Option<String>,
    /// Error class.
    pub error_type: Option<String>,
    /// Error message.
    pub message: Option<String>,
    /// Fields without a column, as a JSON object text.
    pub attrs: Option<String>,
}

impl Event {
    /// A new event of `kind` in `session_id`.
    pub fn new(session_id: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            session_id: session_id.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone)]
pub struct Provenance<'a> {
    /// Format name.
    pub format: &'a str,
    /// File name (`-` for stdin).
    pub file: &'a str,
    /// 1-based line or record number.
    pub line: i64,
}

/// Builds `events` record batches (file schema) row by row.
pub struct EventBatchBuilder {
    session_id: StringBuilder,
    seq: Int64Builder,
    ts: TimestampMicrosecondBuilder,
    kind: StringBuilder,
    agent: StringBuilder,
    agent_version: StringBuilder,
    model: StringBuilder,
    user: StringBuilder,
    repo: StringBuilder,
    text: StringBuilder,
    edits_seq: Int64Builder,
    call_id: StringBuilder,
    tool: StringBuilder,
    args: StringBuilder,
    status: StringBuilder,
    output: StringBuilder,
    path: StringBuilder,
    error_type: StringBuilder,
    message: StringBuilder,
    attrs: StringBuilder,
    source_format: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    ingested_at: TimestampMicrosecondBuilder,
    rows: usize,
    bytes: usize,
}

impl Default for EventBatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        let ts = || TimestampMicrosecondBuilder::new().with_timezone("UTC");
        Self {
            session_id: StringBuilder::new(),
            seq: Int64Builder::new(),
            ts: ts(),
            kind: StringBuilder::new(),
            agent: StringBuilder::new(),
            agent_version: StringBuilder::new(),
            model: StringBuilder::new(),
            user: StringBuilder::new(),
            repo: StringBuilder::new(),
            text: StringBuilder::new(),
            edits_seq: Int64Builder::new(),
            call_id: StringBuilder::new(),
            tool: StringBuilder::new(),
            args: StringBuilder::new(),
            status: StringBuilder::new(),
            output: StringBuilder::new(),
            path: StringBuilder::new(),
            error_type: StringBuilder::new(),
            message: StringBuilder::new(),
            attrs: StringBuilder::new(),
            source_format: StringBuilder::new(),
            source_file: StringBuilder::new(),
            source_line: Int64Builder::new(),
            ingested_at: ts(),
            rows: 0,
            bytes: 0,
        }
    }

    /// Rows buffered.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Approximate bytes of text buffered (to bound memory).
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// Append one event with its resolved seq and timestamp.
    pub fn append(
        &mut self,
        e: &Event,
        seq: i64,
        ts_micros: Option<i64>,
        from: &Provenance<'_>,
        ingested_at_micros: i64,
    ) {
        let mut opt = |b: &mut StringBuilder, v: &Option<String>| {
            if let Some(v) = v {
                self.bytes += v.len();
            }
            b.append_option(v.as_deref());
        };
        opt(&mut self.agent, &e.agent);
        opt(&mut self.agent_version, &e.agent_version);
        opt(&mut self.model, &e.model);
        opt(&mut self.user, &e.user);
        opt(&mut self.repo, &e.repo);
        opt(&mut self.text, &e.text);
        opt(&mut self.call_id, &e.call_id);
        opt(&mut self.tool, &e.tool);
        opt(&mut self.args, &e.args);
        opt(&mut self.status, &e.status);
        opt(&mut self.output, &e.output);
        opt(&mut self.path, &e.path);
        opt(&mut self.error_type, &e.error_type);
        opt(&mut self.message, &e.message);
        opt(&mut self.attrs, &e.attrs);
        self.session_id.append_value(&e.session_id);
        self.seq.append_value(seq);
        self.ts.append_option(ts_micros);
        self.kind.append_value(&e.kind);
        self.edits_seq.append_option(e.edits_seq);
        self.source_format.append_value(from.format);
        self.source_file.append_value(from.file);
        self.source_line.append_value(from.line);
        self.ingested_at.append_value(ingested_at_micros);
        self.bytes += e.session_id.len() + e.kind.len() + 64;
        self.rows += 1;
    }

    /// Take the buffered rows as a batch with the `events` file schema.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.session_id.finish()),
            Arc::new(self.seq.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.agent.finish()),
            Arc::new(self.agent_version.finish()),
            Arc::new(self.model.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.repo.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.edits_seq.finish()),
            Arc::new(self.call_id.finish()),
            Arc::new(self.tool.finish()),
            Arc::new(self.args.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.output.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.error_type.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.attrs.finish()),
            Arc::new(self.source_format.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.source_line.finish()),
            Arc::new(self.ingested_at.finish()),
        ];
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(schema::events().file_schema(), columns)
            .expect("builder columns follow the events schema")
    }
}

/// One quarantined input line.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRow {
    /// Input file.
    pub file: String,
    /// 1-based line.
    pub line: i64,
    /// Format it was read as.
    pub format: String,
    /// Why.
    pub reason: String,
    /// The raw line (cut).
    pub raw: String,
}

/// Longest raw line kept in `quarantine.raw`.
pub const MAX_RAW: usize = 16 * 1024;

/// Cut `raw` to [`MAX_RAW`] bytes at a char boundary.
pub fn cut_raw(raw: &str) -> String {
    if raw.len() <= MAX_RAW {
        return raw.to_string();
    }
    let mut end = MAX_RAW;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &raw[..end])
}

/// Build a `quarantine` batch.
pub fn quarantine_batch(rows: &[QuarantineRow], ingested_at_micros: i64) -> RecordBatch {
    let mut file = StringBuilder::new();
    let mut line = Int64Builder::new();
    let mut format = StringBuilder::new();
    let mut reason = StringBuilder::new();
    let mut raw = StringBuilder::new();
    let mut at = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for r in rows {
        file.append_value(&r.file);
        line.append_value(r.line);
        format.append_value(&r.format);
        reason.append_value(&r.reason);
        raw.append_value(&r.raw);
        at.append_value(ingested_at_micros);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(file.finish()),
        Arc::new(line.finish()),
        Arc::new(format.finish()),
        Arc::new(reason.finish()),
        Arc::new(raw.finish()),
        Arc::new(at.finish()),
    ];
    RecordBatch::try_new(schema::quarantine().file_schema(), columns)
        .expect("builder columns follow the quarantine schema")
}

/// Parse an RFC 3339 timestamp (also accepting a space instead of `T`).
pub fn parse_ts(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}
