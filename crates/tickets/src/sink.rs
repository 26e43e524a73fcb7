//! Where tickets go: Markdown files in the lake, GitHub issues, Linear issues.
//!
//! Every call is made at most once per ticket, date and action: the lake keeps a
//! small ledger per ticket (`_tickets/<id>.json`), so rerunning a date never files
//! a ticket twice.

use std::time::Duration;

use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use signals_lake::Lake;

use crate::render;
use crate::ticket::Ticket;
use crate::{Error, Result};

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
    fn path(lake: &Lake, ticket_id: &str) -> object_store::path::Path {
        lake.path(&format!("_tickets/{ticket_id}.json"))
    }

    /// The ledger of a ticket (empty when it has none).
    pub async fn load(lake: &Lake, ticket_id: &str) -> Result<Ledger> {
        match lake.store().get(&Self::path(lake, ticket_id)).await {
            Ok(r) => Ok(serde_json::from_slice(&r.bytes().await?)?),
            Err(object_store::Error::NotFound { .. }) => Ok(Ledger::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Save the ledger.
    pub async fn save(&self, lake: &Lake, ticket_id: &str) -> Result<()> {
        let body = serde_json::to_vec_pretty(self)?;
        lake.store()
            .put(&Self::path(lake, ticket_id), PutPayload::from(body))
            .await?;
        Ok(())
    }
}

/// A configured sink.
#[derive(Debug, Clone)]
pub enum Sink {
    /// One Markdown file per ticket under the lake's `tickets/`.
    Markdown,
    /// GitHub issues (REST).
    GitHub {
        /// API base URL.
        api: String,
        /// `owner/name`.
        repo: String,
        /// Token.
        token: String,
        /// HTTP client.
        http: reqwest::Client,
    },
    /// Linear issues (GraphQL).
    Linear {
        /// GraphQL endpoint.
        api: String,
        /// Team id.
        team: String,
        /// API key.
        key: String,
        /// HTTP client.
        http: reqwest::Client,
    },
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("agent-signals/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

impl Sink {
    /// The sink a config names, checked (a missing token is reported before any run).
    pub fn new(cfg: &SinkConfig) -> Result<Sink> {
        let missing = |what: &str| Error::Config {
            sink: cfg.kind.clone(),
            problem: format!("{what} is not set"),
        };
        match cfg.kind.as_str() {
            "markdown" => Ok(Sink::Markdown),
            "github" => Ok(Sink::GitHub {
                api: cfg
                    .github_api
                    .clone()
                    .unwrap_or_else(|| "https://api.github.com".into())
                    .trim_end_matches('/')
                    .to_string(),
                repo: cfg.github_repo.clone().ok_or_else(|| {
                    missing("the repository (parameter github_repo = \"owner/name\")")
                })?,
                token: cfg
                    .github_token
                    .clone()
                    .ok_or_else(|| missing("GITHUB_TOKEN"))?,
                http: http(),
            }),
            "linear" => Ok(Sink::Linear {
                api: cfg
                    .linear_api
                    .clone()
                    .unwrap_or_else(|| "https://api.linear.app/graphql".into()),
                team: cfg
                    .linear_team
                    .clone()
                    .ok_or_else(|| missing("the team id (parameter linear_team)"))?,
                key: cfg
                    .linear_key
                    .clone()
                    .ok_or_else(|| missing("LINEAR_API_KEY"))?,
                http: http(),
            }),
            other => Err(Error::Config {
                sink: other.to_string(),
                problem: "unknown sink; use markdown, github or linear".into(),
            }),
        }
    }

    /// The sink's name.
    pub fn name(&self) -> &'static str {
        match self {
            Sink::Markdown => "markdown",
            Sink::GitHub { .. } => "github",
            Sink::Linear { .. } => "linear",
        }
    }

    /// Send `ticket`'s action of `date` (once), returning its external reference.
    pub async fn send(&self, lake: &Lake, ticket: &Ticket, date: &str) -> Result<Option<String>> {
        let mut ledger = Ledger::load(lake, &ticket.ticket_id).await?;
        let key = format!("{date}:{}", ticket.action);
        if ledger.sent.contains(&key) && self.name() != "markdown" {
            return Ok(ledger.external_ref);
        }
        match self {
            Sink::Markdown => {
                if !ledger.sent.contains(&key) {
                    ledger.sent.push(key);
                }
                ledger.external_ref = Some(write_markdown(lake, ticket, &ledger).await?);
            }
            Sink::GitHub {
                api,
                repo,
                token,
                http,
            } => {
                let call = |method: reqwest::Method,
                            path: String,
                            body: Value,
                            what: &'static str| async move {
                    github_call(http, (api, repo, token), method, &path, body, what).await
                };
                match (&ledger.remote_id, ticket.action.as_str()) {
                    (None, _) => {
                        let labels = json!([
                            "agent-signals",
                            format!("friction:{}", ticket.friction_type)
                        ]);
                        let r = call(
                            reqwest::Method::POST,
                            "/issues".into(),
                            json!({"title": ticket.title, "body": render::body(ticket), "labels": labels}),
                            "create issue",
                        )
                        .await?;
                        ledger.remote_id = r["number"].as_i64().map(|n| n.to_string());
                        ledger.external_ref = r["html_url"].as_str().map(String::from);
                        if ledger.remote_id.is_none() {
                            return Err(bad_answer("github", "create issue", &r));
                        }
                    }
                    (Some(n), action) => {
                        call(
                            reqwest::Method::POST,
                            format!("/issues/{n}/comments"),
                            json!({"body": render::comment(ticket, date)}),
                            "comment",
                        )
                        .await?;
                        if action == "faded" {
                            call(
                                reqwest::Method::POST,
                                format!("/issues/{n}/labels"),
                                json!({"labels": ["faded"]}),
                                "label",
                            )
                            .await?;
                        } else {
                            // Keep the issue's description current.
                            call(
                                reqwest::Method::PATCH,
                                format!("/issues/{n}"),
                                json!({"title": ticket.title, "body": render::body(ticket)}),
                                "update issue",
                            )
                            .await?;
                        }
                    }
                }
                ledger.sent.push(key);
            }
            Sink::Linear {
                api,
                team,
                key: api_key,
                http,
            } => {
                let gql = |query: &'static str, variables: Value, what: &'static str| {
                    linear_call(http, (api, api_key), query, variables, what)
                };
                match &ledger.remote_id {
                    None => {
                        let r = gql(
                            "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }",
                            json!({"input": {"teamId": team, "title": ticket.title, "description": render::body(ticket)}}),
                            "issueCreate",
                        )
                        .await?;
                        let issue = &r["data"]["issueCreate"]["issue"];
                        ledger.remote_id = issue["id"].as_str().map(String::from);
                        ledger.external_ref = issue["url"].as_str().map(String::from);
                        if ledger.remote_id.is_none() {
                            return Err(bad_answer("linear", "issueCreate", &r));
                        }
                    }
                    Some(id) => {
                        gql(
                            "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }",
                            json!({"id": id, "input": {"title": ticket.title, "description": render::body(ticket)}}),
                            "issueUpdate",
                        )
                        .await?;
                        gql(
                            "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success } }",
                            json!({"input": {"issueId": id, "body": render::comment(ticket, date)}}),
                            "commentCreate",
                        )
                        .await?;
                    }
                }
                ledger.sent.push(key);
            }
        }
        ledger.save(lake, &ticket.ticket_id).await?;
        Ok(ledger.external_ref)
    }
}

/// Write a ticket's Markdown file (body, notes, history); returns its path in the lake.
async fn write_markdown(lake: &Lake, ticket: &Ticket, ledger: &Ledger) -> Result<String> {
    let rel = format!("tickets/{}.md", ticket.ticket_id);
    let mut doc = format!("# {}\n\n{}\n", ticket.title, render::body(ticket));
    if !ledger.notes.is_empty() {
        doc.push_str("## Updates\n\n");
        for n in &ledger.notes {
            doc.push_str(&format!("{}\n\n", n.text.trim_end()));
        }
    }
    doc.push_str("## History\n\n");
    for entry in &ledger.sent {
        doc.push_str(&format!("- {}\n", entry.replacen(':', ": ", 1)));
    }
    lake.store()
        .put(&lake.path(&rel), PutPayload::from(doc.into_bytes()))
        .await?;
    Ok(rel)
}

impl Sink {
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
        match self {
            Sink::Markdown => {
                ledger.external_ref = Some(write_markdown(lake, ticket, &ledger).await?);
            }
            Sink::GitHub {
                api,
                repo,
                token,
                http,
            } => {
                let Some(n) = &ledger.remote_id else {
                    return Ok(false);
                };
                let path = format!("/issues/{n}/comments");
                let body = json!({"body": text});
                github_call(
                    http,
                    (api, repo, token),
                    reqwest::Method::POST,
                    &path,
                    body,
                    "comment",
                )
                .await?;
            }
            Sink::Linear {
                api,
                key: api_key,
                http,
                ..
            } => {
                let Some(id) = &ledger.remote_id else {
                    return Ok(false);
                };
                linear_call(
                    http,
                    (api, api_key),
                    "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success } }",
                    json!({"input": {"issueId": id, "body": text}}),
                    "commentCreate",
                )
                .await?;
            }
        }
        ledger.save(lake, &ticket.ticket_id).await?;
        Ok(true)
    }
}

/// A GitHub REST call on `repo`'s path (`/issues/7/comments`) with its JSON answer.
async fn github_call(
    http: &reqwest::Client,
    (api, repo, token): (&str, &str, &str),
    method: reqwest::Method,
    path: &str,
    body: Value,
    what: &str,
) -> Result<Value> {
    let req = http
        .request(method, format!("{api}/repos/{repo}{path}"))
        .bearer_auth(token)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .json(&body);
    send_json("github", what, req).await
}

/// A Linear GraphQL call; GraphQL `errors` in the answer fail it.
async fn linear_call(
    http: &reqwest::Client,
    (api, key): (&str, &str),
    query: &str,
    variables: Value,
    what: &str,
) -> Result<Value> {
    let req = http
        .post(api)
        .header("Authorization", key)
        .json(&json!({"query": query, "variables": variables}));
    let r = send_json("linear", what, req).await?;
    if let Some(errors) = r.get("errors") {
        return Err(Error::Sink {
            sink: "linear".into(),
            what: what.into(),
            reason: errors.to_string(),
            retryable: false,
        });
    }
    Ok(r)
}

fn bad_answer(sink: &str, what: &str, r: &Value) -> Error {
    Error::Sink {
        sink: sink.into(),
        what: what.into(),
        reason: format!("unexpected answer: {r}"),
        retryable: false,
    }
}

/// Send a request and read its JSON answer; 5xx, 429 and network errors are retryable.
async fn send_json(sink: &str, what: &str, req: reqwest::RequestBuilder) -> Result<Value> {
    let err = |reason: String, retryable: bool| Error::Sink {
        sink: sink.into(),
        what: what.into(),
        reason,
        retryable,
    };
    let resp = req.send().await.map_err(|e| err(e.to_string(), true))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| err(e.to_string(), true))?;
    if !status.is_success() {
        let retryable = status.is_server_error() || status.as_u16() == 429;
        let hint = match status.as_u16() {
            401 | 403 => " (check the token and its permissions)",
            404 => " (check the repository or endpoint)",
            _ => "",
        };
        return Err(err(
            format!(
                "HTTP {status}{hint}: {}",
                text.chars().take(300).collect::<String>()
            ),
            retryable,
        ));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| err(format!("answer is not JSON: {e}"), false))
}
