//! Pass 1 of an ingest: stream every input into local staging Parquet files, resolving
//! seq and timestamps per session and collecting quarantined lines.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use signals_lake::schema;

use crate::Result;
use crate::format::EventSink;
use crate::model::{Event, EventBatchBuilder, Provenance, QuarantineRow, cut_raw};

/// Rows per staged batch; bounds memory together with [`FLUSH_BYTES`].
const FLUSH_ROWS: usize = 16 * 1024;
const FLUSH_BYTES: usize = 32 * 1024 * 1024;
/// Rows per row group of the pass-1 files (the unit pass 2 is parallel over).
const PASS1_GROUP_ROWS: usize = 128 * 1024;

/// A map keyed by session id, with a fast (non-DoS-resistant) hasher: ingest
/// looks a session up for every event, and SipHash showed in its profile.
pub type SessionMap<V> = HashMap<String, V, ahash::RandomState>;

/// What the ingest knows of one session while streaming.
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    next_seq: i64,
    last_ts: Option<i64>,
    /// Earliest timestamp seen (µs).
    pub min_ts: Option<i64>,
}

/// Counters of a pass over the inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageCounts {
    /// Non-blank lines (or records) read.
    pub lines: u64,
    /// Events staged.
    pub events: u64,
    /// Lines quarantined.
    pub quarantined: u64,
    /// Records of unmapped types, by type.
    pub skipped: BTreeMap<String, u64>,
}

/// Staging writer: implements [`EventSink`] for the format readers.
pub struct Stager {
    dir: PathBuf,
    ingested_at: i64,
    builder: EventBatchBuilder,
    /// Batches go to a writer thread, so that Parquet encoding runs beside parsing.
    writer: Option<BatchWriter>,
    files: Vec<PathBuf>,
    /// Per-session state, keyed by session id.
    pub sessions: SessionMap<SessionState>,
    /// Quarantined lines.
    pub quarantine: Vec<QuarantineRow>,
    /// Counters.
    pub counts: StageCounts,
    file: String,
    format: String,
    error: Option<crate::Error>,
}

impl Stager {
    /// A stager writing into `dir`.
    pub fn new(dir: &Path, ingested_at: DateTime<Utc>) -> Self {
        Self {
            dir: dir.to_path_buf(),
            ingested_at: ingested_at.timestamp_micros(),
            builder: EventBatchBuilder::new(),
            writer: None,
            files: Vec::new(),
            sessions: SessionMap::default(),
            quarantine: Vec::new(),
            counts: StageCounts::default(),
            file: String::new(),
            format: String::new(),
            error: None,
        }
    }

    /// Set the file and format that following events come from.
    pub fn begin_file(&mut self, file: &str, format: &str) {
        self.file = file.to_string();
        self.format = format.to_string();
    }

    fn flush(&mut self) -> Result<()> {
        if self.builder.is_empty() {
            return Ok(());
        }
        let batch = self.builder.finish();
        if self.writer.is_none() {
            let path = self.dir.join(format!("pass1-{}.parquet", self.files.len()));
            self.writer = Some(BatchWriter::spawn(&path, batch.schema())?);
            self.files.push(path);
        }
        match self.writer.as_mut() {
            Some(w) => w.send(batch),
            None => Ok(()),
        }
    }

    /// Flush and close; returns the staged files.
    pub fn finish(mut self) -> Result<StagedPass1> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.flush()?;
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(StagedPass1 {
            files: self.files,
            sessions: self.sessions,
            quarantine: self.quarantine,
            counts: self.counts,
        })
    }

    /// Record that a whole file could not be read past `line`.
    pub fn read_error(&mut self, line: i64, reason: String) {
        self.quarantine(line, reason, "");
    }
}

impl EventSink for Stager {
    fn event(&mut self, event: Event, line: i64) {
        self.counts.lines += 1;
        self.counts.events += 1;
        // Most events belong to a session already seen: no key copy for them.
        if !self.sessions.contains_key(&event.session_id) {
            self.sessions
                .insert(event.session_id.clone(), SessionState::default());
        }
        let state = self
            .sessions
            .get_mut(&event.session_id)
            .expect("inserted above");
        let seq = event.seq.unwrap_or(state.next_seq);
        state.next_seq = state.next_seq.max(seq + 1);
        let ts = event.ts.map(|t| t.timestamp_micros()).or(state.last_ts);
        if ts.is_some() {
            state.last_ts = ts;
        }
        if let Some(t) = ts {
            state.min_ts = Some(state.min_ts.map_or(t, |m| m.min(t)));
        }
        let from = Provenance {
            format: &self.format,
            file: &self.file,
            line,
        };
        self.builder
            .append(&event, seq, ts, &from, self.ingested_at);
        if (self.builder.len() >= FLUSH_ROWS || self.builder.approx_bytes() >= FLUSH_BYTES)
            && self.error.is_none()
            && let Err(e) = self.flush()
        {
            self.error = Some(e);
        }
    }

    fn quarantine(&mut self, line: i64, reason: String, raw: &str) {
        self.counts.lines += 1;
        self.counts.quarantined += 1;
        self.quarantine.push(QuarantineRow {
            file: self.file.clone(),
            line,
            format: self.format.clone(),
            reason,
            raw: cut_raw(raw),
        });
    }

    fn source(&self) -> &str {
        &self.file
    }

    fn skipped(&mut self, record_type: &str) {
        self.counts.lines += 1;
        *self
            .counts
            .skipped
            .entry(record_type.to_string())
            .or_default() += 1;
    }
}

/// Writer properties of the local staging files: uncompressed (they are read
/// back once, right away), with row groups of `group_rows`.
fn staging_props(group_rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_max_row_group_row_count(Some(group_rows))
        .build()
}

/// A Parquet file written on its own thread from batches sent to it.
struct BatchWriter {
    tx: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    handle: Option<std::thread::JoinHandle<Result<()>>>,
}

impl BatchWriter {
    fn spawn(path: &Path, schema: arrow::datatypes::SchemaRef) -> Result<Self> {
        // Row groups of PASS1_GROUP_ROWS let pass 2 split the work over the cores.
        let mut writer = ArrowWriter::try_new(
            File::create(path)?,
            schema,
            Some(staging_props(PASS1_GROUP_ROWS)),
        )?;
        // Two batches in flight bound the memory (FLUSH_BYTES each at most).
        let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let handle = std::thread::spawn(move || {
            for batch in rx {
                writer.write(&batch)?;
            }
            writer.close()?;
            Ok(())
        });
        Ok(Self {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    fn send(&mut self, batch: RecordBatch) -> Result<()> {
        match self.tx.as_ref().map(|tx| tx.send(batch)) {
            Some(Ok(())) => Ok(()),
            // The writer thread stopped: report its error.
            _ => self.join(),
        }
    }

    fn join(&mut self) -> Result<()> {
        self.tx = None;
        match self.handle.take().map(std::thread::JoinHandle::join) {
            None => Err(crate::Error::Internal(
                "staging writer already closed".into(),
            )),
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(crate::Error::Internal("staging writer panicked".into())),
        }
    }

    fn close(mut self) -> Result<()> {
        self.join()
    }
}

/// The result of pass 1.
pub struct StagedPass1 {
    /// Staged Parquet files (events file schema).
    pub files: Vec<PathBuf>,
    /// Sessions seen.
    pub sessions: SessionMap<SessionState>,
    /// Quarantined lines.
    pub quarantine: Vec<QuarantineRow>,
    /// Counters.
    pub counts: StageCounts,
}

/// Pass 2: route staged rows into `dir/date=D/` by each session's final date.
pub fn route_by_date(
    pass1: &[PathBuf],
    dates: &SessionMap<NaiveDate>,
    dir: &Path,
) -> Result<Vec<NaiveDate>> {
    use parquet::file::reader::{FileReader, SerializedFileReader};

    // Row groups are independent: split them over the cores, each worker writing
    // its own file per date (the merge reads every file of a date directory).
    let mut groups: Vec<(&PathBuf, usize)> = Vec::new();
    for file in pass1 {
        let n = SerializedFileReader::new(File::open(file)?)?
            .metadata()
            .num_row_groups();
        groups.extend((0..n).map(|g| (file, g)));
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, groups.len().max(1));
    let results: Vec<Result<Vec<NaiveDate>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<(&PathBuf, usize)> =
                    groups.iter().skip(w).step_by(workers).copied().collect();
                scope.spawn(move || route_groups(&mine, dates, dir, w))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::Error::Internal("route worker panicked".into())))
            })
            .collect()
    });
    let mut all = std::collections::BTreeSet::new();
    for r in results {
        all.extend(r?);
    }
    Ok(all.into_iter().collect())
}

/// Route the given row groups of pass-1 files into `dir/date=D/part-<worker>.parquet`.
fn route_groups(
    groups: &[(&PathBuf, usize)],
    dates: &SessionMap<NaiveDate>,
    dir: &Path,
    worker: usize,
) -> Result<Vec<NaiveDate>> {
    use arrow::array::{AsArray, UInt32Array};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let schema = schema::events().file_schema();
    let mut writers: BTreeMap<NaiveDate, ArrowWriter<File>> = BTreeMap::new();
    for (file, group) in groups {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file)?)?
            .with_row_groups(vec![*group])
            .with_batch_size(8192)
            .build()?;
        for batch in reader {
            let batch: RecordBatch = batch?;
            let ids = batch.column(0).as_string::<i32>();
            let mut by_date: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
            for (i, id) in ids.iter().enumerate() {
                let date = dates[id.unwrap_or_default()];
                by_date.entry(date).or_default().push(i as u32);
            }
            for (date, idx) in by_date {
                let idx = UInt32Array::from(idx);
                let cols = batch
                    .columns()
                    .iter()
                    .map(|c| arrow::compute::take(c, &idx, None))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let part = RecordBatch::try_new(schema.clone(), cols)?;
                let writer = match writers.entry(date) {
                    std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::btree_map::Entry::Vacant(v) => {
                        let d = dir.join(format!("date={date}"));
                        std::fs::create_dir_all(&d)?;
                        v.insert(ArrowWriter::try_new(
                            File::create(d.join(format!("part-{worker}.parquet")))?,
                            schema.clone(),
                            Some(staging_props(FLUSH_ROWS)),
                        )?)
                    }
                };
                writer.write(&part)?;
            }
        }
    }
    let dates: Vec<NaiveDate> = writers.keys().copied().collect();
    for (_, w) in writers {
        w.close()?;
    }
    Ok(dates)
}
