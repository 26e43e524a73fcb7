//! Every lake table's Arrow schema and column documentation, in one place.
//!
//! `sql/README.md` (the analysts' data dictionary) is generated from these
//! definitions by `signals tables --markdown`, and a test keeps the two in sync.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Name of the Hive partition column every table is partitioned by.
pub const DATE_COLUMN: &str = "date";

/// Most row groups a clustered partition file is split into (see
/// [`TableDef::cluster_by`]): a first clustering column with more values than this
/// is only sorted by, so that a file never becomes a crowd of tiny row groups.
pub const MAX_CLUSTER_GROUPS: usize = 64;

/// One column of a lake table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Arrow type.
    pub data_type: DataType,
    /// Whether nulls are allowed.
    pub nullable: bool,
    /// Meaning and unit, for the data dictionary.
    pub doc: &'static str,
}

/// A lake table: its name, meaning and columns (without the `date` partition column).
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Table name, also its directory under the lake root.
    pub name: &'static str,
    /// What one row is.
    pub doc: &'static str,
    /// What the `date` partition means for this table.
    pub date_doc: &'static str,
    /// Columns each partition file is sorted by (none: as written), the first one
    /// with few values: each of its values gets a row group of its own, so that a
    /// query filtering on it skips the other values' row groups by their statistics
    /// instead of decoding them.
    pub cluster_by: &'static [&'static str],
    /// Columns stored in the Parquet files.
    pub columns: Vec<Column>,
}

impl TableDef {
    /// Arrow schema of the Parquet files (the `date` partition column is not stored in files).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }

    /// Schema as seen through SQL: the file columns plus `date`.
    pub fn table_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
            .collect();
        fields.push(Field::new(DATE_COLUMN, DataType::Utf8, false));
        Arc::new(Schema::new(fields))
    }

    /// The data-dictionary section of this table, as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!("### `{}`\n\n{}\n\n", self.name, self.doc);
        s.push_str("| column | type | null | meaning |\n|---|---|---|---|\n");
        for c in &self.columns {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                type_name(&c.data_type),
                if c.nullable { "yes" } else { "no" },
                c.doc
            ));
        }
        s.push_str(&format!(
            "| `{}` | string (partition) | no | {} |\n",
            DATE_COLUMN, self.date_doc
        ));
        if !self.cluster_by.is_empty() {
            let keys: Vec<String> = self.cluster_by.iter().map(|c| format!("`{c}`")).collect();
            s.push_str(&format!(
                "\nEach partition file is sorted by {}, with a row group per `{}` value.\n",
                keys.join(", "),
                self.cluster_by[0]
            ));
        }
        s
    }
}

fn type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Utf8 => "string",
        DataType::Int64 => "int64",
        DataType::Int32 => "int32",
        DataType::Float64 => "float64",
        DataType::Boolean => "bool",
        DataType::Timestamp(_, _) => "timestamp (µs, UTC)",
        DataType::List(f) if f.data_type() == &DataType::Utf8 => "list<string>",
        _ => "other",
    }
}

fn col(name: &'static str, data_type: DataType, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        data_type,
        nullable,
        doc,
    }
}

/// A list of strings (items nullable, as Arrow's default list field).
pub fn string_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The timestamp type used by every table: microseconds, UTC.
pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn s(name: &'static str, doc: &'static str) -> Column {
    col(name, DataType::Utf8, true, doc)
}

/// `events`: one row per event of the interchange format.
pub fn events() -> TableDef {
    TableDef {
        name: "events",
        doc: "One row per session event, in the interchange format of `spec/session-events.md`, whatever agent log it came from. Rows of a partition are sorted by `session_id`, `seq`.",
        date_doc: "UTC date of the session's earliest event (all events of a session share its date)",
        cluster_by: &[],
        columns: vec![
            col(
                "session_id",
                DataType::Utf8,
                false,
                "stable id of the session",
            ),
            col(
                "seq",
                DataType::Int64,
                false,
                "position in the session (from the input, or line order within the session when absent)",
            ),
            col(
                "ts",
                ts_type(),
                true,
                "when it happened (the previous event's time when the input has none)",
            ),
            col(
                "kind",
                DataType::Utf8,
                false,
                "`session_start`, `user_message`, `message_edit`, `assistant_message`, `tool_call`, `tool_result`, `context_add`, `context_remove`, `interrupt`, `error`, `session_end`, `slash_command`, or `other` (original kind in `attrs.kind`)",
            ),
            s("agent", "agent product (session_start)"),
            s("agent_version", "agent version (session_start)"),
            s("model", "model name (session_start)"),
            s("user", "pseudonymous user id (session_start)"),
            s("repo", "pseudonymous repository id (session_start)"),
            s(
                "text",
                "message text (user_message, message_edit, assistant_message, slash_command)",
            ),
            col(
                "edits_seq",
                DataType::Int64,
                true,
                "seq of the edited user message (message_edit)",
            ),
            s("call_id", "tool call id linking tool_call and tool_result"),
            s("tool", "tool name (tool_call)"),
            s("args", "tool arguments as a JSON object (tool_call)"),
            s(
                "status",
                "`ok`/`error`/`rejected`/`cancelled` (tool_result); `completed`/`abandoned`/`unknown` (session_end)",
            ),
            s("output", "tool output text (tool_result)"),
            s("path", "file path (context_add, context_remove)"),
            s("error_type", "error class (error)"),
            s("message", "error message (error)"),
            s(
                "attrs",
                "JSON object of every field the interchange format has no column for (agent-specific fields); null when none",
            ),
            col(
                "source_format",
                DataType::Utf8,
                false,
                "input format the event came from (`interchange`, `claude_code`, `codex`, ...)",
            ),
            col(
                "source_file",
                DataType::Utf8,
                false,
                "input file (`-` for stdin)",
            ),
            col(
                "source_line",
                DataType::Int64,
                false,
                "1-based line (or record) number in the input file",
            ),
            col(
                "ingested_at",
                ts_type(),
                false,
                "when `signals ingest` wrote the row",
            ),
        ],
    }
}

/// `sessions`: one row per session, derived from `events` by `sql/ingest/sessions.sql`.
pub fn sessions() -> TableDef {
    TableDef {
        name: "sessions",
        doc: "One row per session, derived from `events` by `sql/ingest/sessions.sql` each time a partition is written.",
        date_doc: "UTC date of the session's earliest event",
        cluster_by: &[],
        columns: vec![
            col(
                "session_id",
                DataType::Utf8,
                false,
                "stable id of the session",
            ),
            s("agent", "agent product"),
            s("agent_version", "agent version"),
            s("model", "model name"),
            s("user", "pseudonymous user id"),
            s("repo", "pseudonymous repository id"),
            col("started_at", ts_type(), true, "earliest event time"),
            col("ended_at", ts_type(), true, "latest event time"),
            col(
                "duration_s",
                DataType::Float64,
                true,
                "ended_at - started_at, seconds",
            ),
            col("event_count", DataType::Int64, false, "number of events"),
            col(
                "step_count",
                DataType::Int64,
                false,
                "agentic steps: number of `tool_call` events",
            ),
            col(
                "user_message_count",
                DataType::Int64,
                false,
                "number of `user_message` and `message_edit` events",
            ),
            col(
                "tool_error_count",
                DataType::Int64,
                false,
                "`tool_result` with status `error` plus `error` events",
            ),
            col(
                "rejected_tool_count",
                DataType::Int64,
                false,
                "`tool_result` with status `rejected` or `cancelled`",
            ),
            col(
                "interrupt_count",
                DataType::Int64,
                false,
                "number of `interrupt` events",
            ),
            s(
                "end_status",
                "status of the `session_end` event; null when the session has none",
            ),
            col(
                "source_format",
                DataType::Utf8,
                false,
                "input format of the session's events",
            ),
            col(
                "ingested_at",
                ts_type(),
                false,
                "when the session's partition was last written",
            ),
        ],
    }
}

/// `interventions`: what the live hook asked an agent to do, one row each.
pub fn interventions() -> TableDef {
    TableDef {
        name: "interventions",
        doc: "Each time the live hook (`signals hook claude-code --log LAKE`) asked the agent to clarify because friction was under way. Append-only: one file per intervention in its date's partition, so hooks of concurrent sessions never overwrite each other.",
        date_doc: "UTC date of the intervention",
        cluster_by: &[],
        columns: vec![
            col(
                "session_id",
                DataType::Utf8,
                false,
                "the agent's session id (as the ingest records it)",
            ),
            col(
                "agent",
                DataType::Utf8,
                false,
                "the agent whose hook ran (`claude-code`)",
            ),
            col(
                "friction_type",
                DataType::Utf8,
                false,
                "what was under way: `rephrasing_cascade` or `context_churn`",
            ),
            col("at", ts_type(), false, "when the hook answered"),
        ],
    }
}

/// `digests`: the daily digest of each date, per channel it went to.
pub fn digests() -> TableDef {
    TableDef {
        name: "digests",
        doc: "The daily digest of each date (stage `digest`), one row per channel: the Markdown file in the lake, and the Slack message when `notify = \"slack\"`. A date's Slack message is posted once, however often the date runs (the lake's `_notify/` ledger); the webhook URL is never stored.",
        date_doc: "the day the digest is of",
        cluster_by: &[],
        columns: vec![
            col("channel", DataType::Utf8, false, "`markdown` or `slack`"),
            col(
                "status",
                DataType::Utf8,
                false,
                "`written` (the Markdown file), `posted` (sent by this run), `already_posted` (an earlier run sent it; nothing was sent) or `too_old` (the date is older than `notify_max_age_days`: not posted)",
            ),
            col(
                "location",
                DataType::Utf8,
                true,
                "the Markdown file's path in the lake (null for Slack)",
            ),
            col(
                "patterns",
                DataType::Int64,
                false,
                "crossing patterns (tickets filed, updated or reopened that day) the digest lists",
            ),
            col(
                "verdicts",
                DataType::Int64,
                false,
                "deployment verdicts that became final that day",
            ),
            col(
                "blocks",
                DataType::Int64,
                false,
                "Block Kit blocks of the Slack message (0 for Markdown)",
            ),
            col(
                "chars",
                DataType::Int64,
                false,
                "characters of the text sent or written",
            ),
            col(
                "left_out",
                DataType::Int64,
                false,
                "list lines the Slack message left out to stay within Slack's limits (\"and N more\"; the Markdown file has them all)",
            ),
            col(
                "sent_at",
                DataType::Utf8,
                true,
                "RFC 3339 time it was written or first posted",
            ),
        ],
    }
}

/// `alerts`: patterns whose rate crossed the alert threshold, posted at once.
pub fn alerts() -> TableDef {
    TableDef {
        name: "alerts",
        doc: "Each crossing pattern whose rate reached `alert_rate` on the date (stage `alerts`, right after `tickets`): posted at once (Markdown under the lake's `alerts/`, and Slack when `notify = \"slack\"`), at most once per ticket per `alert_cooldown_days`.",
        date_doc: "the day the pattern crossed",
        cluster_by: &[],
        columns: vec![
            col("ticket_id", DataType::Utf8, false, "the pattern's ticket"),
            col("friction_type", DataType::Utf8, false, "friction type"),
            col(
                "slice_kind",
                DataType::Utf8,
                false,
                "the pattern's slice kind",
            ),
            col(
                "slice_value",
                DataType::Utf8,
                false,
                "the pattern's slice value",
            ),
            col(
                "rate",
                DataType::Float64,
                false,
                "the share of analysed sessions affected that day",
            ),
            col(
                "baseline_rate",
                DataType::Float64,
                true,
                "the trailing baseline's rate",
            ),
            col("channel", DataType::Utf8, false, "`markdown` or `slack`"),
            col(
                "status",
                DataType::Utf8,
                false,
                "`posted` (sent by this run), `already_posted` (an earlier run of the date sent it), `cooldown` (the ticket was alerted on `last_alerted`, within `alert_cooldown_days`: not sent) or `too_old` (Slack only: the date is older than `notify_max_age_days`, not sent)",
            ),
            col(
                "last_alerted",
                DataType::Utf8,
                true,
                "the date of the ticket's alert before this one, if any",
            ),
            col(
                "sent_at",
                DataType::Utf8,
                true,
                "RFC 3339 time it was sent (null when not sent)",
            ),
        ],
    }
}

/// `ingested_files`: the landing zone's manifest (objects ingested from a source URL).
pub fn ingested_files() -> TableDef {
    TableDef {
        name: "ingested_files",
        doc: "The landing zone's manifest: every object `signals ingest URL` read from a source prefix (local, `s3://`, `gs://`, `az://`), once per version, so the next ingest reads only what arrived or changed since.",
        date_doc: "UTC date of the ingest that read the object",
        cluster_by: &[],
        columns: vec![
            col(
                "source",
                DataType::Utf8,
                false,
                "the source URL as given (prefix, with its glob)",
            ),
            col("path", DataType::Utf8, false, "the object's URL"),
            col("size", DataType::Int64, false, "its size in bytes"),
            col(
                "e_tag",
                DataType::Utf8,
                true,
                "its ETag as the store reported it",
            ),
            col(
                "version",
                DataType::Utf8,
                true,
                "its version, where the store keeps versions",
            ),
            col(
                "last_modified",
                ts_type(),
                false,
                "when the store last saw it written",
            ),
            col("ingested_at", ts_type(), false, "when this ingest read it"),
            col(
                "outcome",
                DataType::Utf8,
                false,
                "`ingested` (new), `reingested` (the path was read before with another ETag or size: what its earlier versions gave is replaced by what this one holds), or `unrecognized` (format not detected: not read)",
            ),
            col(
                "dates",
                DataType::Utf8,
                false,
                "the dates of `events` this object's rows are in (comma-separated, empty when it gave none): where its rows are dropped if it is replaced",
            ),
        ],
    }
}

/// `quarantine`: input lines that could not be ingested.
pub fn quarantine() -> TableDef {
    TableDef {
        name: "quarantine",
        doc: "Input lines that could not be read as events, with the reason; nothing is dropped silently.",
        date_doc: "UTC date of the ingest that met the line",
        cluster_by: &[],
        columns: vec![
            col(
                "source_file",
                DataType::Utf8,
                false,
                "input file (`-` for stdin)",
            ),
            col(
                "source_line",
                DataType::Int64,
                false,
                "1-based line number in the input file",
            ),
            col(
                "source_format",
                DataType::Utf8,
                false,
                "format the line was read as",
            ),
            col(
                "reason",
                DataType::Utf8,
                false,
                "why the line was quarantined (what to fix)",
            ),
            col(
                "raw",
                DataType::Utf8,
                false,
                "the line as read (lossy UTF-8, cut at 16 KiB)",
            ),
            col(
                "ingested_at",
                ts_type(),
                false,
                "when the line was quarantined",
            ),
        ],
    }
}

/// `friction_patterns`: friction per type and slice, against its baseline.
pub fn friction_patterns() -> TableDef {
    let int = |n, d| col(n, DataType::Int64, false, d);
    let float = |n, d| col(n, DataType::Float64, true, d);
    TableDef {
        name: "friction_patterns",
        doc: "Per date, friction type and slice (`all`, `agent_version`, `model`, `language`, `intent`): how many analysed sessions had the friction, against the trailing baseline, and whether that crosses the pipeline's threshold. Output of the daily pipeline's `patterns` stage (`sql/stages/patterns.sql`, where the test is documented).",
        date_doc: "the day measured",
        cluster_by: &[],
        columns: vec![
            col("friction_type", DataType::Utf8, false, "friction type"),
            col(
                "slice_kind",
                DataType::Utf8,
                false,
                "`all`, `agent_version`, `model`, `language` or `intent`",
            ),
            col(
                "slice_value",
                DataType::Utf8,
                false,
                "the slice's value (`all` for the whole day; `unknown` when missing)",
            ),
            int("sessions", "analysed sessions in the slice that day"),
            int(
                "affected",
                "of them, sessions with at least one moment of the type",
            ),
            col("rate", DataType::Float64, false, "affected / sessions"),
            int("moments", "moments of the type in those sessions"),
            float(
                "moments_per_affected",
                "moments / affected (null when none affected)",
            ),
            int("high", "moments of high severity"),
            int("medium", "moments of medium severity"),
            int("low", "moments of low severity"),
            int(
                "baseline_sessions",
                "analysed sessions in the slice over the `baseline_days` days before",
            ),
            int("baseline_affected", "of them, affected"),
            float(
                "baseline_rate",
                "baseline_affected / baseline_sessions (null without baseline)",
            ),
            float(
                "z",
                "z statistic of today vs baseline on the arcsine scale (Anscombe; null when untestable)",
            ),
            float("p_value", "one-sided p-value of z (today above baseline)"),
            float(
                "q_value",
                "Benjamini-Hochberg q-value of p_value over the day's tests (all types and slices)",
            ),
            col(
                "crosses_threshold",
                DataType::Boolean,
                false,
                "affected >= min_affected, rate >= min_rate and q_value < max_q",
            ),
        ],
    }
}

/// `tickets`: every ticket's state as of a date.
pub fn tickets() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    let int = |n, d| col(n, DataType::Int64, false, d);
    let float = |n, d| col(n, DataType::Float64, true, d);
    TableDef {
        name: "tickets",
        doc: "Every ticket the pipeline has filed, as of the date: one row per ticket in each date's partition (a snapshot), so a ticket's history is its rows over the dates. Written by the daily pipeline's `tickets` stage from the patterns that cross the threshold; a pattern seen again updates its ticket (same fingerprint), one that stops crossing for `fade_days` is marked `faded`.",
        date_doc: "the day the snapshot is of",
        cluster_by: &[],
        columns: vec![
            s(
                "ticket_id",
                "stable id (`SIG-` and the fingerprint's first 8 hex digits)",
            ),
            s(
                "fingerprint",
                "SHA-256 of friction type, slice kind and slice value (hex): what makes two days' patterns one ticket",
            ),
            s("friction_type", "friction type"),
            s(
                "slice_kind",
                "`all`, `agent_version`, `model`, `language` or `intent`",
            ),
            s("slice_value", "the slice's value"),
            s("title", "the ticket's title"),
            s("status", "`open` or `faded`"),
            s(
                "action",
                "what this date did: `filed`, `updated`, `reopened`, `faded` or `none`",
            ),
            s("first_seen", "first date the pattern crossed the threshold"),
            s("last_seen", "last date it crossed"),
            int("days_seen", "dates on which it crossed"),
            int("sessions", "analysed sessions in the slice on last_seen"),
            int("affected", "of them, affected on last_seen"),
            col(
                "rate",
                DataType::Float64,
                false,
                "affected / sessions on last_seen",
            ),
            float("baseline_rate", "the baseline rate on last_seen"),
            float("p_value", "the test's p-value on last_seen"),
            s(
                "trend",
                "`new`, `rising`, `steady` or `falling`: the rate at this sighting against the previous one (±10%)",
            ),
            int("high", "high-severity moments on last_seen"),
            int("medium", "medium-severity moments on last_seen"),
            int("low", "low-severity moments on last_seen"),
            s(
                "citations",
                "JSON array of up to 5 abstracted citations (never raw user text)",
            ),
            s(
                "sink",
                "where it is filed: `markdown`, `github` or `linear`",
            ),
            col(
                "external_ref",
                DataType::Utf8,
                true,
                "the sink's reference: file path, issue URL",
            ),
            col(
                "branch",
                DataType::Utf8,
                true,
                "the branch a coding agent worked on for it (`resolve` stage)",
            ),
            col(
                "pull_request",
                DataType::Utf8,
                true,
                "the pull request the coding agent reported (never merged automatically)",
            ),
            float(
                "q_value",
                "the Benjamini-Hochberg q-value on last_seen, over that day's tests (the pattern crossed on it; null in tickets written before it existed)",
            ),
        ],
    }
}

/// `ticket_resolutions`: tickets handed to a coding agent by the `resolve` stage.
pub fn ticket_resolutions() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    TableDef {
        name: "ticket_resolutions",
        doc: "Each hand-off of a new ticket to the configured coding-agent command (the daily pipeline's `resolve` stage, off by default): the branch it worked on, the pull request it reported and how it ended. The pull request's review is the human approval gate: nothing is merged by the pipeline.",
        date_doc: "the day of the tickets snapshot that was handed off",
        cluster_by: &[],
        columns: vec![
            s("ticket_id", "the ticket handed off"),
            s("branch", "the branch created for it in the checkout"),
            col(
                "pull_request",
                DataType::Utf8,
                true,
                "the last URL the command printed on stdout (its pull request)",
            ),
            s(
                "status",
                "`proposed` (command succeeded), `failed` (non-zero exit or timeout)",
            ),
            col(
                "exit_code",
                DataType::Int64,
                true,
                "the command's exit status (null: killed or timed out)",
            ),
            col(
                "commits",
                DataType::Int64,
                false,
                "commits on the branch beyond the base",
            ),
            s("command", "the command line (from the pipeline file)"),
            s("started_at", "RFC 3339 start time"),
            s("finished_at", "RFC 3339 end time"),
            col(
                "note",
                DataType::Utf8,
                true,
                "the last line of stderr when it failed",
            ),
        ],
    }
}

/// `judge_usage`: each request the LLM judge made.
pub fn judge_usage() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    let int = |n, d| col(n, DataType::Int64, false, d);
    TableDef {
        name: "judge_usage",
        doc: "One row per request of the LLM judge (`judge = \"openai\"`): session, pass and attempt, the model and prompt version, tokens sent (after condensing) and received, the tokens the whole session would have taken, and the estimated cost at the configured prices (batch prices in batch mode).",
        date_doc: "the sessions' date",
        cluster_by: &[],
        columns: vec![
            s("session_id", "the session"),
            s("pass", "`friction` or `facets`"),
            int("attempt", "1 for the first request, then each retry"),
            s("model", "the model"),
            s("prompt_version", "the prompt templates' version"),
            s("mode", "`batch` (Batch API) or `sync` (Chat Completions)"),
            s(
                "status",
                "`ok`, or why the attempt was not usable (`error`, `expired`, `truncated`, `malformed`, `schema`)",
            ),
            int(
                "input_tokens",
                "prompt tokens (as the API reported, else counted with o200k)",
            ),
            int("output_tokens", "completion tokens (0 when none came back)"),
            int(
                "full_session_tokens",
                "tokens of the whole scrubbed session before condensing",
            ),
            col(
                "cost_usd",
                DataType::Float64,
                false,
                "estimated cost of the request in US dollars",
            ),
            int(
                "citations_rewritten",
                "citations (or the summary) rewritten because they quoted or named something",
            ),
            col(
                "reasoning_tokens",
                DataType::Int64,
                true,
                "hidden reasoning tokens of a reasoning model, as the API reported them (part of `output_tokens`, billed as output; NULL in lakes from before it was recorded)",
            ),
            col(
                "budget",
                DataType::Int64,
                true,
                "the request's `max_completion_tokens`: reasoning headroom + the visible output budget (doubled after a `truncated` attempt, up to `llm_max_completion_tokens`); NULL in lakes from before it was recorded",
            ),
        ],
    }
}

/// `judge_agreement`: how far the built-in judge agrees with the LLM on a day's
/// traffic (the cascade judge).
pub fn judge_agreement() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    let int = |n, d| col(n, DataType::Int64, false, d);
    let f = |n, d| col(n, DataType::Float64, true, d);
    TableDef {
        name: "judge_agreement",
        doc: "The cascade judge (`judge = \"cascade\"`): per day and friction type, the built-in judge's precision and recall measured against the LLM on the sessions the LLM judged — every session the built-in judge flagged, plus a uniform random calibration sample of the rest (`cascade_sample`). Precision is exact (every flagged session is judged); recall weights each sampled session by 1/`sample_rate`. Intervals are Wilson 95% score intervals (on the weighted counts for recall). `signals eval --against llm` prints it, summed over dates.",
        date_doc: "the sessions' date",
        cluster_by: &[],
        columns: vec![
            s("friction_type", "one of the seven friction types"),
            int(
                "judged_sessions",
                "sessions the LLM judged this day (flagged + calibration sample)",
            ),
            int(
                "sample_sessions",
                "of them, sessions in the calibration sample (nothing flagged by the built-in judge)",
            ),
            col(
                "sample_rate",
                DataType::Float64,
                false,
                "the share of unflagged sessions sampled for calibration",
            ),
            int("agreed", "sessions where both judges found this type"),
            int(
                "builtin_only",
                "sessions where only the built-in judge found it (its false positives against the LLM)",
            ),
            col(
                "llm_only",
                DataType::Float64,
                false,
                "sessions where only the LLM found it (its misses), sampled sessions weighted by 1/sample_rate",
            ),
            f(
                "precision",
                "agreed / (agreed + builtin_only); NULL without a flagged session",
            ),
            f("precision_low", "Wilson 95% lower bound of precision"),
            f("precision_high", "Wilson 95% upper bound of precision"),
            f(
                "recall",
                "agreed / (agreed + llm_only); NULL when the LLM found none",
            ),
            f("recall_low", "Wilson 95% lower bound of recall"),
            f("recall_high", "Wilson 95% upper bound of recall"),
            s("screen", "the screening judge and its version"),
            s("judge", "the LLM judge (`openai:MODEL`)"),
        ],
    }
}

/// `judge_failures`: sessions the LLM judge could not analyse.
pub fn judge_failures() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    TableDef {
        name: "judge_failures",
        doc: "Every analysed session and pass the LLM judge gave up on after its attempts, with the reason: with `frictions`/`session_facets`, every filtered session is accounted for.",
        date_doc: "the sessions' date",
        cluster_by: &[],
        columns: vec![
            s("session_id", "the session"),
            s("pass", "`friction` or `facets`"),
            col("attempts", DataType::Int64, false, "requests made"),
            s(
                "reason",
                "`error`, `expired`, `truncated`, `malformed` or `schema`",
            ),
            s("detail", "the last error message (never session text)"),
        ],
    }
}

/// `deployments`: agent releases the re-measurement compares around.
pub fn deployments() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    TableDef {
        name: "deployments",
        doc: "Deployments recorded with `signals deploy record --version V [--at T] [--ticket ID]`, one row per version (recording a version again replaces its row). Deployments are also inferred from the first day an `agent_version` appears in `sessions` (see `sql/stages/remeasure.sql`); those are not stored here.",
        date_doc: "the day of the deployment (UTC)",
        cluster_by: &[],
        columns: vec![
            s(
                "version",
                "what was deployed: an agent version (matched against sessions' `agent_version`) or any release name",
            ),
            s("deployed_at", "RFC 3339 time of the deployment"),
            col(
                "ticket_id",
                DataType::Utf8,
                true,
                "the ticket the deployment is meant to fix; it gets the verdict",
            ),
            s("recorded_at", "RFC 3339 time it was recorded"),
            col("note", DataType::Utf8, true, "free text"),
        ],
    }
}

/// `friction_before_after`: each deployment's friction rates before and after.
pub fn friction_before_after() -> TableDef {
    let s = |n, d| col(n, DataType::Utf8, false, d);
    let int = |n, d| col(n, DataType::Int64, false, d);
    let float = |n, d| col(n, DataType::Float64, true, d);
    TableDef {
        name: "friction_before_after",
        doc: "For each deployment of the last `remeasure_horizon_days` and each friction type, as of the date: the share of analysed sessions with the friction in the window before the deployment and in the window after it, the change crude and stratified by language x intent (Mantel-Haenszel, with a 95% interval), a Cochran-Mantel-Haenszel test with Benjamini-Hochberg q-values over the deployment's types, the power the sizes give, and a verdict once the after window is complete (a fixed horizon). Written by the daily pipeline's `remeasure` stage (`sql/stages/remeasure.sql`).",
        date_doc: "the day the measurement is as of",
        cluster_by: &[],
        columns: vec![
            s("version", "the deployment's version"),
            s("deployed_on", "the deployment's day (YYYY-MM-DD)"),
            s(
                "source",
                "`recorded` (signals deploy record) or `inferred` (first day of an agent_version)",
            ),
            col(
                "ticket_id",
                DataType::Utf8,
                true,
                "the linked ticket (recorded deployments)",
            ),
            s("friction_type", "friction type"),
            s("before_from", "first day of the before window"),
            s(
                "before_to",
                "last day of the before window (the day before the deployment)",
            ),
            s(
                "after_from",
                "first day of the after window (the deployment's day)",
            ),
            s(
                "after_to",
                "last day of the after window so far (at most the date)",
            ),
            col(
                "window_complete",
                DataType::Boolean,
                false,
                "the after window has all its days",
            ),
            s(
                "after_scope",
                "`version` (only sessions on the deployed agent_version count after) or `all`",
            ),
            int("before_sessions", "analysed sessions in the before window"),
            int(
                "before_affected",
                "of them, with at least one moment of the type",
            ),
            float("before_rate", "before_affected / before_sessions"),
            int(
                "after_sessions",
                "analysed sessions in the after window (in scope)",
            ),
            int(
                "after_affected",
                "of them, with at least one moment of the type",
            ),
            float("after_rate", "after_affected / after_sessions"),
            float("abs_change", "after_rate - before_rate"),
            float(
                "rel_change",
                "abs_change / before_rate (null when before_rate is 0)",
            ),
            int(
                "strata",
                "strata (language x intent) with sessions on both sides: those the stratified test compares",
            ),
            float(
                "adj_change",
                "the change stratified by language x intent: the Mantel-Haenszel risk difference, after - before",
            ),
            float(
                "ci_low",
                "lower end of the 95% interval of adj_change (Sato's variance)",
            ),
            float(
                "ci_high",
                "upper end of the 95% interval of adj_change (Sato's variance)",
            ),
            float(
                "z",
                "Cochran-Mantel-Haenszel z statistic over the strata (after vs before; null: no variance)",
            ),
            float("p_value", "two-sided p-value of the CMH test"),
            float(
                "q_value",
                "Benjamini-Hochberg q-value of p_value over the deployment's seven types",
            ),
            float(
                "mde",
                "minimum detectable effect: the smallest absolute change these sizes detect at 80% power",
            ),
            col(
                "sessions_needed",
                DataType::Int64,
                true,
                "more sessions each side needs to detect a change of `remeasure_target_change` of the before rate at 80% power (0: enough; null: no before rate)",
            ),
            s(
                "verdict",
                "`pending` (the after window is not complete: no verdict before the fixed horizon), then `improved` / `regressed` (q_value < `remeasure_max_q`, by the sign of adj_change), `no_change` or `insufficient_data` (fewer than `remeasure_min_sessions` on a side)",
            ),
        ],
    }
}

/// `analysed_sessions`: the sessions of a day the pipeline's `filter` stage chose.
pub fn analysed_sessions() -> TableDef {
    TableDef {
        name: "analysed_sessions",
        doc: "The sessions of a day that the daily pipeline analyses: output of its `filter` stage (`sql/stages/filter.sql`, default at least 30 agentic steps). The judge stages read it.",
        date_doc: "the session's date (as in `sessions`)",
        cluster_by: &[],
        columns: vec![
            col("session_id", DataType::Utf8, false, "chosen session"),
            col(
                "step_count",
                DataType::Int64,
                false,
                "its agentic steps (tool calls)",
            ),
            col(
                "user_message_count",
                DataType::Int64,
                false,
                "its user messages",
            ),
            col(
                "agent_version",
                DataType::Utf8,
                true,
                "agent version of the session",
            ),
        ],
    }
}

/// `frictions`: one row per friction moment found by a judge.
pub fn frictions() -> TableDef {
    TableDef {
        name: "frictions",
        doc: "One row per friction moment a judge found in an analysed session. A session with no row here (but rows in `session_facets`) was analysed and found free of friction.",
        date_doc: "the session's date (as in `sessions`)",
        cluster_by: &[],
        columns: vec![
            col(
                "session_id",
                DataType::Utf8,
                false,
                "session the moment is in",
            ),
            col(
                "friction_type",
                DataType::Utf8,
                false,
                "`abandoned_tool`, `rephrasing_cascade`, `context_churn`, `error_event`, `tone_escalation`, `backtracking` or `platform_confusion`",
            ),
            col(
                "severity",
                DataType::Utf8,
                false,
                "`high`, `medium` or `low` (rules in docs/judges.md)",
            ),
            col(
                "first_seq",
                DataType::Int64,
                false,
                "seq of the first event of the moment",
            ),
            col(
                "last_seq",
                DataType::Int64,
                false,
                "seq of the last event of the moment",
            ),
            col(
                "citation",
                DataType::Utf8,
                false,
                "what happened, abstracted: never a quote, a file name, code or personal data",
            ),
            col(
                "confidence",
                DataType::Float64,
                false,
                "the judge's confidence, 0..1",
            ),
            col(
                "judge",
                DataType::Utf8,
                false,
                "judge that found it (`builtin`, `openai`)",
            ),
            col(
                "judge_version",
                DataType::Utf8,
                false,
                "version of the judge (for the LLM judge: prompt version and model)",
            ),
        ],
    }
}

/// `delights`: one row per moment a session went well for its user.
pub fn delights() -> TableDef {
    TableDef {
        name: "delights",
        doc: "One row per moment of delight a judge found in an analysed session (stage `delight`): thanks, praise, a confirmed success, or a recovery from the agent's own failure. Abstracted like `frictions`: never a quote, a file name, code or personal data.",
        date_doc: "the session's date (as in `sessions`)",
        cluster_by: &[],
        columns: vec![
            col(
                "session_id",
                DataType::Utf8,
                false,
                "session the moment is in",
            ),
            col(
                "delight_type",
                DataType::Utf8,
                false,
                "`gratitude` (the user thanks the agent), `praise` (praises its work), `success_confirmed` (says its change works) or `recovery` (the agent failed, then the task was completed)",
            ),
            col(
                "strength",
                DataType::Utf8,
                false,
                "`low` (a plain thanks), `medium` or `high` (several kinds at once; a recovery from several failures)",
            ),
            col(
                "first_seq",
                DataType::Int64,
                false,
                "seq of the first event of the moment",
            ),
            col(
                "last_seq",
                DataType::Int64,
                false,
                "seq of the last event of the moment",
            ),
            col(
                "citation",
                DataType::Utf8,
                false,
                "what happened, abstracted: never a quote, a file name, code or personal data",
            ),
            col(
                "confidence",
                DataType::Float64,
                false,
                "the judge's confidence, 0..1",
            ),
            col(
                "judge",
                DataType::Utf8,
                false,
                "judge that found it (`builtin`, `openai`)",
            ),
            col(
                "judge_version",
                DataType::Utf8,
                false,
                "version of the judge (for the LLM judge: prompt version and model)",
            ),
        ],
    }
}

/// `session_frictions`: each analysed session with friction, once per friction type.
pub fn session_frictions() -> TableDef {
    TableDef {
        name: "session_frictions",
        doc: "Each analysed session with friction, once per friction type it has: the `frictions` of a day, deduplicated per session and type (stage `session_frictions`, sql/stages/session_frictions.sql). `patterns` and `remeasure` count affected sessions from here.",
        date_doc: "the session's date (as in `sessions`)",
        cluster_by: &[],
        columns: vec![
            col("session_id", DataType::Utf8, false, "analysed session"),
            col(
                "friction_type",
                DataType::Utf8,
                false,
                "a friction type the session has (as in `frictions`)",
            ),
            col(
                "moments",
                DataType::Int64,
                false,
                "moments of this type in the session",
            ),
            col(
                "high",
                DataType::Int64,
                false,
                "of which of severity `high`",
            ),
            col(
                "medium",
                DataType::Int64,
                false,
                "of which of severity `medium`",
            ),
            col("low", DataType::Int64, false, "of which of severity `low`"),
        ],
    }
}

/// `session_facets`: facets of analysed sessions, in long format.
pub fn session_facets() -> TableDef {
    TableDef {
        name: "session_facets",
        doc: "Facets of every analysed session, one row per (facet, value), so new facets need no migration. Core facets: `language`, `framework`, `intent`, `tool_confirmed`, `tool_rejected`, `tool_cancelled`, `outcome`, `step_count`, `satisfaction` (1-5: 2, +1 completed, -1 abandoned, +1 delight the user expressed, +1 more for praise or a confirmed success, -1 tone escalation; docs/judges.md).",
        date_doc: "the session's date (as in `sessions`)",
        cluster_by: &["facet", "session_id"],
        columns: vec![
            col("session_id", DataType::Utf8, false, "analysed session"),
            col("facet", DataType::Utf8, false, "facet name"),
            col(
                "value",
                DataType::Utf8,
                false,
                "facet value (numbers as decimal text)",
            ),
            col(
                "source",
                DataType::Utf8,
                false,
                "evidence: `paths`, `mentions`, `first_message`, `events`, `session_end`, `inferred`, `llm`",
            ),
            col("judge", DataType::Utf8, false, "judge that produced it"),
            col(
                "judge_version",
                DataType::Utf8,
                false,
                "version of the judge",
            ),
        ],
    }
}

/// `facet_proposals`: new facet dimensions proposed by the `facet_discovery` stage.
pub fn facet_proposals() -> TableDef {
    let int = |n, d| col(n, DataType::Int64, false, d);
    let list = |n, d| col(n, string_list_type(), false, d);
    let f = |n, d| col(n, DataType::Float64, true, d);
    TableDef {
        name: "facet_proposals",
        doc: "One row per theme the `facet_discovery` stage found in the window's session summaries that no existing facet value or friction type picks out: a proposed new facet dimension. `signals facets list|accept|reject` decides on them (decisions live in the lake's `_facets/`); an accepted facet is extracted by the facet pass from then on.",
        date_doc: "the discovery run's date (the window ends on it)",
        cluster_by: &[],
        columns: vec![
            col(
                "name",
                DataType::Utf8,
                false,
                "proposed facet name, snake_case (offline: the theme's phrase; with `discovery_namer = \"openai\"`: the model's)",
            ),
            col(
                "description",
                DataType::Utf8,
                false,
                "what the facet would record, with the evidence (size, closest existing facet)",
            ),
            list(
                "terms",
                "the theme's phrase(s): a session whose summary has one has the facet",
            ),
            list("candidate_values", "proposed values of the facet"),
            list(
                "value_terms",
                "for each candidate value, the summary phrase that selects it",
            ),
            int(
                "cluster_size",
                "window sessions with the theme (those the facet would apply to)",
            ),
            int(
                "clustered",
                "sessions in the clusters (HDBSCAN) the theme was found in",
            ),
            int(
                "window_sessions",
                "analysed sessions with a summary in the window (sampled to `discovery_max_sessions`)",
            ),
            col(
                "share",
                DataType::Float64,
                false,
                "cluster_size / window_sessions",
            ),
            col(
                "closest_facet",
                DataType::Utf8,
                true,
                "the existing `facet=value` (or `friction=type`) closest to the theme",
            ),
            f(
                "closest_precision",
                "share of the theme's sessions that have closest_facet",
            ),
            f(
                "closest_recall",
                "share of closest_facet's sessions that have the theme",
            ),
            list(
                "example_summaries",
                "up to 5 summaries of sessions in the theme (abstracted: no user text)",
            ),
            list("example_sessions", "their session ids"),
            col(
                "embedder",
                DataType::Utf8,
                false,
                "`hashed-tfidf-<dims>` or `openai:<model>`",
            ),
            col(
                "namer",
                DataType::Utf8,
                false,
                "`terms` or `openai:<model>`",
            ),
            col(
                "window_start",
                DataType::Utf8,
                false,
                "first day of the window (YYYY-MM-DD)",
            ),
        ],
    }
}

/// Tables a pipeline stage derives, one date at a time, from another table:
/// (derived, source). A query over a derived table reads only what the stage
/// wrote, so [`crate::Lake::require_derived`] checks that no date of the source
/// is missing from it.
pub const DERIVED: &[(&str, &str)] = &[("session_frictions", "frictions")];

/// Views every lake session defines over the tables: (name, `CREATE VIEW` SQL from
/// `sql/views/`).
pub const VIEWS: &[(&str, &str)] = &[
    // First: the views below read it.
    (
        "friction_types",
        include_str!("../../../sql/views/friction_types.sql"),
    ),
    (
        "session_facets_wide",
        include_str!("../../../sql/views/session_facets_wide.sql"),
    ),
    (
        "all_deployments",
        include_str!("../../../sql/views/all_deployments.sql"),
    ),
    (
        "friction_daily",
        include_str!("../../../sql/views/friction_daily.sql"),
    ),
];

/// Every table the lake defines, in data-dictionary order.
pub fn all_tables() -> Vec<TableDef> {
    vec![
        sessions(),
        events(),
        quarantine(),
        ingested_files(),
        analysed_sessions(),
        frictions(),
        session_frictions(),
        session_facets(),
        delights(),
        friction_patterns(),
        judge_usage(),
        judge_failures(),
        judge_agreement(),
        tickets(),
        ticket_resolutions(),
        deployments(),
        friction_before_after(),
        facet_proposals(),
        interventions(),
        alerts(),
        digests(),
    ]
}

/// Look up a table definition by name.
pub fn table(name: &str) -> Option<TableDef> {
    all_tables().into_iter().find(|t| t.name == name)
}

/// The whole data dictionary (the generated part of `sql/README.md`).
pub fn data_dictionary_markdown() -> String {
    let mut parts: Vec<String> = all_tables().iter().map(TableDef::markdown).collect();
    for (name, sql) in VIEWS {
        // A view's documentation is the comment block at the top of its file.
        let doc: Vec<&str> = sql
            .lines()
            .take_while(|l| l.starts_with("--"))
            .map(|l| l.trim_start_matches("--").trim())
            .collect();
        parts.push(format!(
            "### `{name}` (view)\n\n{}\n\nDefined in `sql/views/{name}.sql`; every `signals sql` session has it.\n",
            doc.join(" ")
        ));
    }
    parts.join("\n")
}
