//! Filing a date's tickets: merge the day's crossing patterns into the previous
//! snapshot of `tickets`, send what changed to the sink, write the new snapshot.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use signals_lake::{Lake, schema};

use crate::render;
use crate::sink::Sink;
use crate::ticket::{Ticket, fingerprint};
use crate::{Error, Result};

const CROSSED_SQL: &str = include_str!("../../../sql/tickets/crossed.sql");
const CITATIONS_SQL: &str = include_str!("../../../sql/tickets/citations.sql");

/// How a date's tickets are filed.
#[derive(Debug, Clone)]
pub struct FileOptions {
    /// Days without crossing after which an open ticket fades.
    pub fade_days: i64,
    /// Compute and report, but send and write nothing.
    pub dry_run: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            fade_days: 3,
            dry_run: false,
        }
    }
}

/// What filing did to one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Ticket id.
    pub ticket_id: String,
    /// `filed`, `updated`, `reopened` or `faded`.
    pub action: String,
    /// Title.
    pub title: String,
    /// The sink's reference, once sent.
    pub external_ref: Option<String>,
}

/// What filing a date did.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The actions, by ticket id.
    pub actions: Vec<Action>,
    /// Tickets in the snapshot written (open and faded).
    pub tickets: u64,
    /// Of them, open.
    pub open: u64,
}

/// The latest `tickets` snapshot whose date passes `keep`, with its date.
async fn latest(
    lake: &Lake,
    ctx: &SessionContext,
    keep: impl Fn(NaiveDate) -> bool,
) -> Result<Option<(NaiveDate, Vec<Ticket>)>> {
    let Some(day) = lake
        .partitions("tickets")
        .await?
        .into_iter()
        .filter(|d| keep(*d))
        .max()
    else {
        return Ok(None);
    };
    let df = ctx
        .sql("SELECT * FROM tickets WHERE date = $date ORDER BY ticket_id")
        .await?
        .with_param_values(vec![("date", ScalarValue::from(day.to_string()))])?;
    Ok(Some((day, Ticket::from_batches(&df.collect().await?)?)))
}

/// Every ticket as of `date` (the latest snapshot on or before it; the latest of
/// all without a date), with the snapshot's date. `None` when no ticket was filed yet.
pub async fn snapshot(
    lake: &Lake,
    date: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, Vec<Ticket>)>> {
    let ctx = lake.session_context().await?;
    latest(lake, &ctx, |d| date.is_none_or(|x| d <= x)).await
}

/// A crossing pattern of the day (a row of `sql/tickets/crossed.sql`).
#[derive(serde::Deserialize)]
struct Crossed {
    friction_type: String,
    slice_kind: String,
    slice_value: String,
    sessions: i64,
    affected: i64,
    rate: f64,
    baseline_rate: Option<f64>,
    p_value: Option<f64>,
    q_value: Option<f64>,
    high: i64,
    medium: i64,
    low: i64,
}

async fn crossed(ctx: &SessionContext, date: &str) -> Result<Vec<Crossed>> {
    Ok(signals_lake::query_rows(
        ctx,
        CROSSED_SQL,
        vec![("date".into(), ScalarValue::from(date))],
    )
    .await?)
}

async fn citations(ctx: &SessionContext, date: &str, c: &Crossed) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Cite {
        citation: Option<String>,
    }
    let rows: Vec<Cite> = signals_lake::query_rows(
        ctx,
        CITATIONS_SQL,
        vec![
            ("date".into(), ScalarValue::from(date)),
            (
                "friction_type".into(),
                ScalarValue::from(c.friction_type.as_str()),
            ),
            (
                "slice_kind".into(),
                ScalarValue::from(c.slice_kind.as_str()),
            ),
            (
                "slice_value".into(),
                ScalarValue::from(c.slice_value.as_str()),
            ),
        ],
    )
    .await?;
    Ok(rows.into_iter().filter_map(|r| r.citation).collect())
}

fn trend(previous: f64, now: f64) -> &'static str {
    if now > previous * 1.1 {
        "rising"
    } else if now < previous * 0.9 {
        "falling"
    } else {
        "steady"
    }
}

/// File the tickets of `date`: every crossing pattern files a ticket or updates
/// its ticket; open tickets not seen for `fade_days` fade. Writes the date's
/// `tickets` partition (the snapshot of every ticket), unless a dry run.
/// Rerunning a date gives the same snapshot and sends nothing twice.
pub async fn file_tickets(
    lake: &Lake,
    date: NaiveDate,
    sink: &Sink,
    opts: &FileOptions,
) -> Result<FileReport> {
    let ctx = lake.session_context().await?;
    let day = date.to_string();
    let mut tickets: BTreeMap<String, Ticket> = latest(lake, &ctx, |d| d < date)
        .await?
        .map(|(_, t)| t)
        .unwrap_or_default()
        .into_iter()
        .map(|mut t| {
            t.action = "none".into();
            (t.fingerprint.clone(), t)
        })
        .collect();
    for c in crossed(&ctx, &day).await? {
        let fp = fingerprint(&c.friction_type, &c.slice_kind, &c.slice_value);
        let cites = citations(&ctx, &day, &c).await?;
        let t = tickets.entry(fp.clone()).or_insert_with(|| Ticket {
            ticket_id: format!("SIG-{}", &fp[..8]),
            fingerprint: fp.clone(),
            friction_type: c.friction_type.clone(),
            slice_kind: c.slice_kind.clone(),
            slice_value: c.slice_value.clone(),
            title: String::new(),
            status: "open".into(),
            action: "filed".into(),
            first_seen: day.clone(),
            last_seen: day.clone(),
            days_seen: 0,
            sessions: 0,
            affected: 0,
            rate: c.rate,
            baseline_rate: None,
            p_value: None,
            q_value: None,
            trend: "new".into(),
            high: 0,
            medium: 0,
            low: 0,
            citations: Vec::new(),
            sink: sink.name().into(),
            external_ref: None,
            branch: None,
            pull_request: None,
        });
        if t.action != "filed" {
            t.action = if t.status == "faded" {
                "reopened"
            } else {
                "updated"
            }
            .into();
            t.trend = trend(t.rate, c.rate).into();
        }
        t.status = "open".into();
        t.last_seen = day.clone();
        t.days_seen += 1;
        t.sessions = c.sessions;
        t.affected = c.affected;
        t.rate = c.rate;
        t.baseline_rate = c.baseline_rate;
        t.p_value = c.p_value;
        t.q_value = c.q_value;
        (t.high, t.medium, t.low) = (c.high, c.medium, c.low);
        t.citations = cites;
        t.title = render::title(t);
    }
    for t in tickets.values_mut() {
        let last = signals_lake::parse_date(&t.last_seen)?;
        if t.action == "none" && t.status == "open" && (date - last).num_days() >= opts.fade_days {
            t.status = "faded".into();
            t.action = "faded".into();
        }
    }
    let mut actions = Vec::new();
    for t in tickets.values_mut() {
        if t.action == "none" {
            continue;
        }
        if !opts.dry_run {
            t.external_ref = sink.send(lake, t, &day).await?;
            t.sink = sink.name().into();
        }
        actions.push(Action {
            ticket_id: t.ticket_id.clone(),
            action: t.action.clone(),
            title: t.title.clone(),
            external_ref: t.external_ref.clone(),
        });
    }
    let all: Vec<Ticket> = tickets.into_values().collect();
    let open = all.iter().filter(|t| t.status == "open").count() as u64;
    if !opts.dry_run {
        let batch = Ticket::to_batch(&all)?;
        lake.write_partition_batches(&schema::tickets(), date, vec![batch])
            .await
            .map_err(Error::from)?;
    }
    Ok(FileReport {
        actions,
        tickets: all.len() as u64,
        open,
    })
}
