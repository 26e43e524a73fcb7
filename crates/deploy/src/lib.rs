//! Deployments and re-measurement: did a release change the friction it was
//! meant to fix?
//!
//! Deployments are recorded in the `deployments` table (`signals deploy record`)
//! or inferred from the first day of each agent version (view `all_deployments`).
//! The `remeasure` stage runs `sql/stages/remeasure.sql` into
//! `friction_before_after`; once a deployment's after window is complete, the
//! ticket linked to it gets the verdict for its friction type as a note.

pub mod stage;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use signals_lake::{ErrorClass, Lake, conform, schema};
use signals_tickets::Sink;

/// The re-measurement SQL (the `remeasure` stage's default file).
pub const REMEASURE_SQL: &str = include_str!("../../../sql/stages/remeasure.sql");

/// Errors of the deploy crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Posting a verdict on a ticket failed.
    #[error(transparent)]
    Tickets(#[from] signals_tickets::Error),
    /// A deployment cannot be recorded as given.
    #[error("deploy: {0}")]
    Invalid(String),
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::Tickets(e) => e.class(),
            Error::Invalid(_) => ErrorClass::User,
        }
    }
}

/// Result alias of the deploy crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A deployment (a row of `deployments`, or of the view `all_deployments`).
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// What was deployed.
    pub version: String,
    /// When (UTC).
    pub deployed_at: DateTime<Utc>,
    /// The ticket it is meant to fix.
    pub ticket_id: Option<String>,
    /// Free text.
    pub note: Option<String>,
    /// `recorded` or `inferred`.
    pub source: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Column `name` of `batch` as strings (the string columns of `deployments`).
fn strings(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    Ok(signals_lake::string_column(batch, name)?)
}

/// A row of `friction_before_after` (sql/README.md has each column's meaning).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[allow(missing_docs)]
pub struct BeforeAfter {
    pub version: String,
    pub deployed_on: String,
    pub source: String,
    pub ticket_id: Option<String>,
    pub friction_type: String,
    pub before_from: String,
    pub before_to: String,
    pub after_from: String,
    pub after_to: String,
    pub window_complete: bool,
    pub after_scope: String,
    pub before_sessions: i64,
    pub before_affected: i64,
    pub before_rate: Option<f64>,
    pub after_sessions: i64,
    pub after_affected: i64,
    pub after_rate: Option<f64>,
    pub abs_change: Option<f64>,
    pub rel_change: Option<f64>,
    pub strata: i64,
    pub adj_change: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub mde: Option<f64>,
    pub sessions_needed: Option<i64>,
    pub verdict: String,
}

impl BeforeAfter {
    /// The rows of `friction_before_after` batches (what [`measure`] returns).
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Vec<BeforeAfter>> {
        Ok(signals_lake::rows_of(batches)?)
    }
}

async fn query(
    ctx: &SessionContext,
    sql: &str,
    params: Vec<(&str, ScalarValue)>,
) -> Result<Vec<RecordBatch>> {
    Ok(ctx
        .sql(sql)
        .await?
        .with_param_values(params)?
        .collect()
        .await?)
}

/// Every deployment, recorded and inferred, by day.
pub async fn list(lake: &Lake) -> Result<Vec<Deployment>> {
    let ctx = lake.session_context().await?;
    let batches = query(
        &ctx,
        "SELECT version, deployed_at, source, ticket_id, note FROM all_deployments ORDER BY deployed_at, version",
        vec![],
    )
    .await?;
    let mut out = Vec::new();
    for b in &batches {
        let (v, at, src, t, n) = (
            strings(b, "version")?,
            strings(b, "deployed_at")?,
            strings(b, "source")?,
            strings(b, "ticket_id")?,
            strings(b, "note")?,
        );
        for r in 0..b.num_rows() {
            let at = at[r].clone().unwrap_or_default();
            out.push(Deployment {
                version: v[r].clone().unwrap_or_default(),
                deployed_at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| Error::Invalid(format!("deployed_at {at:?}: {e}")))?
                    .with_timezone(&Utc),
                ticket_id: t[r].clone(),
                note: n[r].clone(),
                source: src[r].clone().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// Record a deployment: one row per version in `deployments` (partition: the
/// deployment's day); recording a version again replaces its row wherever it was.
/// A linked ticket must exist.
pub async fn record(lake: &Lake, dep: &Deployment) -> Result<()> {
    if dep.version.trim().is_empty() {
        return Err(Error::Invalid("--version must not be empty".into()));
    }
    if let Some(id) = &dep.ticket_id {
        let known = signals_tickets::snapshot(lake, None)
            .await?
            .is_some_and(|(_, ts)| ts.iter().any(|t| &t.ticket_id == id));
        if !known {
            return Err(Error::Invalid(format!(
                "ticket {id} is not in the lake (see `signals tickets list --status all`)"
            )));
        }
    }
    let ctx = lake.session_context().await?;
    let batches = query(
        &ctx,
        "SELECT version, deployed_at, ticket_id, recorded_at, note, date FROM deployments",
        vec![],
    )
    .await?;
    // Partition -> its rows (version, deployed_at, ticket, recorded_at, note).
    type Row = [Option<String>; 5];
    let mut parts: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut touched: Vec<String> = Vec::new();
    for b in &batches {
        let cols: Vec<Vec<Option<String>>> = [
            "version",
            "deployed_at",
            "ticket_id",
            "recorded_at",
            "note",
            "date",
        ]
        .iter()
        .map(|c| strings(b, c))
        .collect::<Result<_>>()?;
        for (r, date) in cols[5].iter().enumerate() {
            let date = date.clone().unwrap_or_default();
            let row: Row = std::array::from_fn(|i| cols[i][r].clone());
            if row[0].as_deref() == Some(dep.version.as_str()) {
                touched.push(date.clone());
                parts.entry(date).or_default();
            } else {
                parts.entry(date).or_default().push(row);
            }
        }
    }
    let day = dep.deployed_at.date_naive().to_string();
    parts.entry(day.clone()).or_default().push([
        Some(dep.version.clone()),
        Some(rfc3339(dep.deployed_at)),
        dep.ticket_id.clone(),
        Some(rfc3339(Utc::now())),
        dep.note.clone(),
    ]);
    touched.push(day);
    let def = schema::deployments();
    for date in touched {
        let rows = &parts[&date];
        let columns: Vec<ArrayRef> = (0..5)
            .map(|i| {
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>(),
                )) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(def.file_schema(), columns)
            .map_err(datafusion::error::DataFusionError::from)?;
        lake.write_partition_batches(&def, signals_lake::parse_date(&date)?, vec![batch])
            .await?;
    }
    Ok(())
}

/// Windows and thresholds of the re-measurement (the `remeasure_*` parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct RemeasureParams {
    /// Days in each window.
    pub days: i64,
    /// Sessions per side below which the verdict is `insufficient_data`.
    pub min_sessions: i64,
    /// False-discovery rate over a deployment's seven types: a change is real
    /// when its Benjamini-Hochberg q-value is below it.
    pub max_q: f64,
    /// The relative change `sessions_needed` is sized for.
    pub target_change: f64,
    /// Deployments of this many days up to the date are measured.
    pub horizon_days: i64,
}

impl Default for RemeasureParams {
    fn default() -> Self {
        Self {
            days: 7,
            min_sessions: 30,
            max_q: 0.05,
            target_change: 0.3,
            horizon_days: 30,
        }
    }
}

impl RemeasureParams {
    /// The SQL's parameter values for `date`.
    pub fn values(&self, date: NaiveDate) -> Vec<(String, ScalarValue)> {
        vec![
            ("date".into(), ScalarValue::from(date.to_string())),
            ("remeasure_days".into(), ScalarValue::from(self.days)),
            (
                "remeasure_min_sessions".into(),
                ScalarValue::from(self.min_sessions),
            ),
            ("remeasure_max_q".into(), ScalarValue::from(self.max_q)),
            (
                "remeasure_target_change".into(),
                ScalarValue::from(self.target_change),
            ),
            (
                "remeasure_horizon_days".into(),
                ScalarValue::from(self.horizon_days),
            ),
        ]
    }
}

/// The before/after rows as of `date` (the `friction_before_after` schema),
/// computed by `sql` (normally [`REMEASURE_SQL`]) without writing anything.
pub async fn measure(
    lake: &Lake,
    sql: &str,
    date: NaiveDate,
    params: &RemeasureParams,
) -> Result<Vec<RecordBatch>> {
    lake.require_derived(sql, date).await?;
    let ctx = lake.session_context().await?;
    let def = schema::friction_before_after();
    let mut stream = ctx
        .sql(sql)
        .await?
        .with_param_values(params.values(date))?
        .execute_stream()
        .await?;
    let mut out = Vec::new();
    while let Some(b) = stream.next().await {
        out.push(conform(&def, &b?)?);
    }
    Ok(out)
}

/// What the `remeasure` stage did.
#[derive(Debug, Clone, Default)]
pub struct RemeasureReport {
    /// Rows written.
    pub rows: u64,
    /// Tickets that got a verdict now: (ticket, version, verdict).
    pub verdicts: Vec<(String, String, String)>,
}

/// The `remeasure` stage: write the date's `friction_before_after` partition,
/// then post each complete window's verdict on the deployment's linked ticket
/// (once per ticket and version; the verdict of the ticket's friction type).
pub async fn remeasure(
    lake: &Lake,
    sql: &str,
    date: NaiveDate,
    params: &RemeasureParams,
    sink: &Sink,
) -> Result<RemeasureReport> {
    let batches = measure(lake, sql, date, params).await?;
    let rows = lake
        .write_partition_batches(&schema::friction_before_after(), date, batches.clone())
        .await?;
    let mut report = RemeasureReport {
        rows,
        verdicts: Vec::new(),
    };
    let tickets = match signals_tickets::snapshot(lake, Some(date)).await? {
        Some((_, t)) => t,
        None => return Ok(report),
    };
    for row in BeforeAfter::from_batches(&batches)? {
        let Some(id) = &row.ticket_id else { continue };
        if !row.window_complete {
            continue;
        }
        let Some(t) = tickets.iter().find(|t| &t.ticket_id == id) else {
            continue;
        };
        if row.friction_type != t.friction_type {
            continue;
        }
        let v = &row.version;
        let pct = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{:.1}%", 100.0 * x));
        let pp = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{:+.1}", 100.0 * x));
        let text = format!(
            "**Re-measured after deployment {v}** (deployed {}): `{}` was {} of {} sessions before and {} of {} after; the change within language x intent strata is {} points (95% CI {} to {}), q = {} → **{}**.\n\nReproduce: `signals compare --deploy {v}` or `SELECT * FROM friction_before_after WHERE version = {}`.",
            row.deployed_on,
            t.friction_type,
            pct(row.before_rate),
            row.before_sessions,
            pct(row.after_rate),
            row.after_sessions,
            pp(row.adj_change),
            pp(row.ci_low),
            pp(row.ci_high),
            row.q_value.map_or("n/a".into(), |x| format!("{x:.4}")),
            row.verdict,
            signals_lake::sql_literal(v),
        );
        if sink.note(lake, t, &format!("verdict:{v}"), &text).await? {
            report
                .verdicts
                .push((id.clone(), v.clone(), row.verdict.clone()));
        }
    }
    Ok(report)
}
