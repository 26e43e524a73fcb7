//! Where tickets go: Markdown files in the lake, GitHub issues, Linear issues.
//!
//! Every call is made at most once per ticket, date and action: the lake keeps a
//! small ledger per ticket (`_tickets/<id>.json`), so rerunning a date never files
//! a ticket twice. That logic is [`Sink`]'s, written once; a [`TicketSink`] only
//! talks to its service (adding one: a module here and a line in [`Sink::new`]).

mod github;
mod http;
mod linear;
mod markdown;

use serde::{Deserialize, Serialize};
use signals_lake::Lake;

use crate::ticket::Ticket;
use crate::{Error, Result};

pub use github::GitHub;
pub use linear::Linear;
pub use markdown::Markdown;

/// How to reach a sink (from the pipeline's parameters and the environment).
#[derive(Debug, Clone, Default)]
pub struct SinkConfig {
    /// `markdown`, `github` or `linear`.
    pub kind: String,
    /// GitHub `owner/name`.
    pub github_repo: Option<String>,
    /// GitHub token (`GITHUB_TOKEN`).
    pub github_token: Option<String>,
    /// GitHub API base (`GITHUB_API_URL`, default `https://api.github.com`).
    pub github_api: Option<String>,
    /// Linear team id.
    pub linear_team: Option<String>,
    /// Linear API key (`LINEAR_API_KEY`).
    pub linear_key: Option<String>,
    /// Linear GraphQL endpoint (`LINEAR_API_URL`, default `https://api.linear.app/graphql`).
    pub linear_api: Option<String>,
}

/// A setting a sink cannot work without: its value, or the error naming it.
fn required(sink: &str, value: &Option<String>, what: &str) -> Result<String> {
    value.clone().ok_or_else(|| Error::Config {
        sink: sink.into(),
        problem: format!("{what} is not set"),
    })
}

impl SinkConfig {
    /// A sink config with the tokens and endpoints of the environment.
    pub fn from_env(kind: &str, github_repo: Option<String>, linear_team: Option<String>) -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        SinkConfig {
            kind: kind.to_string(),
            github_repo: github_repo.filter(|r| !r.is_empty()),
            github_token: env("GITHUB_TOKEN"),
            github_api: env("GITHUB_API_URL"),
            linear_team: linear_team.filter(|t| !t.is_empty()),
            linear_key: env("LINEAR_API_KEY"),
            linear_api: env("LINEAR_API_URL"),
        }
    }
}

/// A ticket's record of what was sent where.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ledger {
    /// The sink's reference: file path or issue URL.
    pub external_ref: Option<String>,
    /// The sink's own id (GitHub issue number, Linear issue id).
    pub remote_id: Option<String>,
    /// `date:action` entries already sent.
    pub sent: Vec<String>,
    /// Notes posted on the ticket (hand-off, verdicts), each once per key.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// The hand-off to a coding agent, once made.
    #[serde(default)]
    pub resolution: Option<crate::ticket::Resolution>,
}

/// A note posted on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// What it is about (`resolve`, `verdict:1.6.0`): posted once per key.
    pub key: String,
    /// The text (Markdown).
    pub text: String,
}

impl Ledger {
    fn path(ticket_id: &str) -> String {
        format!("_tickets/{ticket_id}.json")
    }

    /// The ledger of a ticket (empty when it has none).
    pub async fn load(lake: &Lake, ticket_id: &str) -> Result<Ledger> {
        Ok(lake
            .read_json(&Self::path(ticket_id))
            .await?
            .unwrap_or_default())
    }

    /// Save the ledger.
    pub async fn save(&self, lake: &Lake, ticket_id: &str) -> Result<()> {
        Ok(lake.write_json(&Self::path(ticket_id), self).await?)
    }
}

/// The issue a sink opened for a ticket.
#[derive(Debug, Clone, Default)]
pub struct Opened {
    /// The service's id for later updates (`None` for a sink that renders the
    /// ledger).
    pub remote_id: Option<String>,
    /// Where people find it: a file path or an issue URL.
    pub external_ref: Option<String>,
}

/// One service tickets go to. Implementations make the calls; [`Sink`] decides
/// which, once each, from the ticket's ledger.
#[async_trait::async_trait]
pub trait TicketSink: Send + Sync + std::fmt::Debug {
    /// The sink's name in parameters and messages (`markdown`, `github`, `linear`).
    fn name(&self) -> &'static str;

    /// Whether the sink's ticket is the ledger rendered (a Markdown file): it is
    /// opened again, i.e. rewritten, on every send and note, and has no remote id.
    fn renders_ledger(&self) -> bool {
        false
    }

    /// Open the ticket's issue (the ledger as it will be saved: sends and notes
    /// included, for sinks that render it).
    async fn open(&self, lake: &Lake, ticket: &Ticket, ledger: &Ledger) -> Result<Opened>;

    /// Bring the open issue `remote_id` up to the ticket's action of `date`.
    async fn update(&self, ticket: &Ticket, date: &str, remote_id: &str) -> Result<()>;

    /// Post `text` on the open issue `remote_id`.
    async fn comment(&self, remote_id: &str, text: &str) -> Result<()>;
}

/// A configured sink with the ledger logic around it.
#[derive(Debug)]
pub struct Sink {
    inner: Box<dyn TicketSink>,
}

impl Sink {
    /// Wrap a sink.
    pub fn from_sink(inner: Box<dyn TicketSink>) -> Sink {
        Sink { inner }
    }

    /// Markdown files in the lake (the default).
    pub fn markdown() -> Sink {
        Sink::from_sink(Box::new(Markdown))
    }

    /// The sink a config names, checked (a missing token is reported before any run).
    pub fn new(cfg: &SinkConfig) -> Result<Sink> {
        let inner: Box<dyn TicketSink> = match cfg.kind.as_str() {
            "markdown" => Box::new(Markdown),
            "github" => Box::new(GitHub::new(cfg)?),
            "linear" => Box::new(Linear::new(cfg)?),
            other => {
                return Err(Error::Config {
                    sink: other.to_string(),
                    problem: "unknown sink; use markdown, github or linear".into(),
                });
            }
        };
        Ok(Sink { inner })
    }

    /// The sink's name.
    pub fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// Send `ticket`'s action of `date` (once), returning its external reference.
    /// A sink that renders the ledger (Markdown) is opened again on every send, so
    /// its file always shows it.
    pub async fn send(&self, lake: &Lake, ticket: &Ticket, date: &str) -> Result<Option<String>> {
        let mut ledger = Ledger::load(lake, &ticket.ticket_id).await?;
        let key = format!("{date}:{}", ticket.action);
        let sent = ledger.sent.contains(&key);
        if sent && !self.inner.renders_ledger() {
            return Ok(ledger.external_ref);
        }
        if !sent {
            ledger.sent.push(key);
        }
        // The ledger is saved only after the calls succeed: a failed send is
        // made again by the next run.
        match ledger.remote_id.clone() {
            None => {
                let opened = self.inner.open(lake, ticket, &ledger).await?;
                ledger.remote_id = opened.remote_id;
                ledger.external_ref = opened.external_ref;
            }
            Some(id) => self.inner.update(ticket, date, &id).await?,
        }
        ledger.save(lake, &ticket.ticket_id).await?;
        Ok(ledger.external_ref)
    }

    /// Post `text` on `ticket` once per `key` (a comment on GitHub and Linear, an
    /// entry under "Updates" in the Markdown file). Returns whether it was posted
    /// now (`false`: already posted, or the ticket was never sent to the sink).
    pub async fn note(&self, lake: &Lake, ticket: &Ticket, key: &str, text: &str) -> Result<bool> {
        let mut ledger = Ledger::load(lake, &ticket.ticket_id).await?;
        if ledger.notes.iter().any(|n| n.key == key) {
            return Ok(false);
        }
        ledger.notes.push(Note {
            key: key.into(),
            text: text.into(),
        });
        match ledger.remote_id.clone() {
            Some(id) => self.inner.comment(&id, text).await?,
            None if self.inner.renders_ledger() => {
                ledger.external_ref = self.inner.open(lake, ticket, &ledger).await?.external_ref;
            }
            // Never sent to this sink: no issue to post on.
            None => return Ok(false),
        }
        ledger.save(lake, &ticket.ticket_id).await?;
        Ok(true)
    }
}
