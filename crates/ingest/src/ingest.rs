//! `signals ingest`: read inputs into the lake's `events`, `sessions` and `quarantine`
//! tables without ever duplicating a row.
//!
//! 1. Pass 1 streams every input through its format reader into local staging Parquet
//!    (memory stays flat: only a small state per session is kept).
//! 2. Each session's date is the UTC date of its earliest event, over what is staged
//!    and what the lake already has of it; pass 2 routes staged rows by that date.
//! 3. Each affected date partition of `events` is rewritten by one DataFusion query:
//!    existing rows plus staged rows, deduplicated on `(session_id, seq)` (the newest
//!    ingest wins), sorted by `(session_id, seq)`; `sessions` is derived from it by
//!    `sql/ingest/sessions.sql`. Every partition write is an atomic replace.
//!
//! A lease (`_leases/ingest.json`) keeps two ingests from writing the lake at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::{DateTime, NaiveDate, Utc};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use signals_lake::{Lake, holder_id, schema};

use crate::format::Format;
use crate::input::{ByteCounter, Input, open, peek};
use crate::registry::{detect, format_by_name, format_names};
use crate::stage::{SessionMap, StageCounts, Stager, route_by_date};
use crate::{Error, Result};

/// The SQL that derives `sessions` from an `events` partition.
pub const SESSIONS_SQL: &str = include_str!("../../../sql/ingest/sessions.sql");

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Force a format by name; `None` detects it per file.
    pub format: Option<String>,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
    /// The ingest's timestamp (`ingested_at`, and the quarantine partition's date).
    pub now: DateTime<Utc>,
    /// How long the ingest lease is held before it lapses.
    pub lease_ttl: Duration,
    /// When another ingest holds the lease: wait for it (polling) instead of
    /// failing at once.
    pub wait: bool,
    /// A SQL `SELECT` over the table `input` that maps a Parquet file's columns
    /// onto the interchange fields (`signals ingest --map`; default: the file has
    /// them).
    pub map: Option<String>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            format: None,
            progress: false,
            now: Utc::now(),
            lease_ttl: Duration::from_secs(2 * 3600),
            wait: false,
            map: None,
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestReport {
    /// Input files read.
    pub files: u64,
    /// Files whose format could not be detected (not read).
    pub unrecognized: Vec<String>,
    /// Files by format.
    pub formats: BTreeMap<String, u64>,
    /// Line counters.
    pub counts: StageCounts,
    /// Distinct sessions in the input.
    pub sessions: u64,
    /// Date partitions rewritten.
    pub dates: Vec<NaiveDate>,
    /// Events now in the rewritten partitions (after dedup).
    pub events_in_partitions: u64,
    /// Sessions now in the rewritten partitions.
    pub sessions_in_partitions: u64,
    /// The first quarantined lines (at most 10), to show the user.
    pub quarantine_sample: Vec<crate::model::QuarantineRow>,
    /// The holder whose lease this ingest took over: a process of this host
    /// that was gone (killed) before its lease lapsed.
    pub took_over_from: Option<String>,
}

/// Objects read again because they changed (the landing zone): the rows their
/// earlier versions left are dropped from the dates they touched before the new
/// read is merged, so a new version replaces its sessions instead of adding to
/// them. Rows other objects gave the same sessions stay.
#[derive(Debug, Clone, Default)]
pub struct Replacing {
    /// The objects' names, as recorded in `events.source_file`.
    pub sources: BTreeSet<String>,
    /// The dates their earlier versions touched.
    pub dates: BTreeSet<NaiveDate>,
}

impl Replacing {
    /// `AND`-ed onto a query over `events`: leaves out the replaced objects' rows.
    fn filter(&self, qualifier: &str) -> String {
        if self.sources.is_empty() {
            return String::new();
        }
        let list = self
            .sources
            .iter()
            .map(|s| signals_lake::sql_literal(s))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" AND coalesce({qualifier}source_file, '') NOT IN ({list})")
    }
}

/// Ingest `inputs` into `lake`.
pub async fn ingest(lake: &Lake, inputs: Vec<Input>, opts: &IngestOptions) -> Result<IngestReport> {
    ingest_replacing(lake, inputs, opts, &Replacing::default()).await
}

/// [`ingest`], first dropping what earlier versions of replaced objects left.
pub async fn ingest_replacing(
    lake: &Lake,
    inputs: Vec<Input>,
    opts: &IngestOptions,
    replacing: &Replacing,
) -> Result<IngestReport> {
    // Parquet files (by their magic number, or all with --format parquet) become
    // interchange JSON lines in a temporary file first.
    let parquet = opts.format.as_deref() == Some("parquet");
    let converted = tempfile::tempdir()?;
    let inputs =
        crate::parquet_in::convert(inputs, opts.map.as_deref(), parquet, converted.path()).await?;
    let forced: Option<Arc<dyn Format>> = match &opts.format {
        None => None,
        Some(name) if name == "auto" => None,
        Some(name) if name == "parquet" => Some(Arc::new(crate::interchange::Interchange)),
        Some(name) => Some(Arc::from(format_by_name(name).ok_or_else(|| {
            Error::UnknownFormat {
                name: name.clone(),
                known: format!("{}, parquet", format_names().join(", ")),
            }
        })?)),
    };
    let holder = holder_id();
    let mut waiting_for = None;
    let lease = loop {
        match lake.acquire_lease("ingest", &holder, opts.lease_ttl).await {
            Err(signals_lake::Error::LeaseHeld { holder: other, .. }) if opts.wait => {
                if waiting_for.as_ref() != Some(&other) {
                    eprintln!("waiting for the ingest lease held by {other}");
                    waiting_for = Some(other);
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            other => break other?,
        }
    };
    let took_over_from = lease.taken_over().map(|r| r.holder.clone());
    let result = ingest_locked(lake, inputs, forced, opts, replacing).await;
    lease.release().await?;
    result.map(|mut r| {
        r.took_over_from = took_over_from;
        r
    })
}

async fn ingest_locked(
    lake: &Lake,
    inputs: Vec<Input>,
    forced: Option<Arc<dyn Format>>,
    opts: &IngestOptions,
    replacing: &Replacing,
) -> Result<IngestReport> {
    let tmp = tempfile::Builder::new()
        .prefix("signals-ingest-")
        .tempdir()?;
    let mut report = IngestReport::default();

    // Pass 1 is synchronous parsing: keep it off the async workers.
    let (pass1, files, unrecognized, formats) = {
        let dir = tmp.path().to_path_buf();
        let now = opts.now;
        let progress = opts.progress;
        tokio::task::spawn_blocking(move || stage_inputs(&inputs, forced, &dir, now, progress))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    report.files = files;
    report.unrecognized = unrecognized;
    report.formats = formats;
    report.counts = pass1.counts.clone();
    report.sessions = pass1.sessions.len() as u64;
    report.quarantine_sample = pass1.quarantine.iter().take(10).cloned().collect();

    let ctx = lake.session_context().await?;
    let ingest_date = opts.now.date_naive();

    // Final date of every staged session, taking what the lake already holds into account.
    let existing = existing_sessions(&ctx, &pass1.sessions, replacing).await?;
    let mut dates: SessionMap<NaiveDate> =
        SessionMap::with_capacity_and_hasher(pass1.sessions.len(), Default::default());
    let mut moves: Vec<(String, NaiveDate, NaiveDate)> = Vec::new();
    for (id, state) in &pass1.sessions {
        let old = existing.get(id);
        let min_ts = match (state.min_ts, old.and_then(|o| o.1)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let date = min_ts
            .and_then(DateTime::from_timestamp_micros)
            .map(|t| t.date_naive())
            .or(old.map(|o| o.0))
            .unwrap_or(ingest_date);
        if let Some((old_date, _)) = old
            && *old_date != date
        {
            moves.push((id.clone(), *old_date, date));
        }
        dates.insert(id.clone(), date);
    }

    let staged_dir = tmp.path().join("staged");
    std::fs::create_dir_all(&staged_dir)?;
    let staged_dates = {
        let files = pass1.files.clone();
        let dir = staged_dir.clone();
        tokio::task::spawn_blocking(move || route_by_date(&files, &dates, &dir))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };

    register_parts(&ctx, "staged", &staged_dir)?;
    register_moves(&ctx, &moves)?;
    // Moved sessions' rows are copied out of their old partitions before any date is
    // rewritten: the merges run concurrently, and the old date's merge drops them.
    if !moves.is_empty() {
        let moved_dir = tmp.path().join("moved");
        std::fs::create_dir_all(&moved_dir)?;
        ctx.sql(&moved_events_sql(replacing))
            .await?
            .write_parquet(
                &format!("{}/", moved_dir.display()),
                DataFrameWriteOptions::new().with_partition_by(vec!["date".to_string()]),
                None,
            )
            .await?;
        register_parts(&ctx, "moved", &moved_dir)?;
    }
    let mut affected: BTreeSet<NaiveDate> = staged_dates.iter().copied().collect();
    affected.extend(moves.iter().map(|m| m.1));
    affected.extend(replacing.dates.iter().copied());

    let events_def = schema::events();
    let sessions_def = schema::sessions();
    let staged_set: BTreeSet<NaiveDate> = staged_dates.into_iter().collect();
    // Dates are independent, and merged a few at a time (see `parallel`).
    let jobs = affected.iter().map(|date| {
        let (ctx, moves, events_def, sessions_def) = (&ctx, &moves, &events_def, &sessions_def);
        let staged = staged_set.contains(date);
        async move {
            let sql = merge_events_sql(*date, moves, staged, replacing);
            let stream = first_per_key(ctx.sql(&sql).await?.execute_stream().await?);
            let events = lake.write_partition(events_def, *date, stream).await?;
            let df = ctx
                .sql(SESSIONS_SQL)
                .await?
                .with_param_values(vec![ScalarValue::from(date.to_string())])?;
            let stream = df.execute_stream().await?;
            let sessions = lake.write_partition(sessions_def, *date, stream).await?;
            Ok::<(u64, u64), Error>((events, sessions))
        }
    });
    // One more date than cores: a date's sort and its single-threaded Parquet
    // write leave a core idle part of the time.
    let parallel = std::thread::available_parallelism()
        .map_or(1, |n| n.get() + 1)
        .clamp(1, 5);
    let mut results = futures::stream::iter(jobs).buffer_unordered(parallel);
    while let Some(r) = futures::StreamExt::next(&mut results).await {
        let (events, sessions) = r?;
        report.events_in_partitions += events;
        report.sessions_in_partitions += sessions;
    }
    drop(results);
    report.dates = affected.into_iter().collect();

    if !pass1.quarantine.is_empty() {
        let batch = crate::model::quarantine_batch(&pass1.quarantine, opts.now.timestamp_micros());
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        ctx.register_table("new_quarantine", Arc::new(table))?;
        let sql = format!(
            "SELECT source_file, source_line, source_format, reason, raw, ingested_at FROM (
               SELECT *, row_number() OVER (PARTITION BY source_file, source_line, raw ORDER BY ingested_at DESC) AS _rn
               FROM (SELECT source_file, source_line, source_format, reason, raw, ingested_at FROM quarantine WHERE date = '{ingest_date}'
                     UNION ALL
                     SELECT source_file, source_line, source_format, reason, raw, ingested_at FROM new_quarantine))
             WHERE _rn = 1 ORDER BY source_file, source_line"
        );
        let stream = ctx.sql(&sql).await?.execute_stream().await?;
        lake.write_partition(&schema::quarantine(), ingest_date, stream)
            .await?;
    }
    Ok(report)
}

type Staged = (
    crate::stage::StagedPass1,
    u64,
    Vec<String>,
    BTreeMap<String, u64>,
);

fn stage_inputs(
    inputs: &[Input],
    forced: Option<Arc<dyn Format>>,
    dir: &std::path::Path,
    now: DateTime<Utc>,
    progress: bool,
) -> Result<Staged> {
    let total: u64 = inputs.iter().filter_map(Input::size).sum();
    let pb = if progress {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} ingest [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb
    } else {
        ProgressBar::hidden()
    };
    let mut stager = Stager::new(dir, now);
    let mut files = 0u64;
    let mut unrecognized = Vec::new();
    let mut formats: BTreeMap<String, u64> = BTreeMap::new();
    let mut done_bytes = 0u64;
    for input in inputs {
        let counter = ByteCounter::default();
        let name = input.name();
        let mut reader = match open(input, &counter) {
            Ok(r) => r,
            Err(e) => {
                stager.begin_file(&name, "unknown");
                stager.read_error(0, format!("cannot open: {e}"));
                continue;
            }
        };
        let format: Arc<dyn Format> = match &forced {
            Some(f) => Arc::clone(f),
            // Parquet rows as JSON lines: interchange, whatever the first row holds.
            None if matches!(input, Input::Converted { .. }) => {
                Arc::new(crate::interchange::Interchange)
            }
            None => {
                let head = peek(reader.as_mut(), 64 * 1024);
                let file_name = std::path::Path::new(&name)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                match detect(&file_name, &head) {
                    Some(f) => Arc::from(f),
                    None => {
                        unrecognized.push(name);
                        continue;
                    }
                }
            }
        };
        files += 1;
        *formats.entry(format.name().to_string()).or_default() += 1;
        stager.begin_file(&name, format.name());
        pb.set_message(name.clone());
        let mut sink = ProgressSink {
            inner: &mut stager,
            pb: &pb,
            counter: &counter,
            base: done_bytes,
            n: 0,
        };
        if let Err(e) = format.read(reader.as_mut(), &mut sink) {
            // A read error ends this file, not the ingest: what was read is kept.
            let line = match &e {
                Error::Read { line, .. } => *line,
                _ => 0,
            };
            stager.read_error(line, format!("reading stopped: {e}"));
        }
        done_bytes += input.size().unwrap_or(counter.get());
        pb.set_position(done_bytes);
    }
    pb.finish_and_clear();
    Ok((stager.finish()?, files, unrecognized, formats))
}

/// Forwards to the stager and moves the progress bar every few thousand records.
struct ProgressSink<'a> {
    inner: &'a mut Stager,
    pb: &'a ProgressBar,
    counter: &'a ByteCounter,
    base: u64,
    n: u64,
}

impl ProgressSink<'_> {
    fn tick(&mut self) {
        self.n += 1;
        if self.n.is_multiple_of(4096) {
            self.pb.set_position(self.base + self.counter.get());
        }
    }
}

impl crate::format::EventSink for ProgressSink<'_> {
    fn event(&mut self, event: crate::model::Event, line: i64) {
        self.inner.event(event, line);
        self.tick();
    }
    fn quarantine(&mut self, line: i64, reason: String, raw: &str) {
        self.inner.quarantine(line, reason, raw);
        self.tick();
    }
    fn skipped(&mut self, record_type: &str) {
        self.inner.skipped(record_type);
        self.tick();
    }
    fn source(&self) -> &str {
        self.inner.source()
    }
}

/// Sessions already in the lake among `staged`: id -> (date, earliest ts µs). The
/// earliest time leaves out the rows of replaced objects, which are about to go.
async fn existing_sessions(
    ctx: &SessionContext,
    staged: &SessionMap<crate::stage::SessionState>,
    replacing: &Replacing,
) -> Result<HashMap<String, (NaiveDate, Option<i64>)>> {
    if staged.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = StringArray::from_iter_values(staged.keys());
    let schema = Arc::new(Schema::new(vec![Field::new(
        "session_id",
        DataType::Utf8,
        false,
    )]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)])?;
    ctx.register_table(
        "staged_ids",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
    )?;
    let batches = ctx
        .sql(
            "SELECT s.session_id, s.date, s.started_at FROM sessions s
             JOIN staged_ids t ON s.session_id = t.session_id",
        )
        .await?
        .collect()
        .await?;
    let mut out = HashMap::new();
    for batch in batches {
        let ids = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let dates = arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let dates = dates.as_string::<i32>();
        let started = batch
            .column(2)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| Error::Internal("sessions.started_at is not µs".into()))?;
        for i in 0..batch.num_rows() {
            let date = signals_lake::parse_date(dates.value(i))?;
            let ts = started.is_valid(i).then(|| started.value(i));
            out.insert(ids.value(i).to_string(), (date, ts));
        }
    }
    if !replacing.dates.is_empty() {
        let dates = replacing
            .dates
            .iter()
            .map(|d| signals_lake::sql_literal(&d.to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        let batches = ctx
            .sql(&format!(
                "SELECT e.session_id, min(e.ts) FROM events e
                 JOIN staged_ids t ON e.session_id = t.session_id
                 WHERE e.date IN ({dates}){} GROUP BY e.session_id",
                replacing.filter("e.")
            ))
            .await?
            .collect()
            .await?;
        let mut remaining: HashMap<String, Option<i64>> = HashMap::new();
        for batch in batches {
            let ids = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
            let ids = ids.as_string::<i32>();
            let ts = batch
                .column(1)
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .ok_or_else(|| Error::Internal("events.ts is not µs".into()))?;
            for i in 0..batch.num_rows() {
                remaining.insert(
                    ids.value(i).to_string(),
                    ts.is_valid(i).then(|| ts.value(i)),
                );
            }
        }
        // A session in a date the replaced objects touched starts at its earliest
        // remaining row (none: only the new read dates it).
        for (id, (date, ts)) in out.iter_mut() {
            if replacing.dates.contains(date) {
                *ts = remaining.get(id).copied().flatten();
            }
        }
    }
    ctx.deregister_table("staged_ids")?;
    Ok(out)
}

/// Register the date-partitioned local Parquet files under `dir` as table `name`
/// (with the `events` file schema).
fn register_parts(ctx: &SessionContext, name: &str, dir: &std::path::Path) -> Result<()> {
    let url = ListingTableUrl::parse(format!("{}/", dir.display()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![("date".to_string(), DataType::Utf8)]);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema::events().file_schema());
    ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

fn register_moves(ctx: &SessionContext, moves: &[(String, NaiveDate, NaiveDate)]) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("session_id", DataType::Utf8, false),
        Field::new("old_date", DataType::Utf8, false),
        Field::new("new_date", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                moves.iter().map(|m| m.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                moves.iter().map(|m| m.1.to_string()),
            )),
            Arc::new(StringArray::from_iter_values(
                moves.iter().map(|m| m.2.to_string()),
            )),
        ],
    )?;
    ctx.register_table(
        "moves",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
    )?;
    Ok(())
}

/// The `events` file columns, quoted, each prefixed by `qualifier` (e.g. `e.`).
fn event_columns(qualifier: &str) -> String {
    schema::events()
        .columns
        .iter()
        .map(|c| format!("{qualifier}\"{}\"", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of every moved session, from its old partition, under its new date.
fn moved_events_sql(replacing: &Replacing) -> String {
    let cols = event_columns("e.");
    format!(
        "SELECT {cols}, m.new_date AS date FROM events e
         JOIN moves m ON e.session_id = m.session_id AND e.date = m.old_date{}",
        replacing.filter("e.")
    )
}

/// The query that produces the new content of one `events` partition.
///
/// Dates are formatted from `NaiveDate`s, never from user input.
fn merge_events_sql(
    date: NaiveDate,
    moves: &[(String, NaiveDate, NaiveDate)],
    staged: bool,
    replacing: &Replacing,
) -> String {
    let cols = event_columns("");
    let moved_out = moves.iter().any(|m| m.1 == date);
    let mut parts = vec![format!(
        "SELECT {cols}, 0 AS _prio FROM events WHERE date = '{date}'{}{}",
        replacing.filter(""),
        if moved_out {
            format!(
                " AND session_id NOT IN (SELECT session_id FROM moves WHERE old_date = '{date}')"
            )
        } else {
            String::new()
        }
    )];
    if moves.iter().any(|m| m.2 == date) {
        parts.push(format!(
            "SELECT {cols}, 0 AS _prio FROM moved WHERE date = '{date}'"
        ));
    }
    if staged {
        parts.push(format!(
            "SELECT {cols}, 1 AS _prio FROM staged WHERE date = '{date}'"
        ));
    }
    // Sorted so that each (session_id, seq)'s winner comes first: the staged
    // (newer) copy, then the latest ingested; `first_per_key` keeps it. (A
    // row_number() window does the same but hashes every key as a ScalarValue:
    // it was half of ingest's time.)
    format!(
        "SELECT {cols} FROM ({}) ORDER BY session_id, seq, _prio DESC, ingested_at DESC",
        parts.join("\n UNION ALL\n ")
    )
}

/// Keep the first row of each run of equal (session_id, seq) in a stream sorted
/// by them (the key may span batches).
fn first_per_key(
    stream: datafusion::execution::SendableRecordBatchStream,
) -> datafusion::execution::SendableRecordBatchStream {
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::StreamExt;
    let schema = stream.schema();
    let mut last: Option<(String, i64)> = None;
    let deduped = stream.map(move |batch| {
        let batch = batch?;
        let ids = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let seq = arrow::compute::cast(batch.column(1), &DataType::Int64)?;
        let seq = seq.as_primitive::<arrow::datatypes::Int64Type>();
        let mut keep = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let (id, n) = (ids.value(i), seq.value(i));
            let same = last.as_ref().is_some_and(|(l, s)| *s == n && l == id);
            keep.push(!same);
            if !same {
                match &mut last {
                    Some((l, s)) => {
                        l.clear();
                        l.push_str(id);
                        *s = n;
                    }
                    None => last = Some((id.to_string(), n)),
                }
            }
        }
        if keep.iter().all(|k| *k) {
            return Ok(batch);
        }
        Ok(arrow::compute::filter_record_batch(
            &batch,
            &arrow::array::BooleanArray::from(keep),
        )?)
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, deduped))
}
