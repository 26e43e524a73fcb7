//! `signals hook claude-code`: the live hook a coding agent runs on each prompt
//! (see `signals_hook`). It always exits 0: a failure of its own is a line on
//! stderr, never a blocked prompt.

use std::io::Read;
use std::process::ExitCode;

use signals_hook::Messages;
use signals_judge::FrictionParams;
use signals_runner::{Param, Pipeline};

/// Arguments of `signals hook`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    agent: Agent,
}

#[derive(Debug, clap::Subcommand)]
enum Agent {
    /// Claude Code's `UserPromptSubmit` hook: the hook input on stdin; prints the
    /// hook's JSON output (`additionalContext`) when a rephrasing cascade or
    /// context churn is under way, nothing otherwise.
    ClaudeCode {
        /// The pipeline whose `hook_cascade_message` and `hook_churn_message`
        /// parameters say what to tell the agent.
        #[arg(long, default_value = "daily")]
        pipeline: String,
        /// Record each intervention in this lake's `interventions` table (so the
        /// daily pipeline can tell whether they help); not recorded without it.
        #[arg(long, value_name = "LAKE")]
        log: Option<String>,
    },
}

/// The wording and the detector settings from the pipeline's parameters, as its
/// judge stages use them.
fn settings(pipeline: &str) -> anyhow::Result<(Messages, FrictionParams)> {
    let p = Pipeline::load(pipeline)?;
    let params = p.resolve_params(&[], "")?;
    let get = |k: &str| match params.get(k) {
        Some(Param::Str(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(anyhow::anyhow!(
            "pipeline {pipeline} has no parameter {k} (the daily pipeline's has it)"
        )),
    };
    let messages = Messages {
        cascade: get("hook_cascade_message")?,
        churn: get("hook_churn_message")?,
    };
    Ok((messages, FrictionParams::from_params(&params)))
}

/// Run `signals hook`.
pub async fn run(args: Args) -> ExitCode {
    let Agent::ClaudeCode { pipeline, log } = args.agent;
    let found = (|| -> anyhow::Result<Option<signals_hook::Intervention>> {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let (messages, params) = settings(&pipeline)?;
        Ok(signals_hook::claude_code(&input, &messages, &params)?)
    })();
    match found {
        Ok(Some(i)) => {
            // Answer first: a slow or failing log never holds the prompt back.
            println!("{}", i.output);
            if let Some(url) = log {
                let logged = async {
                    let lake = super::open_lake(&url)?;
                    signals_hook::log(&lake, "claude-code", &i, chrono::Utc::now()).await?;
                    anyhow::Ok(())
                };
                if let Err(e) = logged.await {
                    eprintln!("signals hook: {e:#}");
                }
            }
        }
        Ok(None) => {}
        Err(e) => eprintln!("signals hook: {e:#} (the prompt goes on unchanged)"),
    }
    ExitCode::SUCCESS
}
