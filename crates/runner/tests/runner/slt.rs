//! The `.slt` files of `sql/tests/` (sqllogictest, as DataFusion tests its SQL):
//! each runs over a lake holding `sql/tests/fixtures/stages.jsonl`, whose expected
//! rows are computed by hand from that fixture.
//!
//! Besides plain SQL over the lake, a record may say
//! `stage NAME key=value ...`: run the SQL of the daily pipeline's stage NAME with
//! the pipeline's parameters, overridden by the given ones (`date=` is the date),
//! bound as typed values exactly as `signals run` binds them; and
//! `write TABLE date=D QUERY` replaces a partition with a query's rows (QUERY may be
//! `stage NAME k=v ...`), to set up a stage's inputs by hand; and
//! `tickets date=D [fade_days=N]` files the date's tickets (Markdown sink) as the
//! `tickets` stage does.
//!
//! The files share one lake and run in name order.

use std::path::PathBuf;

use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use signals_ingest::{IngestOptions, ingest, input::expand};
use signals_lake::Lake;
use signals_runner::Pipeline;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SltError(String);

fn err(e: impl std::fmt::Display) -> SltError {
    SltError(e.to_string())
}

#[derive(Clone)]
struct LakeDb {
    lake: Lake,
    ctx: SessionContext,
    pipeline: Pipeline,
}

impl LakeDb {
    /// The SQL of `stage NAME k=v ...` and its bound values.
    fn stage(&self, spec: &str) -> Result<(String, Vec<(String, ScalarValue)>), SltError> {
        let mut words = spec.split_whitespace();
        let name = words.next().ok_or_else(|| err("stage: name missing"))?;
        let stage = self
            .pipeline
            .stage(name)
            .ok_or_else(|| err(format!("no stage {name}")))?;
        let Some(file) = stage.kind.sql_file() else {
            return Err(err(format!("stage {name} is not a sql or remeasure stage")));
        };
        let mut date = None;
        let mut overrides = Vec::new();
        for kv in words {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| err(format!("{kv}: expected key=value")))?;
            if k == "date" {
                date = Some(v.to_string());
            } else {
                overrides.push((k.to_string(), v.to_string()));
            }
        }
        let date = date.ok_or_else(|| err("stage: date= missing"))?;
        let params = self
            .pipeline
            .resolve_params(&overrides, &date)
            .map_err(err)?;
        let text = self.pipeline.read_sql(file).map_err(err)?;
        let used = Pipeline::placeholders(&text);
        let values = params
            .iter()
            .filter(|(k, _)| used.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.scalar()))
            .collect();
        Ok((text, values))
    }
}

impl LakeDb {
    /// The frame of plain SQL, or of `stage NAME k=v ...` with its values bound.
    async fn frame(&self, sql: &str) -> Result<datafusion::prelude::DataFrame, SltError> {
        match sql.strip_prefix("stage ") {
            Some(spec) => {
                let (text, values) = self.stage(spec)?;
                let df = self.ctx.sql(&text).await.map_err(err)?;
                df.with_param_values(values).map_err(err)
            }
            None => self.ctx.sql(sql).await.map_err(err),
        }
    }

    /// `write TABLE date=D QUERY`: replace the date's partition of TABLE with the
    /// rows of QUERY (plain SQL, or `stage NAME k=v ...` run for that date).
    async fn write(&self, spec: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let mut parts = spec.splitn(3, char::is_whitespace);
        let (Some(table), Some(date), Some(query)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(err("write TABLE date=YYYY-MM-DD QUERY"));
        };
        let def =
            signals_lake::schema::table(table).ok_or_else(|| err(format!("no table {table}")))?;
        let day = date
            .strip_prefix("date=")
            .ok_or_else(|| err("write: date= expected"))?;
        let query = match query.trim().strip_prefix("stage ") {
            Some(stage) => format!("stage {stage} {date}"),
            None => query.to_string(),
        };
        let df = self.frame(&query).await?;
        let batches = df
            .collect()
            .await
            .map_err(err)?
            .iter()
            .map(|b| signals_lake::conform(&def, b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let day = signals_lake::parse_date(day).map_err(err)?;
        let rows = self
            .lake
            .write_partition_batches(&def, day, batches)
            .await
            .map_err(err)?;
        Ok(DBOutput::StatementComplete(rows))
    }
}

impl LakeDb {
    /// `tickets date=D [fade_days=N]`: file the date's tickets to the Markdown sink.
    async fn tickets(&self, spec: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let mut opts = signals_tickets::FileOptions::default();
        let mut date = None;
        for kv in spec.split_whitespace() {
            match kv.split_once('=') {
                Some(("date", d)) => date = Some(signals_lake::parse_date(d).map_err(err)?),
                Some(("fade_days", n)) => opts.fade_days = n.parse().map_err(err)?,
                _ => return Err(err(format!("tickets: unexpected {kv:?}"))),
            }
        }
        let date = date.ok_or_else(|| err("tickets: date= missing"))?;
        let r = signals_tickets::file_tickets(
            &self.lake,
            date,
            &signals_tickets::Sink::markdown(),
            &opts,
        )
        .await
        .map_err(err)?;
        Ok(DBOutput::StatementComplete(r.tickets))
    }
}

#[async_trait::async_trait]
impl AsyncDB for LakeDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let sql = sql.trim();
        if let Some(rest) = sql.strip_prefix("write ") {
            return self.write(rest).await;
        }
        if let Some(rest) = sql.strip_prefix("tickets ") {
            return self.tickets(rest).await;
        }
        let df = self.frame(sql).await?;
        let schema = df.schema().clone();
        let batches = df.collect().await.map_err(err)?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                t if t.is_integer() => DefaultColumnType::Integer,
                DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
                    DefaultColumnType::FloatingPoint
                }
                _ => DefaultColumnType::Text,
            })
            .collect();
        let mut rows = Vec::new();
        for b in &batches {
            for i in 0..b.num_rows() {
                let row = b
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(i) {
                            Ok("NULL".to_string())
                        } else {
                            array_value_to_string(c, i).map_err(err)
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push(row);
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "agent-signals"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

#[tokio::test]
async fn sql_stage_files_give_the_hand_computed_rows() {
    let dir = crate::repo().join("sql/tests");
    let lake = Lake::open("memory://").unwrap();
    let fixture = dir.join("fixtures/stages.jsonl").display().to_string();
    ingest(
        &lake,
        expand(&[fixture]).unwrap(),
        &IngestOptions::default(),
    )
    .await
    .unwrap();
    let db = LakeDb {
        ctx: lake.session_context().await.unwrap(),
        lake: lake.clone(),
        pipeline: crate::daily(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    for f in files {
        let db = db.clone();
        let mut runner = Runner::new(move || {
            let db = db.clone();
            async move { Ok(db) }
        });
        if let Err(e) = runner.run_file_async(&f).await {
            panic!("{}: {e}", f.display());
        }
    }
}
