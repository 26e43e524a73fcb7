//! Typed table I/O: rows as serde structs, turned into a table's record batches
//! and read back from a query, through arrow's JSON encoder and decoder. No
//! column-by-column building, no string casts to read numbers and booleans.

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Result;
use crate::schema::TableDef;

/// `rows` as one record batch of `table`'s file schema (every column but the
/// `date` partition). A field is matched to the column of its name; an `Option`
/// that is `None` is NULL.
pub fn batch_from_rows<T: Serialize>(table: &TableDef, rows: &[T]) -> Result<RecordBatch> {
    let schema = table.file_schema();
    let mut decoder = arrow::json::ReaderBuilder::new(Arc::clone(&schema))
        .with_batch_size(rows.len().max(1))
        .build_decoder()?;
    decoder.serialize(rows)?;
    Ok(decoder
        .flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema)))
}

/// The rows of `sql` (its `$name` placeholders bound to `params`) as `T`s: a
/// field per column of the same name; a NULL column reads as `None`.
pub async fn query_rows<T: DeserializeOwned>(
    ctx: &SessionContext,
    sql: &str,
    params: Vec<(String, ScalarValue)>,
) -> Result<Vec<T>> {
    let batches = ctx
        .sql(sql)
        .await?
        .with_param_values(params)?
        .collect()
        .await?;
    rows_of(&batches)
}

/// Record batches as `T`s (see [`query_rows`]).
pub fn rows_of<T: DeserializeOwned>(batches: &[RecordBatch]) -> Result<Vec<T>> {
    let mut writer = arrow::json::ArrayWriter::new(Vec::new());
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(serde_json::from_slice(&bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        session_id: String,
        agent: String,
        friction_type: String,
        at: String,
    }

    #[tokio::test]
    async fn rows_go_into_a_table_batch_and_come_back_typed() {
        let def = crate::schema::interventions();
        let rows = vec![Row {
            session_id: "s1".into(),
            agent: "claude-code".into(),
            friction_type: "context_churn".into(),
            at: "2026-12-01T10:00:00Z".into(),
        }];
        let b = batch_from_rows(&def, &rows).unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.schema(), def.file_schema());

        #[derive(Debug, PartialEq, Deserialize)]
        struct Back {
            n: i64,
            share: f64,
            on: bool,
            missing: Option<String>,
        }
        let ctx = SessionContext::new();
        let got: Vec<Back> = query_rows(
            &ctx,
            "SELECT CAST($n AS BIGINT) AS n, 0.25 AS share, true AS on, CAST(NULL AS VARCHAR) AS missing",
            vec![("n".into(), ScalarValue::from(3i64))],
        )
        .await
        .unwrap();
        assert_eq!(
            got,
            vec![Back {
                n: 3,
                share: 0.25,
                on: true,
                missing: None
            }]
        );
        let none: Vec<Back> = query_rows(&ctx, "SELECT 1 AS n WHERE false", vec![])
            .await
            .unwrap();
        assert!(none.is_empty());
    }
}
