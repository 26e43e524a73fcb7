//! Tickets as Linear issues (GraphQL): opened in a team, then the description
//! kept current and a comment per action.

use serde_json::{Value, json};
use signals_lake::Lake;

use super::http::{bad_answer, client, send_json};
use super::{Ledger, Opened, SinkConfig, TicketSink, required};
use crate::render;
use crate::ticket::Ticket;
use crate::{Error, Result};

const ISSUE_CREATE: &str = "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }";
const ISSUE_UPDATE: &str = "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }";
const COMMENT_CREATE: &str = "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success } }";

/// A Linear team's issues.
#[derive(Debug, Clone)]
pub struct Linear {
    api: String,
    team: String,
    key: String,
    http: reqwest::Client,
}

impl Linear {
    /// From a config with the team id and an API key.
    pub fn new(cfg: &SinkConfig) -> Result<Linear> {
        Ok(Linear {
            api: cfg
                .linear_api
                .clone()
                .unwrap_or_else(|| "https://api.linear.app/graphql".into()),
            team: required(
                "linear",
                &cfg.linear_team,
                "the team id (parameter linear_team)",
            )?,
            key: required("linear", &cfg.linear_key, "LINEAR_API_KEY")?,
            http: client(),
        })
    }

    /// A GraphQL call; GraphQL `errors` in the answer fail it.
    async fn call(&self, query: &str, variables: Value, what: &str) -> Result<Value> {
        let req = self
            .http
            .post(&self.api)
            .header("Authorization", &self.key)
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
}

#[async_trait::async_trait]
impl TicketSink for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    async fn open(&self, _lake: &Lake, ticket: &Ticket, _ledger: &Ledger) -> Result<Opened> {
        let r = self
            .call(
                ISSUE_CREATE,
                json!({"input": {"teamId": self.team, "title": ticket.title, "description": render::body(ticket)}}),
                "issueCreate",
            )
            .await?;
        let issue = &r["data"]["issueCreate"]["issue"];
        let remote_id = issue["id"].as_str().map(String::from);
        if remote_id.is_none() {
            return Err(bad_answer("linear", "issueCreate", &r));
        }
        Ok(Opened {
            remote_id,
            external_ref: issue["url"].as_str().map(String::from),
        })
    }

    async fn update(&self, ticket: &Ticket, date: &str, id: &str) -> Result<()> {
        self.call(
            ISSUE_UPDATE,
            json!({"id": id, "input": {"title": ticket.title, "description": render::body(ticket)}}),
            "issueUpdate",
        )
        .await?;
        self.comment(id, &render::comment(ticket, date)).await
    }

    async fn comment(&self, id: &str, text: &str) -> Result<()> {
        self.call(
            COMMENT_CREATE,
            json!({"input": {"issueId": id, "body": text}}),
            "commentCreate",
        )
        .await?;
        Ok(())
    }
}
