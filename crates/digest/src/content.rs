//! What a digest says: the rows of `sql/digest/*.sql` for a date, typed.

use chrono::{Duration, NaiveDate};
use datafusion::prelude::SessionContext;
use serde::Deserialize;
use signals_lake::{Lake, query_rows};
use signals_stage::{Param, Params};

use crate::Result;

const HEADLINE_SQL: &str = include_str!("../../../sql/digest/headline.sql");
const TYPES_SQL: &str = include_str!("../../../sql/digest/types.sql");
const TICKETS_SQL: &str = include_str!("../../../sql/digest/tickets.sql");
const VERDICTS_SQL: &str = include_str!("../../../sql/digest/verdicts.sql");
const DELIGHT_SQL: &str = include_str!("../../../sql/digest/delight.sql");
const PROPOSALS_SQL: &str = include_str!("../../../sql/digest/proposals.sql");

/// The day's headline numbers and their baseline (`sql/digest/headline.sql`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Headline {
    /// Sessions ingested for the day.
    pub sessions: i64,
    /// Of them, analysed.
    pub analysed: i64,
    /// Share of analysed sessions with any friction.
    pub friction_share: Option<f64>,
    /// Share completed.
    pub completed_share: Option<f64>,
    /// Share with a moment of delight.
    pub delight_share: Option<f64>,
    /// Baseline days that had analysed sessions.
    pub baseline_days: i64,
    /// Analysed sessions per baseline day.
    pub baseline_analysed: Option<f64>,
    /// The baseline's share with friction.
    pub baseline_friction_share: Option<f64>,
    /// The baseline's share completed.
    pub baseline_completed_share: Option<f64>,
    /// The baseline's share with delight.
    pub baseline_delight_share: Option<f64>,
    /// Live interventions logged for the day.
    pub interventions: i64,
}

/// A friction type's rate on the day (`sql/digest/types.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TypeRate {
    /// Friction type.
    pub friction_type: String,
    /// Sessions with it.
    pub affected: i64,
    /// Analysed sessions.
    pub sessions: i64,
    /// affected / sessions.
    pub rate: f64,
    /// The baseline's rate.
    pub baseline_rate: Option<f64>,
    /// Benjamini-Hochberg q-value of the rise.
    pub q_value: Option<f64>,
    /// Whether it crossed the pipeline's threshold.
    pub crosses_threshold: bool,
}

/// A ticket the day filed, updated, reopened or faded (`sql/digest/tickets.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TicketLine {
    /// Ticket id.
    pub ticket_id: String,
    /// Its title.
    pub title: String,
    /// Friction type.
    pub friction_type: String,
    /// Slice kind.
    pub slice_kind: String,
    /// Slice value.
    pub slice_value: String,
    /// `filed`, `updated`, `reopened` or `faded`.
    pub action: String,
    /// `new`, `rising`, `steady` or `falling`.
    pub trend: String,
    /// Dates it crossed on.
    pub days_seen: i64,
    /// Sessions affected.
    pub affected: i64,
    /// Sessions in the slice.
    pub sessions: i64,
    /// affected / sessions.
    pub rate: f64,
    /// The baseline's rate.
    pub baseline_rate: Option<f64>,
    /// q-value.
    pub q_value: Option<f64>,
    /// Where the ticket is: an issue URL or a file in the lake.
    pub external_ref: Option<String>,
    /// A coding agent's pull request for it.
    pub pull_request: Option<String>,
}

/// A deployment's final verdict on one friction type (`sql/digest/verdicts.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Verdict {
    /// The deployed version.
    pub version: String,
    /// Its day.
    pub deployed_on: String,
    /// The ticket it was meant to fix.
    pub ticket_id: Option<String>,
    /// Friction type.
    pub friction_type: String,
    /// Rate before.
    pub before_rate: Option<f64>,
    /// Rate after.
    pub after_rate: Option<f64>,
    /// Stratified change (after - before).
    pub adj_change: Option<f64>,
    /// Its 95% interval, low end.
    pub ci_low: Option<f64>,
    /// Its 95% interval, high end.
    pub ci_high: Option<f64>,
    /// q-value over the deployment's types.
    pub q_value: Option<f64>,
    /// `improved`, `regressed`, `no_change` or `insufficient_data`.
    pub verdict: String,
}

/// A kind of delight on the day (`sql/digest/delight.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Delight {
    /// `gratitude`, `praise`, `success_confirmed` or `recovery`.
    pub delight_type: String,
    /// Sessions with it.
    pub sessions: i64,
    /// Their share of analysed sessions.
    pub share: Option<f64>,
    /// The baseline's share.
    pub baseline_share: Option<f64>,
}

/// A facet proposed on the day (`sql/digest/proposals.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Proposal {
    /// Proposed facet name.
    pub name: String,
    /// Sessions with the theme.
    pub cluster_size: i64,
    /// Their share of the window's sessions.
    pub share: f64,
}

/// Everything a date's digest says.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// The day.
    pub date: NaiveDate,
    /// First day of the baseline.
    pub baseline_from: NaiveDate,
    /// Last day of the baseline.
    pub baseline_to: NaiveDate,
    /// Headline numbers.
    pub headline: Headline,
    /// Per friction type, largest rise first.
    pub types: Vec<TypeRate>,
    /// Tickets of the day's crossing patterns, then those that faded.
    pub tickets: Vec<TicketLine>,
    /// Final verdicts of the day, changes first.
    pub verdicts: Vec<Verdict>,
    /// Delight per kind.
    pub delight: Vec<Delight>,
    /// Facets proposed.
    pub proposals: Vec<Proposal>,
}

impl Digest {
    /// The digest of `date` against the `baseline_days` before it.
    pub async fn load(lake: &Lake, date: NaiveDate, baseline_days: i64) -> Result<Digest> {
        let ctx = lake.session_context().await?;
        let baseline_from = date - Duration::days(baseline_days.max(1));
        let baseline_to = date - Duration::days(1);
        let params: Params = [
            ("date", date),
            ("baseline_from", baseline_from),
            ("baseline_to", baseline_to),
        ]
        .into_iter()
        .map(|(k, d)| (k.to_string(), Param::Str(d.to_string())))
        .collect();
        let headline: Vec<Headline> = query(&ctx, HEADLINE_SQL, &params).await?;
        Ok(Digest {
            date,
            baseline_from,
            baseline_to,
            headline: headline.into_iter().next().unwrap_or_default(),
            types: query(&ctx, TYPES_SQL, &params).await?,
            tickets: day_tickets(&ctx, date).await?,
            verdicts: query(&ctx, VERDICTS_SQL, &params).await?,
            delight: query(&ctx, DELIGHT_SQL, &params).await?,
            proposals: query(&ctx, PROPOSALS_SQL, &params).await?,
        })
    }

    /// The tickets of the day's crossing patterns (not the faded ones).
    pub fn crossing(&self) -> impl Iterator<Item = &TicketLine> {
        self.tickets.iter().filter(|t| t.action != "faded")
    }

    /// The deployments with a final verdict today, each with its verdicts.
    pub fn deployments(&self) -> Vec<(&str, Vec<&Verdict>)> {
        let mut out: Vec<(&str, Vec<&Verdict>)> = Vec::new();
        for v in &self.verdicts {
            match out.iter_mut().find(|(ver, _)| *ver == v.version) {
                Some((_, vs)) => vs.push(v),
                None => out.push((&v.version, vec![v])),
            }
        }
        out
    }
}

/// The day's tickets (`sql/digest/tickets.sql`): the digest lists them and the
/// `alerts` stage posts those of crossing patterns.
pub(crate) async fn day_tickets(ctx: &SessionContext, date: NaiveDate) -> Result<Vec<TicketLine>> {
    let params = Params::from([("date".to_string(), Param::Str(date.to_string()))]);
    query(ctx, TICKETS_SQL, &params).await
}

/// The rows of one `sql/digest/` file, binding only the parameters it uses.
async fn query<T: serde::de::DeserializeOwned>(
    ctx: &SessionContext,
    sql: &str,
    params: &Params,
) -> Result<Vec<T>> {
    Ok(query_rows(ctx, sql, signals_stage::sql::bound(sql, params)).await?)
}
