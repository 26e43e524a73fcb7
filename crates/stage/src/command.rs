//! The `command` stage kind: an external process with the run's context in
//! `SIGNALS_*` variables.

use std::sync::Arc;

use serde::Deserialize;
use signals_lake::ErrorClass;

use crate::{Context, Fields, Outcome, Stage, StageError};

/// Exit status of a command stage that means "waiting on something external;
/// run again later" (EX_TEMPFAIL).
pub const EXIT_WAITING: i32 = 75;

/// A `command` stage's fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandStage {
    /// Program and arguments.
    pub run: Vec<String>,
}

/// Build a `command` stage from its fields.
pub fn parse(f: &Fields) -> Result<Arc<dyn Stage>, Vec<String>> {
    let s: CommandStage = crate::fields("command", f)?;
    if s.run.is_empty() {
        return Err(vec![
            "a command stage needs `run = [\"program\", \"arg\", ...]`".into(),
        ]);
    }
    Ok(Arc::new(s))
}

#[async_trait::async_trait]
impl Stage for CommandStage {
    fn kind(&self) -> &'static str {
        "command"
    }

    fn describe(&self) -> String {
        format!("command {}", self.run.join(" "))
    }

    async fn run(&self, cx: &Context<'_>) -> Result<Outcome, StageError> {
        let line = self.run.join(" ");
        let fail = |reason: String, class| {
            StageError::new(
                class,
                format!("stage {}: command {line:?} {reason}", cx.stage),
            )
        };
        let mut cmd = tokio::process::Command::new(&self.run[0]);
        cmd.args(&self.run[1..])
            .env("SIGNALS_LAKE", cx.lake.url().as_str())
            .env("SIGNALS_PIPELINE", cx.pipeline)
            .env("SIGNALS_STAGE", cx.stage)
            .env("SIGNALS_DATE", cx.date.to_string())
            .kill_on_drop(true);
        for (k, v) in cx.params {
            cmd.env(format!("SIGNALS_PARAM_{}", k.to_uppercase()), v.to_string());
        }
        let out = cmd
            .output()
            .await
            .map_err(|e| fail(format!("could not start: {e}"), ErrorClass::User))?;
        let last = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string()
        };
        match out.status.code() {
            Some(0) => Ok(Outcome::Done { rows: 0 }),
            Some(EXIT_WAITING) => Ok(Outcome::Waiting {
                note: Some(last(&out.stdout))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| last(&out.stderr)),
            }),
            code => Err(fail(
                format!(
                    "exited with {}: {}",
                    code.map_or("a signal".to_string(), |c| format!("status {c}")),
                    last(&out.stderr)
                ),
                // 69 and 74 (EX_UNAVAILABLE, EX_IOERR): worth a retry.
                if matches!(code, Some(69 | 74)) {
                    ErrorClass::External
                } else {
                    ErrorClass::User
                },
            )),
        }
    }
}
