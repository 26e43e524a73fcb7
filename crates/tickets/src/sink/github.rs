//! Tickets as GitHub issues (REST): opened with labels, then a comment per
//! action, the description kept current, a `faded` label when the friction fades.

use serde_json::{Value, json};
use signals_lake::Lake;

use super::http::{bad_answer, client, send_json};
use super::{Ledger, Opened, SinkConfig, TicketSink, required};
use crate::Result;
use crate::render;
use crate::ticket::Ticket;

/// A GitHub repository's issues.
#[derive(Debug, Clone)]
pub struct GitHub {
    api: String,
    repo: String,
    token: String,
    http: reqwest::Client,
}

impl GitHub {
    /// From a config with the repository and a token.
    pub fn new(cfg: &SinkConfig) -> Result<GitHub> {
        Ok(GitHub {
            api: cfg
                .github_api
                .clone()
                .unwrap_or_else(|| "https://api.github.com".into())
                .trim_end_matches('/')
                .to_string(),
            repo: required(
                "github",
                &cfg.github_repo,
                "the repository (parameter github_repo = \"owner/name\")",
            )?,
            token: required("github", &cfg.github_token, "GITHUB_TOKEN")?,
            http: client(),
        })
    }

    /// A REST call on the repository's path (`/issues/7/comments`) with its JSON answer.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
        what: &str,
    ) -> Result<Value> {
        let req = self
            .http
            .request(method, format!("{}/repos/{}{path}", self.api, self.repo))
            .bearer_auth(&self.token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .json(&body);
        send_json("github", what, req).await
    }
}

#[async_trait::async_trait]
impl TicketSink for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    async fn open(&self, _lake: &Lake, ticket: &Ticket, _ledger: &Ledger) -> Result<Opened> {
        let labels = json!([
            "agent-signals",
            format!("friction:{}", ticket.friction_type)
        ]);
        let r = self
            .call(
                reqwest::Method::POST,
                "/issues",
                json!({"title": ticket.title, "body": render::body(ticket), "labels": labels}),
                "create issue",
            )
            .await?;
        let remote_id = r["number"].as_i64().map(|n| n.to_string());
        if remote_id.is_none() {
            return Err(bad_answer("github", "create issue", &r));
        }
        Ok(Opened {
            remote_id,
            external_ref: r["html_url"].as_str().map(String::from),
        })
    }

    async fn update(&self, ticket: &Ticket, date: &str, n: &str) -> Result<()> {
        self.comment(n, &render::comment(ticket, date)).await?;
        if ticket.action == "faded" {
            self.call(
                reqwest::Method::POST,
                &format!("/issues/{n}/labels"),
                json!({"labels": ["faded"]}),
                "label",
            )
            .await?;
        } else {
            // Keep the description current.
            self.call(
                reqwest::Method::PATCH,
                &format!("/issues/{n}"),
                json!({"title": ticket.title, "body": render::body(ticket)}),
                "update issue",
            )
            .await?;
        }
        Ok(())
    }

    async fn comment(&self, n: &str, text: &str) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/issues/{n}/comments"),
            json!({"body": text}),
            "comment",
        )
        .await?;
        Ok(())
    }
}
