//! A lake: a URL naming an object store prefix, holding Hive-partitioned Parquet tables.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, new_null_array};
use arrow::compute::cast;
use chrono::NaiveDate;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::WriterProperties;
use url::Url;

use crate::schema::{self, DATE_COLUMN, MAX_CLUSTER_GROUPS, TableDef, all_tables};
use crate::sqltext::tables_read;
use crate::{Error, Result};

/// The file name of a partition's single data object.
pub const PART_FILE: &str = "part-00000.parquet";

/// Environment variable naming the lake, used by every command.
pub const LAKE_ENV: &str = "SIGNALS_LAKE";

/// Default lake location, relative to the working directory.
pub const DEFAULT_LAKE: &str = "./data/lake";

/// A lake of Parquet tables in an object store.
#[derive(Debug, Clone)]
pub struct Lake {
    url: Url,
    store: Arc<dyn ObjectStore>,
    root: Path,
    /// Shared by every session of this lake, like a database connection's caches:
    /// Parquet footers and file statistics read once serve later queries.
    runtime: Arc<RuntimeEnv>,
}

/// How every Parquet file of the lake is written: zstd, row groups of 256k rows,
/// and who wrote it.
fn writer_properties() -> Result<parquet::file::properties::WriterPropertiesBuilder> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(256 * 1024))
        .set_created_by(format!("agent-signals {}", env!("CARGO_PKG_VERSION"))))
}

impl Lake {
    /// Open a lake from a URL: a plain path, `file://`, `memory://`, `s3://bucket/prefix`,
    /// `gs://bucket/prefix` or `az://container/prefix` (also `abfs(s)://`). Cloud
    /// credentials and endpoints come from the usual environment variables
    /// (`AWS_*`, `GOOGLE_*`, `AZURE_*`).
    pub fn open(location: &str) -> Result<Self> {
        Self::open_with(location, std::iter::empty::<(String, String)>())
    }

    /// Like [`Lake::open`], with object store options (e.g. `aws_endpoint`,
    /// `aws_allow_http`) on top of those from the environment.
    pub fn open_with(
        location: &str,
        options: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let options: Vec<(String, String)> = options.into_iter().collect();
        let invalid = |reason: String| Error::InvalidUrl {
            url: location.to_string(),
            reason,
        };
        let location = location.trim();
        if location.is_empty() {
            return Err(invalid("empty".into()));
        }
        let has_scheme = location.contains("://");
        if !has_scheme || location.starts_with("file://") {
            let raw = location.strip_prefix("file://").unwrap_or(location);
            let abs = std::path::absolute(raw).map_err(|e| invalid(e.to_string()))?;
            let url = Url::from_directory_path(&abs)
                .map_err(|_| invalid("not an absolute path".into()))?;
            let root = Path::from_absolute_path(&abs).map_err(|e| invalid(e.to_string()))?;
            return Self::new(url, Arc::new(LocalFileSystem::new()), root);
        }
        let mut url = Url::parse(location).map_err(|e| invalid(e.to_string()))?;
        if !url.path().ends_with('/') {
            let p = format!("{}/", url.path());
            url.set_path(&p);
        }
        let root = Path::from_url_path(url.path()).map_err(|e| invalid(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "memory" => Arc::new(InMemory::new()),
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_url(url.as_str());
                for (k, v) in &options {
                    b = b.with_config(
                        k.parse()
                            .map_err(|e: object_store::Error| invalid(e.to_string()))?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| invalid(e.to_string()))?)
            }
            "gs" => {
                let mut b =
                    object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url.as_str());
                for (k, v) in &options {
                    b = b.with_config(
                        k.parse()
                            .map_err(|e: object_store::Error| invalid(e.to_string()))?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| invalid(e.to_string()))?)
            }
            "az" | "abfs" | "abfss" | "azure" => {
                let mut b =
                    object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url.as_str());
                for (k, v) in &options {
                    b = b.with_config(
                        k.parse()
                            .map_err(|e: object_store::Error| invalid(e.to_string()))?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| invalid(e.to_string()))?)
            }
            other => {
                return Err(invalid(format!(
                    "unsupported scheme {other:?}; use a path, file://, memory://, s3://, gs:// or az://"
                )));
            }
        };
        Self::new(url, store, root)
    }

    /// Open a lake on an existing object store (tests, embedding).
    pub fn with_store(url: Url, store: Arc<dyn ObjectStore>) -> Result<Self> {
        let root = Path::from_url_path(url.path()).map_err(|e| Error::InvalidUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        Self::new(url, store, root)
    }

    /// Every constructor ends here: the lake's sessions share one runtime.
    fn new(url: Url, store: Arc<dyn ObjectStore>, root: Path) -> Result<Self> {
        Ok(Self {
            url,
            store,
            root,
            runtime: runtime()?,
        })
    }

    /// The lake's root URL (always ends with `/`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The object store behind the lake.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Object path of `rel` below the lake root.
    pub fn path(&self, rel: &str) -> Path {
        let mut p = self.root.clone();
        for part in rel.split('/').filter(|s| !s.is_empty()) {
            p = p.join(part);
        }
        p
    }

    /// Object path of a table partition's data file.
    pub fn partition_file(&self, table: &str, date: NaiveDate) -> Path {
        self.path(&format!("{table}/{DATE_COLUMN}={date}/{PART_FILE}"))
    }

    /// Add `batch` to a date's partition as a file of its own (`append-<name>.parquet`)
    /// instead of replacing the partition: for append-only logs written by many
    /// processes at once (the live hook's `interventions`). Returns the file's path.
    pub async fn append_to_partition(
        &self,
        table: &TableDef,
        date: NaiveDate,
        name: &str,
        batch: &RecordBatch,
    ) -> Result<Path> {
        let batch = conform(table, batch)?;
        let mut buf = Vec::new();
        {
            let props = writer_properties()?.build();
            let mut w =
                parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
            w.write(&batch)?;
            w.close()?;
        }
        let file = self.path(&format!(
            "{}/{DATE_COLUMN}={date}/append-{name}.parquet",
            table.name
        ));
        self.store.put(&file, buf.into()).await?;
        Ok(file)
    }

    /// URL of a table directory, as DataFusion lists it.
    pub fn table_url(&self, table: &str) -> Result<ListingTableUrl> {
        let u = self
            .url
            .join(&format!("{table}/"))
            .map_err(|e| Error::InvalidUrl {
                url: self.url.to_string(),
                reason: e.to_string(),
            })?;
        Ok(ListingTableUrl::parse(u.as_str())?)
    }

    /// Dates that have a partition of `table`, sorted.
    pub async fn partitions(&self, table: &str) -> Result<Vec<NaiveDate>> {
        let prefix = self.path(table);
        let listing = match self.store.list_with_delimiter(Some(&prefix)).await {
            Ok(l) => l,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut dates: Vec<NaiveDate> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename())
            .filter_map(|name| name.strip_prefix(&format!("{DATE_COLUMN}=")))
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect();
        dates.sort();
        Ok(dates)
    }

    /// Replace the partition `date` of `table` with the batches of `stream`.
    ///
    /// The partition is one object written by a single atomic PUT, or by a multipart
    /// upload that the store commits atomically on completion, so readers see either
    /// the old partition or the new one, never a mix, and writing the same partition
    /// twice replaces it. Returns the number of rows written. An empty stream writes an
    /// empty partition (which still replaces what was there).
    pub async fn write_partition(
        &self,
        table: &TableDef,
        date: NaiveDate,
        mut stream: SendableRecordBatchStream,
    ) -> Result<u64> {
        let schema = table.file_schema();
        let mut props = writer_properties()?;
        let sort = cluster_keys(table, &schema)?;
        if !sort.is_empty() {
            props = props.set_sorting_columns(Some(
                sort.iter()
                    .map(|&i| SortingColumn {
                        column_idx: i as i32,
                        descending: false,
                        nulls_first: false,
                    })
                    .collect(),
            ));
        }
        // BufWriter does one PUT for small files and a multipart upload for large ones;
        // both become visible atomically when the writer is closed.
        let file = self.partition_file(table.name, date);
        let object = object_store::buffered::BufWriter::new(Arc::clone(&self.store), file.clone());
        let mut writer =
            AsyncArrowWriter::try_new(object, Arc::clone(&schema), Some(props.build()))?;
        let mut rows = 0u64;
        if sort.is_empty() {
            while let Some(batch) = stream.next().await {
                let batch = conform(table, &batch?)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).await?;
            }
        } else {
            // A clustered table is sorted as a whole partition: only the judges'
            // outputs are clustered, and a day of them fits in memory.
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                batches.push(conform(table, &batch?)?);
            }
            let all = arrow::compute::concat_batches(&schema, &batches)?;
            drop(batches);
            rows = all.num_rows() as u64;
            let all = sorted(&all, &sort)?;
            let runs = arrow::compute::partition(&[Arc::clone(all.column(sort[0]))])?;
            if runs.len() <= MAX_CLUSTER_GROUPS {
                for run in runs.ranges() {
                    writer
                        .write(&all.slice(run.start, run.end - run.start))
                        .await?;
                    writer.flush().await?;
                }
            } else {
                writer.write(&all).await?;
            }
        }
        writer.close().await?;
        self.forget(&file);
        tracing::debug!(table = table.name, %date, rows, "partition written");
        Ok(rows)
    }

    /// The JSON document at `rel` in the lake (a ledger, a run's state), or
    /// `None` when there is none.
    pub async fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &str) -> Result<Option<T>> {
        match self.store.get(&self.path(rel)).await {
            Ok(r) => Ok(Some(serde_json::from_slice(&r.bytes().await?)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Write `value` as JSON at `rel` (one PUT: a reader sees the old document
    /// or the new one).
    pub async fn write_json<T: serde::Serialize>(&self, rel: &str, value: &T) -> Result<()> {
        let body = serde_json::to_vec_pretty(value)?;
        self.store
            .put(&self.path(rel), object_store::PutPayload::from(body))
            .await?;
        Ok(())
    }

    /// Every `*.json` document under `rel`: its path and bytes.
    pub async fn json_documents(&self, rel: &str) -> Result<Vec<(String, bytes::Bytes)>> {
        let metas: Vec<_> = self.store.list(Some(&self.path(rel))).try_collect().await?;
        let mut out = Vec::new();
        for m in metas {
            if m.location.as_ref().ends_with(".json") {
                let bytes = self.store.get(&m.location).await?.bytes().await?;
                out.push((m.location.to_string(), bytes));
            }
        }
        Ok(out)
    }

    /// Drop what this lake's sessions cached of a partition file just replaced or
    /// removed. (Writes by other processes are caught by the caches' own check of
    /// size and modification time; this also covers a rewrite within the store's
    /// timestamp resolution.)
    fn forget(&self, file: &Path) {
        let caches = &self.runtime.cache_manager;
        caches.get_file_metadata_cache().remove(file);
        // Statistics are keyed by the table's registration as well as the path, so
        // this file's entries cannot be named here: all go, and the next query
        // rebuilds those it needs.
        if let Some(statistics) = caches.get_file_statistic_cache() {
            statistics.clear();
        }
    }

    /// Replace a partition with in-memory batches (see [`Lake::write_partition`]).
    pub async fn write_partition_batches(
        &self,
        table: &TableDef,
        date: NaiveDate,
        batches: Vec<RecordBatch>,
    ) -> Result<u64> {
        let schema = batches
            .first()
            .map(|b| b.schema())
            .unwrap_or_else(|| table.file_schema());
        let stream = futures::stream::iter(batches.into_iter().map(Ok));
        let stream = Box::pin(
            datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, stream),
        );
        self.write_partition(table, date, stream).await
    }

    /// The version of a partition's object (its e-tag, or size and modification
    /// time where the store has none), or `None` when the partition does not exist.
    /// Every write of a partition gives it a new version.
    pub async fn partition_version(&self, table: &str, date: NaiveDate) -> Result<Option<String>> {
        match self.store.head(&self.partition_file(table, date)).await {
            Ok(m) => Ok(Some(m.e_tag.unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    m.size,
                    m.last_modified.timestamp_nanos_opt().unwrap_or_default()
                )
            }))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Check that every derived table `sql` reads (see [`schema::DERIVED`]) has a
    /// partition for each date up to `until` that its source table has. A lake
    /// written before the derived table existed lacks them, and a query over it
    /// would silently count less; this names the dates and the command instead.
    pub async fn require_derived(&self, sql: &str, until: NaiveDate) -> Result<()> {
        let read = tables_read(sql);
        for (derived, from_table) in schema::DERIVED {
            if !read.contains(*derived) {
                continue;
            }
            let have: BTreeSet<NaiveDate> = self.partitions(derived).await?.into_iter().collect();
            let dates: Vec<NaiveDate> = self
                .partitions(from_table)
                .await?
                .into_iter()
                .filter(|d| *d <= until && !have.contains(d))
                .collect();
            if !dates.is_empty() {
                return Err(Error::MissingDerived {
                    table: derived.to_string(),
                    from_table: from_table.to_string(),
                    dates,
                });
            }
        }
        Ok(())
    }

    /// Remove a partition (no error when it does not exist).
    pub async fn delete_partition(&self, table: &str, date: NaiveDate) -> Result<()> {
        let file = self.partition_file(table, date);
        match self.store.delete(&file).await {
            // Forgotten once gone, so that no query caches it again in between.
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                self.forget(&file);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A DataFusion session with the lake's object store and every lake table registered.
    ///
    /// Tables are listing tables over `<table>/date=*/`; filters on `date` prune
    /// partitions before any file is opened.
    pub async fn session_context(&self) -> Result<SessionContext> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()));
        let ctx = SessionContext::new_with_config_rt(config, Arc::clone(&self.runtime));
        self.register(&ctx)?;
        for f in crate::stats::udfs() {
            ctx.register_udf(f);
        }
        for def in all_tables() {
            self.register_table(&ctx, &def)?;
        }
        for (name, sql) in crate::schema::VIEWS {
            ctx.sql(sql).await.map_err(|e| Error::View {
                name: (*name).to_string(),
                source: Box::new(e),
            })?;
        }
        Ok(ctx)
    }

    /// Register the lake's object store with a DataFusion session.
    pub fn register(&self, ctx: &SessionContext) -> Result<()> {
        let base = Url::parse(&format!(
            "{}://{}",
            self.url.scheme(),
            self.url.host_str().unwrap_or("")
        ))
        .map_err(|e| Error::InvalidUrl {
            url: self.url.to_string(),
            reason: e.to_string(),
        })?;
        ctx.register_object_store(&base, Arc::clone(&self.store));
        Ok(())
    }

    /// Register one table as a listing table (replacing a previous registration).
    pub fn register_table(&self, ctx: &SessionContext, def: &TableDef) -> Result<()> {
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![(
                DATE_COLUMN.to_string(),
                arrow::datatypes::DataType::Utf8,
            )]);
        let config = ListingTableConfig::new(self.table_url(def.name)?)
            .with_listing_options(options)
            .with_schema(def.file_schema());
        // The runtime's statistics cache, as DataFusion's own `register_listing_table`
        // does: without it every plan rebuilds each file's statistics from its footer.
        let table = ListingTable::try_new(config)?
            .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
        ctx.deregister_table(def.name)?;
        ctx.register_table(def.name, Arc::new(table))?;
        Ok(())
    }
}

/// The file-schema positions of `table`'s clustering columns.
fn cluster_keys(table: &TableDef, schema: &arrow::datatypes::SchemaRef) -> Result<Vec<usize>> {
    table
        .cluster_by
        .iter()
        .map(|c| {
            schema.index_of(c).map_err(|_| Error::SchemaMismatch {
                table: table.name.to_string(),
                reason: format!("clustering column `{c}` is not a column of the table"),
            })
        })
        .collect()
}

/// `batch` sorted by the columns at `keys`, ascending, nulls last.
fn sorted(batch: &RecordBatch, keys: &[usize]) -> Result<RecordBatch> {
    use arrow::compute::{SortColumn, SortOptions};
    let columns: Vec<SortColumn> = keys
        .iter()
        .map(|&i| SortColumn {
            values: Arc::clone(batch.column(i)),
            options: Some(SortOptions {
                descending: false,
                nulls_first: false,
            }),
        })
        .collect();
    let order = arrow::compute::lexsort_to_indices(&columns, None)?;
    Ok(arrow::compute::take_record_batch(batch, &order)?)
}

/// The runtime of a lake's sessions. The lake's partitions are rewritten in place:
/// a cached file listing (on by default, with no expiry) would serve stale sizes,
/// so listings are never cached. Footers and statistics are: those caches check
/// each file's size and modification time from the (fresh) listing before they answer.
fn runtime() -> Result<Arc<RuntimeEnv>> {
    Ok(RuntimeEnvBuilder::new()
        .with_object_list_cache_limit(0)
        .build_arc()?)
}

/// Make a batch match a table's file schema: columns by name, cast where the type
/// differs (e.g. `Utf8View` from a query), nulls for missing nullable columns.
pub fn conform(table: &TableDef, batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = table.file_schema();
    let in_schema = batch.schema();
    for f in in_schema.fields() {
        if f.name() != DATE_COLUMN && schema.field_with_name(f.name()).is_err() {
            return Err(Error::SchemaMismatch {
                table: table.name.into(),
                reason: format!("column {:?} is not in the table", f.name()),
            });
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let array = match in_schema.index_of(field.name()) {
            Ok(i) => {
                let a = batch.column(i);
                if a.data_type() == field.data_type() {
                    Arc::clone(a)
                } else {
                    cast(a, field.data_type())?
                }
            }
            Err(_) if field.is_nullable() => new_null_array(field.data_type(), batch.num_rows()),
            Err(_) => {
                return Err(Error::SchemaMismatch {
                    table: table.name.into(),
                    reason: format!("required column {:?} is missing", field.name()),
                });
            }
        };
        if !field.is_nullable() && array.null_count() > 0 {
            return Err(Error::SchemaMismatch {
                table: table.name.into(),
                reason: format!("column {:?} has nulls but is required", field.name()),
            });
        }
        columns.push(array);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Column `name` of a query result as strings, whatever its type (cast to
/// `Utf8`); nulls are `None`.
pub fn string_column(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| Error::SchemaMismatch {
            table: "query result".into(),
            reason: format!("it has no column {name:?}"),
        })?;
    let col = cast(col, &arrow::datatypes::DataType::Utf8)?;
    let a = col
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("cast to Utf8");
    Ok((0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect())
}

/// Parse a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Error::InvalidDate(s.into()))
}
