//! What a pipeline stage is, for the runner and for the crates that implement
//! one: the [`Stage`] trait, the run's [`Params`], and how an attempt ends
//! ([`Outcome`], [`StageError`]).
//!
//! A stage kind lives in the crate that owns its domain (the `judge` kind in
//! `signals-llm`, `tickets` and `resolve` in `signals-tickets`, `remeasure` in
//! `signals-deploy`, `discover` in `signals-discover`, `ingest` in
//! `signals-ingest`, `alerts` and `digest` in `signals-digest`; the generic `sql`
//! and `command` kinds here). Each parses its own fields of a `[[stage]]` table
//! into a typed config with its defaults ([`fields`]), says which tables it reads
//! and writes, checks what it can before a run, and runs. The runner orders,
//! leases, records and retries; adding a kind is its crate and one line in the
//! runner's registry.

pub mod command;
mod params;
pub mod sql;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use serde::de::DeserializeOwned;
use signals_lake::{ErrorClass, Lake};

pub use params::{Param, Params, ParamsExt};

/// The kind-specific fields of a `[[stage]]` table (everything but `name`,
/// `kind`, `doc`, `after`, `retries`, `timeout_s`, `when` and `weekdays`).
pub type Fields = toml::Table;

/// Builds a stage of one kind from its fields; every problem, one line each.
pub type Factory = fn(&Fields) -> Result<Arc<dyn Stage>, Vec<String>>;

/// How a stage attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done; rows written.
    Done {
        /// Rows written.
        rows: u64,
    },
    /// Done, with a line on what it found.
    Noted {
        /// Rows written.
        rows: u64,
        /// What it found.
        note: String,
    },
    /// Nothing to do (switched off by a parameter).
    Off {
        /// Why.
        note: String,
    },
    /// Waiting on something external; a later run runs the stage again.
    Waiting {
        /// What it waits for.
        note: String,
    },
}

/// A stage's failure: what happened, and whose problem it is (the runner retries
/// [`ErrorClass::External`] ones with backoff).
#[derive(Debug)]
pub struct StageError {
    class: ErrorClass,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StageError {
    /// An error of `class`.
    pub fn new(
        class: ErrorClass,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            class,
            source: source.into(),
        }
    }

    /// A problem with the input or the pipeline: `message` says what to change.
    pub fn user(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::User, message.into())
    }

    /// A remote system failed: worth a retry.
    pub fn external(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::External, message.into())
    }

    /// A bug of agent-signals.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Internal, message.into())
    }

    /// Whose problem it is.
    pub fn class(&self) -> ErrorClass {
        self.class
    }
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for StageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

impl From<signals_lake::Error> for StageError {
    fn from(e: signals_lake::Error) -> Self {
        Self::new(e.class(), e)
    }
}

impl From<datafusion::error::DataFusionError> for StageError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Self::new(signals_lake::datafusion_class(&e), e)
    }
}

/// Where a pipeline's `sql/` files are read from.
pub trait SqlFiles: Send + Sync {
    /// The text of `file` (a path under `sql/`), or what is wrong.
    fn read(&self, file: &str) -> Result<String, String>;
}

/// What a stage attempt runs with.
pub struct Context<'a> {
    /// The lake.
    pub lake: &'a Lake,
    /// The date partition.
    pub date: NaiveDate,
    /// The run's parameters (`date` included).
    pub params: &'a Params,
    /// The pipeline's `sql/` files.
    pub sql: &'a dyn SqlFiles,
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The stage's name.
    pub stage: &'a str,
    /// Wait for external work (`signals run --wait`) instead of leaving the stage waiting.
    pub wait: bool,
}

/// What validation before a run sees.
pub struct Check<'a> {
    /// A session over the lake (every table, view and SQL function).
    pub ctx: &'a SessionContext,
    /// The parameters the pipeline declares (and `date`).
    pub declared: &'a BTreeSet<String>,
    /// The pipeline's `sql/` files.
    pub sql: &'a dyn SqlFiles,
}

/// One kind of pipeline stage, configured by its `[[stage]]` table.
#[async_trait::async_trait]
pub trait Stage: Send + Sync + std::fmt::Debug {
    /// The kind's name in pipeline files.
    fn kind(&self) -> &'static str;

    /// One line for `signals dag show`: what it reads and writes.
    fn describe(&self) -> String;

    /// The lake tables it writes (a table has one writer in a pipeline).
    fn outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// Tables it writes from state it shares with other stages of its kind (the
    /// LLM judge's passes each write the date's `judge_usage` from the one batch
    /// state): several stages of the kind may write them, no other stage may.
    fn shared_outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// The lake tables it reads. Those another stage writes must be upstream of
    /// it; those no stage writes are the date's inputs (a change to their
    /// partition reruns the date).
    fn reads(&self, _sql: &dyn SqlFiles) -> Vec<String> {
        Vec::new()
    }

    /// The `sql/` file it runs, for stages that run one as their query.
    fn sql_file(&self) -> Option<&str> {
        None
    }

    /// Whether a date's run builds on the previous date's (so dates run in order).
    fn stateful(&self) -> bool {
        false
    }

    /// Whether it writes the pipeline's inputs (the runner reads their versions
    /// again after the run).
    fn writes_inputs(&self) -> bool {
        false
    }

    /// What can be checked of the run's parameters and environment before any
    /// stage runs (a missing token, an unknown judge).
    fn configure(&self, _params: &Params) -> Result<(), StageError> {
        Ok(())
    }

    /// Problems found against the lake before a run (SQL that does not plan,
    /// undeclared parameters), one line each.
    async fn validate(&self, _check: &Check<'_>) -> Vec<String> {
        Vec::new()
    }

    /// One attempt.
    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError>;
}

/// A stage kind's fields as its typed config `T` (serde, unknown fields
/// refused), with problems worded for pipeline files.
pub fn fields<T: DeserializeOwned>(kind: &str, fields: &Fields) -> Result<T, Vec<String>> {
    toml::Value::Table(fields.clone())
        .try_into()
        .map_err(|e: toml::de::Error| {
            let m = e.message().to_string();
            let field = |s: &str| s.split('`').nth(1).unwrap_or("").to_string();
            vec![if m.starts_with("missing field") {
                format!("a {kind} stage needs `{}`", field(&m))
            } else if m.starts_with("unknown field") {
                format!("a {kind} stage has no field `{}` ({m})", field(&m))
            } else {
                format!("{kind} stage: {}", m.trim())
            }]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Two {
        sql: String,
        #[serde(default)]
        output: Option<String>,
    }

    fn table(text: &str) -> Fields {
        text.parse().unwrap()
    }

    #[test]
    fn a_kinds_fields_are_typed_and_problems_name_the_field() {
        assert!(fields::<Two>("sql", &table("sql = \"a.sql\"")).is_ok());
        let e = fields::<Two>("sql", &table("output = \"t\"")).unwrap_err();
        assert_eq!(e, ["a sql stage needs `sql`"]);
        let e = fields::<Two>("sql", &table("sql = \"a\"\noutptu = \"t\"")).unwrap_err();
        assert!(
            e[0].starts_with("a sql stage has no field `outptu`"),
            "{e:?}"
        );
        let e = fields::<Two>("sql", &table("sql = 3")).unwrap_err();
        assert!(e[0].starts_with("sql stage: "), "{e:?}");
    }

    #[test]
    fn params_read_typed_with_their_defaults() {
        let mut p = Params::new();
        p.insert("n".into(), Param::Int(4));
        p.insert("x".into(), Param::Float(0.5));
        p.insert("s".into(), Param::Str("slack".into()));
        assert_eq!(p.int("n", 1), 4);
        assert_eq!(p.int("x", 1), 1, "not an integer: the default");
        assert_eq!(p.float("n", 0.0), 4.0, "an integer widens");
        assert_eq!(p.text("s", "markdown"), "slack");
        assert_eq!(p.text("missing", "markdown"), "markdown");
        assert_eq!(
            Param::Int(0).parse_like("n", "many").unwrap_err(),
            "--param n=many: expected an integer"
        );
        let e = StageError::user("fix it");
        assert_eq!(
            (e.class(), e.to_string()),
            (ErrorClass::User, "fix it".into())
        );
    }
}
