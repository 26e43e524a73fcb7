//! The landing zone: sessions land as objects under a prefix — a local directory,
//! `s3://`, `gs://` or `az://`, with a glob within it — and each `signals ingest
//! URL` lists the prefix and reads only what arrived or changed since the last one.
//! What was read is the manifest table `ingested_files` (path, size, ETag,
//! version, when, which dates, outcome), so each object version is ingested once:
//! the daily run costs what arrived, not the history.
//!
//! A changed object (same path, new ETag or size) is read again and replaces what
//! its earlier versions gave: their rows are dropped from the dates the manifest
//! says they touched, then the new version is merged, so a session the new version
//! no longer holds (or holds shorter) is gone (or shorter). Rows other objects gave
//! the same sessions stay. Logs that agents append to — the usual case — come out
//! exactly as a fresh read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use object_store::{ObjectMeta, ObjectStoreExt};
use signals_lake::{Lake, schema};

use crate::input::Input;
use crate::{Error, IngestOptions, IngestReport, Replacing, Result, ingest_replacing};

/// What a landing-zone ingest did.
#[derive(Debug, Clone, Default)]
pub struct LandReport {
    /// Objects under the prefix that match its glob.
    pub listed: u64,
    /// Of them, never read before.
    pub new: u64,
    /// Of them, read before but changed since (another ETag or size).
    pub changed: u64,
    /// Of them, read before as they are: skipped.
    pub unchanged: u64,
    /// The ingest of the new and changed ones (`None` when there were none).
    pub ingest: Option<IngestReport>,
}

/// Whether an input names a store prefix (a URL) rather than a local path.
pub fn is_source_url(input: &str) -> bool {
    input.contains("://")
}

/// A source URL split at its first segment with a glob character: the prefix to
/// list, and the pattern objects' paths under it must match (`None`: all).
fn split_glob(source: &str) -> (String, Option<glob::Pattern>) {
    let (scheme, rest) = source.split_once("://").unwrap_or(("", source));
    let parts: Vec<&str> = rest.split('/').collect();
    // The bucket (the first part) is never a pattern.
    match parts
        .iter()
        .skip(1)
        .position(|p| p.contains(['*', '?', '[']))
    {
        Some(k) => {
            let at = k + 1;
            let base = format!("{scheme}://{}", parts[..at].join("/"));
            let pattern = parts[at..].join("/");
            (base, glob::Pattern::new(&pattern).ok())
        }
        None => (source.trim_end_matches('/').to_string(), None),
    }
}

/// The manifest key of an object version: its ETag where the store gives one,
/// else its size and modification time.
fn version_key(e_tag: Option<&str>, size: i64, modified: i64) -> String {
    match e_tag {
        Some(t) => format!("etag:{t}"),
        None => format!("size:{size}:{modified}"),
    }
}

/// Ingest what is new under `source` into `lake`, once per object version.
pub async fn land(lake: &Lake, source: &str, opts: &IngestOptions) -> Result<LandReport> {
    let (base, pattern) = split_glob(source);
    let src = Lake::open(&base)?;
    let objects = list_objects(&src, &base, pattern.as_ref()).await?;

    // What the manifest has: path -> the versions read and the dates they touched.
    let seen = manifest(lake).await?;
    let mut report = LandReport {
        listed: objects.len() as u64,
        ..LandReport::default()
    };
    let mut todo: Vec<(ObjectMeta, String, bool)> = Vec::new();
    for (m, url) in objects {
        let key = version_key(
            m.e_tag.as_deref(),
            m.size as i64,
            m.last_modified.timestamp_micros(),
        );
        match seen.get(&url) {
            Some(s) if s.keys.contains(&key) => report.unchanged += 1,
            Some(_) => {
                report.changed += 1;
                todo.push((m, url, true));
            }
            None => {
                report.new += 1;
                todo.push((m, url, false));
            }
        }
    }
    tracing::info!(
        source,
        listed = report.listed,
        new = report.new,
        changed = report.changed,
        "landing zone listed"
    );
    if todo.is_empty() {
        return Ok(report);
    }
    let mut inputs = Vec::with_capacity(todo.len());
    for (m, url, _) in &todo {
        let got = src
            .store()
            .get(&m.location)
            .await
            .map_err(|e| Error::Input {
                path: url.clone(),
                reason: format!("reading the object: {e}"),
            })?;
        let bytes = got.bytes().await.map_err(|e| Error::Input {
            path: url.clone(),
            reason: format!("reading the object: {e}"),
        })?;
        tracing::debug!(object = %url, bytes = bytes.len(), "object read");
        inputs.push(Input::Bytes {
            name: url.clone(),
            bytes: bytes.to_vec(),
        });
    }
    let mut replacing = Replacing::default();
    for (_, url, changed) in &todo {
        if *changed && let Some(s) = seen.get(url) {
            replacing.sources.insert(url.clone());
            replacing.dates.extend(s.dates.iter().copied());
        }
    }
    let r = ingest_replacing(lake, inputs, opts, &replacing).await?;
    let touched = dates_touched(lake, &todo, &r).await?;
    record(lake, source, &todo, &r, &touched, opts.now).await?;
    report.ingest = Some(r);
    Ok(report)
}

/// The objects under `src` whose paths (relative to it) match `pattern`, each
/// with its URL, in path order. Hidden and temporary objects (`.part`,
/// `_SUCCESS`) are not sessions and are left out.
async fn list_objects(
    src: &Lake,
    base: &str,
    pattern: Option<&glob::Pattern>,
) -> Result<Vec<(ObjectMeta, String)>> {
    let root = src.path("");
    let mut out = Vec::new();
    let mut list = src.store().list(Some(&root));
    while let Some(meta) = list.next().await {
        let meta = meta.map_err(|e| Error::Input {
            path: base.to_string(),
            reason: format!("listing the landing zone: {e}"),
        })?;
        let rel = relative(&root, &meta);
        let name = rel.rsplit('/').next().unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if pattern.is_none_or(|p| p.matches(&rel)) {
            let url = format!("{}/{rel}", src.url().as_str().trim_end_matches('/'));
            out.push((meta, url));
        }
    }
    out.sort_by(|a, b| a.0.location.cmp(&b.0.location));
    Ok(out)
}

/// An object's path relative to the listed root.
fn relative(root: &object_store::path::Path, meta: &ObjectMeta) -> String {
    meta.location
        .as_ref()
        .strip_prefix(root.as_ref())
        .unwrap_or(meta.location.as_ref())
        .trim_start_matches('/')
        .to_string()
}

/// What the manifest holds of one object.
#[derive(Debug, Default)]
struct Seen {
    /// The version keys already read.
    keys: BTreeSet<String>,
    /// The dates any of them touched.
    dates: BTreeSet<NaiveDate>,
}

/// The manifest: each object URL with what was read of it.
async fn manifest(lake: &Lake) -> Result<BTreeMap<String, Seen>> {
    let mut out: BTreeMap<String, Seen> = BTreeMap::new();
    if lake.partitions("ingested_files").await?.is_empty() {
        return Ok(out);
    }
    let ctx = lake.session_context().await?;
    let batches = ctx
        .sql(
            "SELECT path, e_tag, size, CAST(date_part('epoch', last_modified) * 1000000 AS BIGINT) AS modified, \
             coalesce(dates, '') AS dates FROM ingested_files",
        )
        .await?
        .collect()
        .await?;
    for b in batches {
        let path = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let tag = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::Utf8)?;
        let size = arrow::compute::cast(b.column(2), &arrow::datatypes::DataType::Int64)?;
        let modified = arrow::compute::cast(b.column(3), &arrow::datatypes::DataType::Int64)?;
        let dates = arrow::compute::cast(b.column(4), &arrow::datatypes::DataType::Utf8)?;
        let dates = dates.as_any().downcast_ref::<StringArray>().expect("utf8");
        let (path, tag) = (
            path.as_any().downcast_ref::<StringArray>().expect("utf8"),
            tag.as_any().downcast_ref::<StringArray>().expect("utf8"),
        );
        let (size, modified) = (
            size.as_any().downcast_ref::<Int64Array>().expect("i64"),
            modified.as_any().downcast_ref::<Int64Array>().expect("i64"),
        );
        use arrow::array::Array;
        for i in 0..b.num_rows() {
            let key = version_key(
                tag.is_valid(i).then(|| tag.value(i)),
                size.value(i),
                modified.value(i),
            );
            let seen = out.entry(path.value(i).to_string()).or_default();
            seen.keys.insert(key);
            for d in dates.value(i).split(',').filter(|d| !d.is_empty()) {
                seen.dates.insert(signals_lake::parse_date(d)?);
            }
        }
    }
    Ok(out)
}

/// The dates of `events` that rows of each object just read are in (read from
/// the partitions the ingest rewrote).
async fn dates_touched(
    lake: &Lake,
    read: &[(ObjectMeta, String, bool)],
    r: &IngestReport,
) -> Result<BTreeMap<String, BTreeSet<NaiveDate>>> {
    let mut out: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
    if r.dates.is_empty() || read.is_empty() {
        return Ok(out);
    }
    let quote = signals_lake::sql_literal;
    let dates: Vec<String> = r.dates.iter().map(|d| quote(&d.to_string())).collect();
    let names: Vec<String> = read.iter().map(|(_, u, _)| quote(u)).collect();
    let ctx = lake.session_context().await?;
    let batches = ctx
        .sql(&format!(
            "SELECT DISTINCT source_file, date FROM events \
             WHERE date IN ({}) AND source_file IN ({})",
            dates.join(", "),
            names.join(", ")
        ))
        .await?
        .collect()
        .await?;
    for b in batches {
        let file = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let file = file.as_any().downcast_ref::<StringArray>().expect("utf8");
        let date = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::Utf8)?;
        let date = date.as_any().downcast_ref::<StringArray>().expect("utf8");
        for i in 0..b.num_rows() {
            out.entry(file.value(i).to_string())
                .or_default()
                .insert(signals_lake::parse_date(date.value(i))?);
        }
    }
    Ok(out)
}

/// Add the objects just read to the manifest (the ingest date's partition).
async fn record(
    lake: &Lake,
    source: &str,
    read: &[(ObjectMeta, String, bool)],
    r: &IngestReport,
    touched: &BTreeMap<String, BTreeSet<NaiveDate>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let def = schema::ingested_files();
    let day = now.date_naive();
    let batch = manifest_batch(source, read, r, touched, now)?;
    // The day's partition keeps what earlier ingests of the day recorded.
    let mut batches = Vec::new();
    if lake.partitions("ingested_files").await?.contains(&day) {
        let ctx = lake.session_context().await?;
        batches = ctx
            .sql(&format!(
                "SELECT * EXCLUDE (date) FROM ingested_files WHERE date = '{day}'"
            ))
            .await?
            .collect()
            .await?;
        batches = batches
            .iter()
            .map(|b| signals_lake::conform(&def, b))
            .collect::<std::result::Result<_, _>>()?;
    }
    batches.push(batch);
    lake.write_partition_batches(&def, day, batches).await?;
    Ok(())
}

/// The manifest rows of the objects one ingest read.
fn manifest_batch(
    source: &str,
    read: &[(ObjectMeta, String, bool)],
    r: &IngestReport,
    touched: &BTreeMap<String, BTreeSet<NaiveDate>>,
    now: DateTime<Utc>,
) -> Result<RecordBatch> {
    let dates = |url: &str| {
        touched.get(url).map(|ds| {
            ds.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let unrecognized: BTreeSet<&str> = r.unrecognized.iter().map(String::as_str).collect();
    let n = read.len();
    let outcome = |url: &str, changed: bool| {
        if unrecognized.contains(url) {
            "unrecognized"
        } else if changed {
            "reingested"
        } else {
            "ingested"
        }
    };
    let ts = |v: Vec<i64>| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
    };
    Ok(RecordBatch::try_new(
        schema::ingested_files().file_schema(),
        vec![
            Arc::new(StringArray::from(vec![source.to_string(); n])),
            Arc::new(StringArray::from_iter_values(
                read.iter().map(|(_, u, _)| u.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(
                read.iter().map(|(m, _, _)| m.size as i64),
            )),
            Arc::new(StringArray::from_iter(
                read.iter().map(|(m, _, _)| m.e_tag.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                read.iter().map(|(m, _, _)| m.version.as_deref()),
            )),
            ts(read
                .iter()
                .map(|(m, _, _)| m.last_modified.timestamp_micros())
                .collect()),
            ts(vec![now.timestamp_micros(); n]),
            Arc::new(StringArray::from_iter_values(
                read.iter().map(|(_, u, c)| outcome(u, *c)),
            )),
            Arc::new(StringArray::from_iter_values(
                read.iter().map(|(_, u, _)| dates(u).unwrap_or_default()),
            )),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_splits_off_the_prefix_it_lists() {
        let (base, p) = split_glob("s3://bucket/landing/2026-*/*.jsonl.gz");
        assert_eq!(base, "s3://bucket/landing");
        let p = p.unwrap();
        assert!(p.matches("2026-11-20/a.jsonl.gz") && !p.matches("2025-01-01/a.jsonl.gz"));
        assert_eq!(split_glob("gs://b/landing/").0, "gs://b/landing");
        assert!(split_glob("gs://b/landing/").1.is_none());
        assert!(is_source_url("az://c/x") && !is_source_url("data/sessions"));
    }
}
