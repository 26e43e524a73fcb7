//! The `tickets` and `resolve` stage kinds.

use std::sync::Arc;

use serde::Deserialize;
use signals_stage::{Context, Fields, Outcome, Params, ParamsExt, SqlFiles, Stage, StageError};

use crate::{FileOptions, ResolveOptions, Sink, SinkConfig, file_tickets, resolve_tickets};

/// The ticket sink a run's parameters name (`ticket_sink`, default `markdown`;
/// `github_repo`, `linear_team`; tokens from the environment).
pub fn sink(params: &Params) -> crate::Result<Sink> {
    let kind = params.text("ticket_sink", "markdown");
    let cfg = SinkConfig::from_env(
        &kind,
        params.get_text("github_repo"),
        params.get_text("linear_team"),
    );
    Sink::new(&cfg)
}

impl From<crate::Error> for StageError {
    fn from(e: crate::Error) -> Self {
        StageError::new(e.class(), e)
    }
}

/// A `tickets` stage: the date's crossing patterns filed to the sink of the
/// `ticket_sink` parameter; writes the `tickets` snapshot (`fade_days`: quiet
/// days before an open ticket fades).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketsStage {
    /// The patterns table.
    #[serde(default = "friction_patterns")]
    pub input: String,
}

fn friction_patterns() -> String {
    "friction_patterns".into()
}

/// Build a `tickets` stage from its fields.
pub fn tickets(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    let s: TicketsStage = signals_stage::fields("tickets", f)?;
    if s.input != "friction_patterns" {
        return Err(vec![format!(
            "a tickets stage reads friction_patterns, not {:?}",
            s.input
        )]);
    }
    Ok(Arc::new(s))
}

#[async_trait::async_trait]
impl Stage for TicketsStage {
    fn kind(&self) -> &'static str {
        "tickets"
    }

    fn describe(&self) -> String {
        format!("tickets from {} -> tickets", self.input)
    }

    fn outputs(&self) -> Vec<String> {
        vec!["tickets".into()]
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        // The day's frictions give the tickets' citations.
        vec![self.input.clone(), "frictions".into()]
    }

    // A date's tickets build on the previous date's snapshot.
    fn stateful(&self) -> bool {
        true
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        sink(params)?;
        Ok(())
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let sink = sink(cx.params)?;
        let opts = FileOptions {
            fade_days: cx.params.int("fade_days", FileOptions::default().fade_days),
            dry_run: false,
        };
        let r = file_tickets(cx.lake, cx.date, &sink, &opts).await?;
        Ok(Outcome::Done { rows: r.tickets })
    }
}

/// A `resolve` stage: the date's new tickets handed to a coding-agent command
/// (ticket JSON on stdin) in a git checkout, each on a new branch; writes
/// `ticket_resolutions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveStage {
    /// The coding-agent command: program and arguments.
    pub run: Vec<String>,
    /// The git checkout it works in (relative to the working directory).
    pub checkout: String,
    /// Branch new branches start from (default: the checkout's current one).
    pub base: Option<String>,
    /// Most tickets handed off per date.
    #[serde(default = "one")]
    pub max_tickets: usize,
}

fn one() -> usize {
    1
}

/// Build a `resolve` stage from its fields.
pub fn resolve(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    let s: ResolveStage = signals_stage::fields("resolve", f)?;
    if s.run.is_empty() {
        return Err(vec![
            "a resolve stage needs `run = [\"program\", \"arg\", ...]`: the coding-agent command"
                .into(),
        ]);
    }
    Ok(Arc::new(s))
}

#[async_trait::async_trait]
impl Stage for ResolveStage {
    fn kind(&self) -> &'static str {
        "resolve"
    }

    fn describe(&self) -> String {
        format!(
            "resolve: {} in {} -> ticket_resolutions",
            self.run.first().map_or("", String::as_str),
            self.checkout
        )
    }

    fn outputs(&self) -> Vec<String> {
        vec!["ticket_resolutions".into()]
    }

    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        vec!["tickets".into()]
    }

    fn configure(&self, params: &Params) -> Result<(), StageError> {
        sink(params)?;
        Ok(())
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let sink = sink(cx.params)?;
        let opts = ResolveOptions {
            command: self.run.clone(),
            checkout: self.checkout.clone().into(),
            base: self.base.clone(),
            max_tickets: self.max_tickets,
            branch_prefix: "signals/".into(),
        };
        let r = resolve_tickets(cx.lake, cx.date, &sink, &opts).await?;
        Ok(Outcome::Done { rows: r.rows })
    }
}
