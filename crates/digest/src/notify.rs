//! The `digest` and `alerts` stages: build, write the Markdown, post to Slack
//! once, and record what happened in the `digests` and `alerts` tables.

use chrono::{NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use signals_lake::{Lake, batch_from_rows, schema};

use crate::content::{Digest, TicketLine};
use crate::ledger::{self, AlertLedger, DigestLedger, SentAlert};
use crate::markdown::{alert_markdown, digest_markdown};
use crate::{Channel, NotifyConfig, Result, slack};

/// A row of the `digests` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestRow {
    /// `markdown` or `slack`.
    pub channel: String,
    /// `written`, `posted`, `already_posted` or `too_old`.
    pub status: String,
    /// The Markdown file's path in the lake.
    pub location: Option<String>,
    /// Crossing patterns listed.
    pub patterns: i64,
    /// Final verdicts listed.
    pub verdicts: i64,
    /// Block Kit blocks.
    pub blocks: i64,
    /// Characters sent or written.
    pub chars: i64,
    /// Lines Slack's message left out.
    pub left_out: i64,
    /// When it was written or first posted.
    pub sent_at: Option<String>,
}

/// What the `digest` stage did.
#[derive(Debug, Clone)]
pub struct DigestReport {
    /// The digest.
    pub digest: Digest,
    /// One row per channel (the `digests` partition written).
    pub rows: Vec<DigestRow>,
}

impl DigestReport {
    /// One line for the run's log.
    pub fn note(&self) -> String {
        self.rows
            .iter()
            .map(|r| match r.channel.as_str() {
                "slack" if r.status == "already_posted" => {
                    "slack: posted by an earlier run".to_string()
                }
                "slack" if r.status == "too_old" => {
                    "slack: not posted (older than notify_max_age_days)".to_string()
                }
                "slack" => format!("slack: {} ({} blocks)", r.status, r.blocks),
                _ => format!("{} {}", r.status, r.location.as_deref().unwrap_or("")),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `digest` stage for `date`: the Markdown file `digests/DATE.md` in the
/// lake (rewritten each run), the Slack post (once per date), and the date's
/// `digests` partition.
pub async fn post_digest(lake: &Lake, date: NaiveDate, cfg: &NotifyConfig) -> Result<DigestReport> {
    let d = Digest::load(lake, date, cfg.baseline_days).await?;
    let patterns = d.crossing().count() as i64;
    let verdicts = d.deployments().len() as i64;
    let md = digest_markdown(&d);
    let location = format!("digests/{date}.md");
    ledger::write_text(lake, &location, &md).await?;
    let mut rows = vec![DigestRow {
        channel: "markdown".into(),
        status: "written".into(),
        location: Some(location),
        patterns,
        verdicts,
        blocks: 0,
        chars: md.chars().count() as i64,
        left_out: 0,
        sent_at: Some(now()),
    }];
    if let Channel::Slack { webhook } = &cfg.channel {
        let key = format!("digests/{date}");
        let mut sent: DigestLedger = ledger::load(lake, &key).await?;
        let (message, left_out) = slack::digest_message(&d, cfg.max_items);
        let status = if sent.slack_posted_at.is_some() {
            "already_posted"
        } else if !cfg.recent(date) {
            "too_old"
        } else {
            slack::post(webhook, &message).await?;
            sent.slack_posted_at = Some(now());
            ledger::save(lake, &key, &sent).await?;
            "posted"
        };
        rows.push(DigestRow {
            channel: "slack".into(),
            status: status.into(),
            location: None,
            patterns,
            verdicts,
            blocks: message["blocks"].as_array().map_or(0, |b| b.len()) as i64,
            chars: message.to_string().chars().count() as i64,
            left_out: left_out as i64,
            sent_at: sent.slack_posted_at.clone(),
        });
    }
    let def = schema::digests();
    lake.write_partition_batches(&def, date, vec![batch_from_rows(&def, &rows)?])
        .await?;
    Ok(DigestReport { digest: d, rows })
}

/// A row of the `alerts` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    /// The pattern's ticket.
    pub ticket_id: String,
    /// Friction type.
    pub friction_type: String,
    /// Slice kind.
    pub slice_kind: String,
    /// Slice value.
    pub slice_value: String,
    /// The day's rate.
    pub rate: f64,
    /// The baseline's rate.
    pub baseline_rate: Option<f64>,
    /// `markdown` or `slack`.
    pub channel: String,
    /// `posted`, `already_posted`, `cooldown` or `too_old`.
    pub status: String,
    /// The ticket's alert before this one.
    pub last_alerted: Option<String>,
    /// When it was sent.
    pub sent_at: Option<String>,
}

/// What the `alerts` stage did.
#[derive(Debug, Clone)]
pub struct AlertsReport {
    /// One row per pattern at or above the alert rate (the `alerts` partition written).
    pub rows: Vec<AlertRow>,
}

impl AlertsReport {
    /// One line for the run's log.
    pub fn note(&self) -> String {
        let n = |s: &str| self.rows.iter().filter(|r| r.status == s).count();
        format!(
            "{} posted, {} in cooldown, {} posted by an earlier run, {} too old to post",
            n("posted"),
            n("cooldown"),
            n("already_posted"),
            n("too_old")
        )
    }
}

/// The `alerts` stage for `date`: each of the day's crossing patterns with a rate
/// of at least `alert_rate` is posted at once (`alerts/DATE-TICKET.md`, and Slack),
/// unless its ticket was alerted less than `alert_cooldown_days` before (or after,
/// in a backfill) or this date already alerted it, or (for Slack) the date is
/// older than `notify_max_age_days` (news no longer).
pub async fn post_alerts(lake: &Lake, date: NaiveDate, cfg: &NotifyConfig) -> Result<AlertsReport> {
    // The day's tickets as the digest lists them; those of crossing patterns
    // (not faded) at or above the alert rate are due.
    let ctx = lake.session_context().await?;
    let due: Vec<TicketLine> = crate::content::day_tickets(&ctx, date)
        .await?
        .into_iter()
        .filter(|t| t.action != "faded" && t.rate >= cfg.alert_rate)
        .collect();
    let channel = cfg.channel.name();
    let day = date.to_string();
    let mut rows = Vec::new();
    for t in due {
        let key = format!("alerts/{}", t.ticket_id);
        let mut sent: AlertLedger = ledger::load(lake, &key).await?;
        let this = sent.sent.iter().find(|s| s.date == day).cloned();
        // The nearest other alert of the ticket within the cooldown.
        let recent = sent
            .sent
            .iter()
            .filter(|s| s.date != day)
            .filter_map(|s| {
                let d = signals_lake::parse_date(&s.date).ok()?;
                let gap = (date - d).num_days().abs();
                (gap < cfg.alert_cooldown_days).then_some((gap, s.date.clone()))
            })
            .min()
            .map(|(_, d)| d);
        let last = sent
            .sent
            .iter()
            .filter(|s| s.date < day)
            .map(|s| s.date.clone())
            .max();
        let (status, sent_at) = if let Some(s) = this {
            ("already_posted", Some(s.sent_at))
        } else if recent.is_some() {
            ("cooldown", None)
        } else if !cfg.recent(date) && matches!(cfg.channel, Channel::Slack { .. }) {
            // Old news is not pushed; a Markdown alert is a file, no flood.
            ("too_old", None)
        } else {
            let md = alert_markdown(&day, &t, cfg.alert_rate);
            ledger::write_text(lake, &format!("alerts/{day}-{}.md", t.ticket_id), &md).await?;
            if let Channel::Slack { webhook } = &cfg.channel {
                slack::post(webhook, &slack::alert_message(&day, &t, cfg.alert_rate)).await?;
            }
            let at = now();
            sent.sent.push(SentAlert {
                date: day.clone(),
                channel: channel.into(),
                sent_at: at.clone(),
            });
            sent.sent.sort_by(|a, b| a.date.cmp(&b.date));
            ledger::save(lake, &key, &sent).await?;
            ("posted", Some(at))
        };
        rows.push(AlertRow {
            ticket_id: t.ticket_id.clone(),
            friction_type: t.friction_type.clone(),
            slice_kind: t.slice_kind.clone(),
            slice_value: t.slice_value.clone(),
            rate: t.rate,
            baseline_rate: t.baseline_rate,
            channel: channel.into(),
            status: status.into(),
            last_alerted: if status == "cooldown" { recent } else { last },
            sent_at,
        });
    }
    let def = schema::alerts();
    lake.write_partition_batches(&def, date, vec![batch_from_rows(&def, &rows)?])
        .await?;
    Ok(AlertsReport { rows })
}
