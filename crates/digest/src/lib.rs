//! Telling people: the daily digest (stage `digest`) and threshold alerts (stage
//! `alerts`).
//!
//! Both are built from lake tables by the files in `sql/digest/`, rendered as
//! Markdown (a file in the lake, and `signals digest` on stdout) and, when the
//! pipeline's `notify` parameter is `slack`, as a Block Kit message posted to a
//! Slack incoming webhook. What was posted is kept in the lake's `_notify/`
//! ledger, so a date that runs again never posts twice; the webhook URL comes
//! from `SIGNALS_SLACK_WEBHOOK_URL` and is never printed or stored.

mod content;
mod ledger;
mod markdown;
mod notify;
pub mod slack;
pub mod stage;

pub use content::{Delight, Digest, Headline, Proposal, TicketLine, TypeRate, Verdict};
pub use markdown::{alert_markdown, digest_markdown};
pub use notify::{AlertRow, AlertsReport, DigestReport, DigestRow, post_alerts, post_digest};

use signals_lake::ErrorClass;

/// The environment variable that holds the Slack incoming webhook's URL.
pub const SLACK_WEBHOOK_ENV: &str = "SIGNALS_SLACK_WEBHOOK_URL";

/// Errors of the digest crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The object store failed.
    #[error(transparent)]
    ObjectStore(#[from] object_store::Error),
    /// A ledger could not be read or written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The parameters or environment do not make a working configuration.
    #[error("notify: {0}")]
    Config(String),
    /// Slack answered with an error or could not be reached (the URL is never in it).
    #[error("slack webhook: {reason}")]
    Slack {
        /// Status and Slack's answer.
        reason: String,
        /// Whether trying again later may work (network, 5xx, rate limit).
        retryable: bool,
    },
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::ObjectStore(_) => ErrorClass::External,
            Error::Json(_) => ErrorClass::Internal,
            Error::Config(_) => ErrorClass::User,
            Error::Slack { retryable, .. } => {
                if *retryable {
                    ErrorClass::External
                } else {
                    ErrorClass::User
                }
            }
        }
    }
}

/// Result alias of the digest crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where digests and alerts go.
#[derive(Clone, PartialEq)]
pub enum Channel {
    /// Markdown files in the lake only.
    Markdown,
    /// The Markdown files, and a Slack incoming webhook.
    Slack {
        /// The webhook URL (a secret: never shown).
        webhook: String,
    },
}

impl Channel {
    /// As recorded in the `digests` and `alerts` tables: `markdown` or `slack`.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Markdown => "markdown",
            Channel::Slack { .. } => "slack",
        }
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Markdown => f.write_str("Markdown"),
            // The URL is the credential: Debug output never has it.
            Channel::Slack { .. } => f.write_str("Slack { webhook: <redacted> }"),
        }
    }
}

/// The digest's and alerts' settings (the pipeline's parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// Where they go (`notify`).
    pub channel: Channel,
    /// Days of the trailing baseline the digest compares with (`baseline_days`).
    pub baseline_days: i64,
    /// Lines per list in the Slack message (`digest_max_items`); the rest is
    /// "and N more" (the Markdown has every line).
    pub max_items: usize,
    /// A crossing pattern with at least this rate is alerted (`alert_rate`).
    pub alert_rate: f64,
    /// Days after an alert before the same ticket is alerted again (`alert_cooldown_days`).
    pub alert_cooldown_days: i64,
    /// Dates more than this many days before today (UTC) are not posted to Slack,
    /// so a backfill does not flood the channel with old news; their Markdown is
    /// written all the same (`notify_max_age_days`; 0: no limit).
    pub max_age_days: i64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            channel: Channel::Markdown,
            baseline_days: 7,
            max_items: 10,
            alert_rate: 0.4,
            alert_cooldown_days: 7,
            max_age_days: 3,
        }
    }
}

impl NotifyConfig {
    /// Whether `date` is recent enough to post (see [`NotifyConfig::max_age_days`]).
    pub fn recent(&self, date: chrono::NaiveDate) -> bool {
        self.max_age_days <= 0
            || (chrono::Utc::now().date_naive() - date).num_days() <= self.max_age_days
    }

    /// The settings from a pipeline's parameters (`param(name)` as text) and the
    /// environment (`env(name)`): `notify = "slack"` needs
    /// [`SLACK_WEBHOOK_ENV`] set to an `https://` (or, for tests, `http://`) URL.
    pub fn from_params(
        param: impl Fn(&str) -> Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<NotifyConfig> {
        let d = NotifyConfig::default();
        let num = |k: &str, dflt: f64| -> Result<f64> {
            match param(k) {
                None => Ok(dflt),
                Some(v) => v
                    .parse()
                    .map_err(|_| Error::Config(format!("{k} = {v:?}: expected a number"))),
            }
        };
        let channel = match param("notify").as_deref().unwrap_or("markdown") {
            "markdown" => Channel::Markdown,
            "slack" => {
                let Some(url) = env(SLACK_WEBHOOK_ENV).filter(|u| !u.trim().is_empty()) else {
                    return Err(Error::Config(format!(
                        "notify = \"slack\" needs {SLACK_WEBHOOK_ENV} set to the Slack incoming webhook's URL (Slack: Apps > Incoming Webhooks > Add New Webhook)"
                    )));
                };
                let url = url.trim().to_string();
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(Error::Config(format!(
                        "{SLACK_WEBHOOK_ENV} is not an http(s) URL (it should start with https://hooks.slack.com/)"
                    )));
                }
                Channel::Slack { webhook: url }
            }
            other => {
                return Err(Error::Config(format!(
                    "notify = {other:?}: use \"markdown\" (files in the lake) or \"slack\" (and {SLACK_WEBHOOK_ENV})"
                )));
            }
        };
        let alert_rate = num("alert_rate", d.alert_rate)?;
        if !(0.0..=1.0).contains(&alert_rate) {
            return Err(Error::Config(format!(
                "alert_rate = {alert_rate}: a share of sessions, between 0 and 1 (1: alerts off)"
            )));
        }
        Ok(NotifyConfig {
            channel,
            baseline_days: (num("baseline_days", d.baseline_days as f64)? as i64).max(1),
            max_items: (num("digest_max_items", d.max_items as f64)? as usize).clamp(1, 40),
            alert_rate,
            alert_cooldown_days: (num("alert_cooldown_days", d.alert_cooldown_days as f64)? as i64)
                .max(1),
            max_age_days: (num("notify_max_age_days", d.max_age_days as f64)? as i64).max(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_needs_its_webhook_and_never_shows_it() {
        let params = |k: &str| (k == "notify").then(|| "slack".to_string());
        let e = NotifyConfig::from_params(params, |_| None).unwrap_err();
        assert!(e.to_string().contains(SLACK_WEBHOOK_ENV), "{e}");
        assert_eq!(e.class(), ErrorClass::User);
        let secret = "https://hooks.slack.com/services/T0/B0/secret";
        let c = NotifyConfig::from_params(params, |_| Some(secret.into())).unwrap();
        assert!(matches!(c.channel, Channel::Slack { .. }));
        assert!(!format!("{c:?}").contains("secret"));
        let e = NotifyConfig::from_params(params, |_| Some("ftp://example.invalid/secret".into()))
            .unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        let e =
            NotifyConfig::from_params(|k: &str| (k == "notify").then(|| "email".into()), |_| None)
                .unwrap_err();
        assert!(e.to_string().contains("use \"markdown\""), "{e}");
        let c = NotifyConfig::from_params(|_| None, |_| None).unwrap();
        assert_eq!(c, NotifyConfig::default());
    }
}
