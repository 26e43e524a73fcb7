//! The `.slt` files of `sql/tests/` (sqllogictest, as DataFusion tests its SQL):
//! each runs over a lake holding `sql/tests/fixtures/stages.jsonl`, whose expected
//! rows are computed by hand from that fixture.
//!
//! Besides plain SQL over the lake, a record may say
//! `stage NAME key=value ...`: run the SQL of the daily pipeline's stage NAME with
//! the pipeline's parameters, overridden by the given ones (`date=` is the date),
//! bound as typed values exactly as `signals run` binds them.

use std::path::PathBuf;

use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use signals_ingest::{IngestOptions, ingest, input::expand};
use signals_lake::Lake;
use signals_runner::{Pipeline, StageKind};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SltError(String);

fn err(e: impl std::fmt::Display) -> SltError {
    SltError(e.to_string())
}

#[derive(Clone)]
struct LakeDb {
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
        let StageKind::Sql { file, .. } = &stage.kind else {
            return Err(err(format!("stage {name} is not a sql stage")));
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

#[async_trait::async_trait]
impl AsyncDB for LakeDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let sql = sql.trim();
        let df = match sql.strip_prefix("stage ") {
            Some(spec) => {
                let (text, values) = self.stage(spec)?;
                self.ctx
                    .sql(&text)
                    .await
                    .map_err(err)?
                    .with_param_values(values)
                    .map_err(err)?
            }
            None => self.ctx.sql(sql).await.map_err(err)?,
        };
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
