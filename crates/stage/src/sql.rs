//! The `sql` stage kind: a `sql/` file run with the run's parameters bound,
//! its result written as the date's partition of a lake table.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use serde::Deserialize;
use signals_lake::{conform, placeholders, schema, tables_read};

use crate::{Check, Context, Fields, Outcome, Params, SqlFiles, Stage, StageError};

/// A `sql` stage's fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlStage {
    /// Path under `sql/`.
    pub sql: String,
    /// Lake table written.
    pub output: String,
}

/// Build a `sql` stage from its fields.
pub fn parse(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    Ok(Arc::new(crate::fields::<SqlStage>("sql", f)?))
}

/// The values of the parameters `text` uses, as typed scalars (never pasted into it).
pub fn bound(text: &str, params: &Params) -> Vec<(String, ScalarValue)> {
    let used = placeholders(text);
    params
        .iter()
        .filter(|(k, _)| used.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.scalar()))
        .collect()
}

/// Check a `sql/` file that writes `output`: it exists, uses only declared
/// parameters, plans against the lake, and produces the table's columns.
pub async fn check_query(check: &Check<'_>, file: &str, output: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(def) = schema::table(output) else {
        return vec![format!(
            "output {output:?} is not a lake table (see sql/README.md)"
        )];
    };
    let text = match check.sql.read(file) {
        Ok(t) => t,
        Err(p) => return vec![p],
    };
    for name in placeholders(&text) {
        if !check.declared.contains(&name) {
            problems.push(format!(
                "{file} uses ${name}, which the pipeline does not declare in [params]"
            ));
        }
    }
    match check.ctx.sql(&text).await {
        Err(e) => problems.push(format!("{file} does not plan: {e}")),
        Ok(df) => {
            let got: BTreeSet<String> = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let want: BTreeSet<String> = def.columns.iter().map(|c| c.name.to_string()).collect();
            let missing: Vec<_> = def
                .columns
                .iter()
                .filter(|c| !c.nullable && !got.contains(c.name))
                .map(|c| c.name)
                .collect();
            let extra: Vec<_> = got
                .iter()
                .filter(|g| !want.contains(*g) && *g != "date")
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "{file} does not produce column(s) {missing:?} of {output}"
                ));
            }
            if !extra.is_empty() {
                problems.push(format!(
                    "{file} produces column(s) {extra:?} that {output} does not have"
                ));
            }
        }
    }
    problems
}

#[async_trait::async_trait]
impl Stage for SqlStage {
    fn kind(&self) -> &'static str {
        "sql"
    }

    fn describe(&self) -> String {
        format!("sql sql/{} -> {}", self.sql, self.output)
    }

    fn outputs(&self) -> Vec<String> {
        vec![self.output.clone()]
    }

    fn reads(&self, sql: &dyn SqlFiles) -> Vec<String> {
        sql.read(&self.sql)
            .map(|t| tables_read(&t).into_iter().collect())
            .unwrap_or_default()
    }

    fn sql_file(&self) -> Option<&str> {
        Some(&self.sql)
    }

    async fn validate(&self, check: &Check<'_>) -> Vec<String> {
        check_query(check, &self.sql, &self.output).await
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let text = cx.sql.read(&self.sql).map_err(StageError::user)?;
        let def = schema::table(&self.output)
            .ok_or_else(|| StageError::user(format!("unknown table {}", self.output)))?;
        cx.lake.require_derived(&text, cx.date).await?;
        let ctx = cx.lake.session_context().await?;
        let df = ctx
            .sql(&text)
            .await?
            .with_param_values(bound(&text, cx.params))?;
        let mut stream = df.execute_stream().await?;
        let mut batches = Vec::new();
        while let Some(b) = stream.next().await {
            batches.push(conform(&def, &b?)?);
        }
        let rows = cx
            .lake
            .write_partition_batches(&def, cx.date, batches)
            .await?;
        Ok(Outcome::Done { rows })
    }
}
