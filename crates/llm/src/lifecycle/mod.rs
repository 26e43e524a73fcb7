//! The LLM judge's requests over a date, from first submission to the tables.
//!
//! Both passes of every analysed session go out together: in batch mode as JSONL
//! files of the Batch API (split to its limits, uploaded with `purpose=batch`),
//! in sync mode as Chat Completions calls with bounded concurrency. The state of
//! every request (attempt, batch, result) is kept in the lake
//! (`_llm/date=D.json`) after every step, so a crash or a later run resumes
//! polling and never resubmits work that was already sent. Failed, expired,
//! truncated, malformed or off-schema replies are retried up to
//! `max_attempts`; what still fails is written to `judge_failures`.
//!
//! The parts: [`state`] (what is kept in the lake), [`batch`] and [`sync`] (the
//! two ways requests go out), [`tables`] (the settled state written out); this
//! module drives them and judges each reply.

mod batch;
mod state;
mod sync;
mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use chrono::NaiveDate;
use serde_json::{Value, json};
use signals_judge::delight::Delight;
use signals_judge::run::{Selection, for_each_session};
use signals_judge::{Facet, Moment, Session};
use signals_lake::Lake;

use crate::cascade;
use crate::condense::{Condensed, condense};
pub use crate::config::{LlmConfig, Mode};
use crate::reply::{self, Rejected};
use crate::request::{LlmPass, PROMPT_VERSION, body, output_budget};
use crate::{Error, Result};
pub use batch::{BatchInfo, batches, cancel};
use state::{BatchRec, PROCESS, Req, State, Usage, retry_settings};

/// A reply: its content, finish reason and tokens.
#[derive(Debug, Clone, Default)]
struct Reply {
    content: String,
    finish: String,
    input: i64,
    output: i64,
    reasoning: Option<i64>,
}

/// A reply, or why there was none (reason, detail).
type Answer = std::result::Result<Reply, (String, String)>;

/// Where the judge stands for a date: done (every request done or failed, the
/// pass's table written), or waiting on batches running at the provider.
pub use signals_judge::Progress;

/// What each step of a date's judging works with.
struct Round<'a> {
    client: &'a async_openai::Client<async_openai::config::OpenAIConfig>,
    condensed: &'a BTreeMap<String, Condensed>,
    cfg: &'a LlmConfig,
    lake: &'a Lake,
    date: NaiveDate,
}

impl<'a> Round<'a> {
    /// Its parts, to bind at once: (client, condensed, cfg, lake, date).
    #[allow(clippy::type_complexity)]
    fn parts(
        &self,
    ) -> (
        &'a async_openai::Client<async_openai::config::OpenAIConfig>,
        &'a BTreeMap<String, Condensed>,
        &'a LlmConfig,
        &'a Lake,
        NaiveDate,
    ) {
        (self.client, self.condensed, self.cfg, self.lake, self.date)
    }
}

// One lifecycle per lake and date at a time within a process (the two passes'
// stages share it); runs of one date in different processes are kept apart by
// the runner's lease.
static LOCKS: LazyLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

fn key(pass: LlmPass, session: &str) -> String {
    format!("{}:{session}", pass.id())
}

fn custom_id(k: &str, attempt: u32) -> String {
    format!("{k}:{attempt}")
}

/// Advance the date's LLM judging (submit, poll, take in results, retry) and, once
/// every request is settled, write `pass`'s table and the `judge_usage` and
/// `judge_failures` partitions (and, in a cascade, `judge_agreement`).
///
/// With a cascade the screen judges every selected session; the LLM judges the
/// sessions it flags plus a uniform random sample of the rest, and its labels
/// win where present. A pass whose failed sessions exceed
/// `max_failure_share` writes its tables and then fails, naming the top
/// reason and what to change; running it again in a later process re-judges
/// only the failed requests.
pub async fn run_pass(
    lake: &Lake,
    date: NaiveDate,
    pass: LlmPass,
    selection: &Selection,
    cfg: &LlmConfig,
) -> Result<Progress> {
    let lock = {
        let mut m = LOCKS.lock().expect("lock table");
        Arc::clone(m.entry(format!("{}|{date}", lake.url())).or_default())
    };
    let _held = lock.lock().await;
    let ctx = lake.session_context().await?;
    let mut sessions: BTreeMap<String, Session> = BTreeMap::new();
    for_each_session(&ctx, date, selection, |s| {
        sessions.insert(s.id.clone(), s.clone());
    })
    .await?;
    let screened = cfg
        .cascade
        .as_ref()
        .map(|c| cascade::screen(c, &sessions, pass));
    let chosen: BTreeSet<String> = match &screened {
        Some(sc) => sc.chosen().cloned().collect(),
        None => sessions.keys().cloned().collect(),
    };
    let mut state = State::load(lake, date).await?.unwrap_or_default();
    if state.model != cfg.model
        || state.prompt_version != PROMPT_VERSION
        || state.mode != Some(cfg.mode)
    {
        // A different model or prompt is a different judgement: start over.
        state = State {
            model: cfg.model.clone(),
            prompt_version: PROMPT_VERSION.into(),
            mode: Some(cfg.mode),
            ..State::default()
        };
    }
    if state.settled_by.as_ref().is_some_and(|p| *p != *PROCESS)
        && (state.exceeded || state.settings != retry_settings(cfg))
    {
        // A later run after the date's judging failed, or with the settings
        // changed (a fix): the failed requests get a fresh round, sized anew. A
        // rerun for any other reason keeps them failed (they were paid for).
        for r in state.requests.values_mut().filter(|r| r.status == "failed") {
            r.status = "pending".into();
            r.base_attempt = r.attempt;
            r.budget = 0;
        }
    }
    state.settled_by = None;
    let passes = crate::config::llm_passes(cfg);
    for id in &chosen {
        for p in passes {
            state.requests.entry(key(*p, id)).or_insert_with(|| Req {
                attempt: 0,
                status: "pending".into(),
                ..Req::default()
            });
        }
    }
    // Requests of sessions that left the selection (or the cascade's choice)
    // are not sent.
    for (k, r) in state.requests.iter_mut() {
        if r.status == "pending" && !counts(k, &chosen, cfg) {
            r.status = "done".into();
            r.result = None;
        }
    }
    // Only sessions with a request still open are condensed (tokenizing is the
    // costly part): a settled session's replies are already in the state.
    let open = |id: &str| {
        [LlmPass::Friction, LlmPass::Facets].iter().any(|p| {
            state
                .requests
                .get(&key(*p, id))
                .is_some_and(|r| !matches!(&r.status[..], "done" | "failed"))
        })
    };
    let condensed: BTreeMap<String, Condensed> = sessions
        .iter()
        .filter(|(id, _)| open(id))
        .map(|(id, s)| (id.clone(), condense(s, cfg.input_budget)))
        .collect();
    for (id, c) in &condensed {
        state.full_tokens.insert(id.clone(), c.full_tokens as i64);
    }
    let client = cfg.client();
    let round = Round {
        client: &client,
        condensed: &condensed,
        cfg,
        lake,
        date,
    };
    let mut delay = cfg.poll_interval;
    loop {
        match cfg.mode {
            Mode::Sync => sync::sync_round(&round, &mut state).await?,
            Mode::Batch => {
                batch::adopt_uploaded(&client, &mut state, lake, date).await?;
                batch::poll(&round, &mut state).await?;
                batch::submit(&round, &mut state).await?;
            }
        }
        let running: Vec<&BatchRec> = state.batches.iter().filter(|b| !b.processed).collect();
        let open = state
            .requests
            .values()
            .any(|r| matches!(&r.status[..], "pending" | "uploaded" | "submitted"));
        if !open {
            break;
        }
        if cfg.mode == Mode::Batch && !cfg.wait {
            let ids: Vec<&str> = running.iter().map(|b| b.id.as_str()).collect();
            return Ok(Progress::Waiting {
                note: format!(
                    "{} batch(es) running at the provider: {}; run again to collect",
                    ids.len(),
                    ids.join(", ")
                ),
            });
        }
        if cfg.mode == Mode::Batch {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(cfg.poll_interval * 16);
        }
    }
    let rows =
        tables::write_tables(lake, date, pass, &state, &chosen, screened.as_ref(), cfg).await?;
    let failed = mostly_failed(&state, &chosen, cfg);
    state.settled_by = Some(PROCESS.clone());
    state.exceeded = failed.is_some();
    state.settings = retry_settings(cfg);
    state.save(lake, date).await?;
    match failed {
        Some(why) => Err(Error::MostlyFailed(why)),
        None => Ok(Progress::Done { rows }),
    }
}

/// Whether request `k` (`pass:session`) is part of this judgement: its session
/// is chosen and its pass is one the LLM runs.
fn counts(k: &str, chosen: &BTreeSet<String>, cfg: &LlmConfig) -> bool {
    k.split_once(':').is_some_and(|(p, s)| {
        chosen.contains(s)
            && LlmPass::from_id(p).is_some_and(|p| crate::config::llm_passes(cfg).contains(&p))
    })
}

/// Why the date's judging counts as failed: more than `max_failure_share` of the
/// judged sessions have a failed request, named by the commonest reason with
/// what to change.
fn mostly_failed(state: &State, chosen: &BTreeSet<String>, cfg: &LlmConfig) -> Option<String> {
    let failed: Vec<(&str, &Req)> = state
        .requests
        .iter()
        .filter(|(k, r)| r.status == "failed" && counts(k, chosen, cfg))
        .filter_map(|(k, r)| Some((k.split_once(':')?.1, r)))
        .collect();
    let sessions: BTreeSet<&str> = failed.iter().map(|(s, _)| *s).collect();
    if chosen.is_empty() || (sessions.len() as f64) <= cfg.max_failure_share * chosen.len() as f64 {
        return None;
    }
    let requests = state
        .requests
        .keys()
        .filter(|k| counts(k, chosen, cfg))
        .count();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &failed {
        *by_reason
            .entry(r.reason.as_deref().unwrap_or("error"))
            .or_default() += 1;
    }
    let (reason, n) = by_reason
        .iter()
        .max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r)))
        .map(|(r, n)| (*r, *n))?;
    let last = |f: &dyn Fn(&Usage) -> Option<i64>| -> Vec<i64> {
        failed
            .iter()
            .filter(|(_, r)| r.reason.as_deref() == Some(reason))
            .filter_map(|(_, r)| r.usage.last().and_then(f))
            .collect()
    };
    let profile = cfg.profile();
    let effort = profile
        .effort(cfg.reasoning_effort)
        .map_or("none", |e| e.id());
    let advice = match reason {
        "truncated" => {
            let reasoning = last(&|u| u.reasoning_tokens);
            let budgets = last(&|u| u.budget);
            let mean = |v: &[i64]| v.iter().sum::<i64>() / (v.len().max(1) as i64);
            if profile.reasoning && reasoning.iter().any(|n| *n > 0) {
                format!(
                    "the model spent its completion budget on reasoning ({} reasoning tokens on average, budget up to {}); lower llm_reasoning_effort (now {effort}) or raise llm_max_completion_tokens (now {})",
                    mean(&reasoning),
                    budgets.iter().max().copied().unwrap_or(0),
                    cfg.max_completion_tokens
                )
            } else {
                format!(
                    "the replies ran past their completion budget (up to {} tokens); raise llm_output_budget or llm_max_completion_tokens (now {})",
                    budgets.iter().max().copied().unwrap_or(0),
                    cfg.max_completion_tokens
                )
            }
        }
        "error" => {
            let detail = failed
                .iter()
                .find(|(_, r)| r.reason.as_deref() == Some("error"))
                .and_then(|(_, r)| r.detail.clone())
                .unwrap_or_default();
            format!(
                "the API answered with errors (last: {detail}); check llm_model ({}), llm_base_url and the provider's status",
                cfg.model
            )
        }
        "expired" => "the batches expired before these requests ran; run again (they are resubmitted) or use llm_mode = \"sync\"".into(),
        _ => format!(
            "the replies did not follow the JSON schema; use a model with strict structured outputs (json_schema) instead of {}",
            cfg.model
        ),
    };
    Some(format!(
        "the LLM judge failed on {} of {} sessions ({:.0}%, more than llm_max_failure_share = {:.0}%): {n} of {requests} requests {reason}: {advice}. Running again after the fix judges only the failed sessions",
        sessions.len(),
        chosen.len(),
        100.0 * sessions.len() as f64 / chosen.len() as f64,
        100.0 * cfg.max_failure_share
    ))
}

/// Take one reply's content in: validate it; a usable one settles the request,
/// anything else is retried or, out of attempts, fails. A reply cut off by the
/// completion budget doubles the budget of the retry (up to the cap): the same
/// request would be cut off the same way.
fn settle(req: &mut Req, pass: LlmPass, c: &Condensed, outcome: Answer, cfg: &LlmConfig) {
    let budget = req.budget;
    let (status, detail, reply, rewritten) = match outcome {
        Ok(r) if r.finish == "length" => {
            let detail = match r.reasoning {
                Some(n) if n > 0 => format!(
                    "cut off at {} completion tokens ({n} of them reasoning) of a budget of {budget}",
                    r.output
                ),
                _ => format!(
                    "cut off at {} completion tokens of a budget of {budget}",
                    r.output
                ),
            };
            req.budget = budget
                .saturating_mul(2)
                .min(cfg.max_completion_tokens)
                .max(budget);
            ("truncated".to_string(), detail, r, 0)
        }
        Ok(r) => {
            let parsed = match pass {
                LlmPass::Friction | LlmPass::Delight => reply::friction_and_delights(&r.content, c)
                    .map(|(ms, ds, n)| (moments_json(&ms, &ds), n)),
                LlmPass::Facets => reply::facets(&r.content, c, &cfg.discovered)
                    .map(|(fs, summary, rw)| (facets_json(&fs, &summary), u64::from(rw))),
            };
            match parsed {
                Ok((value, n)) => {
                    req.result = Some(value);
                    ("ok".to_string(), String::new(), r, n as i64)
                }
                Err(Rejected::Malformed(m)) => ("malformed".to_string(), m, r, 0),
                Err(Rejected::Schema(m)) => ("schema".to_string(), m, r, 0),
            }
        }
        Err((status, detail)) => (status, detail, Reply::default(), 0),
    };
    req.usage.push(Usage {
        attempt: req.attempt,
        status: status.clone(),
        input_tokens: reply.input,
        output_tokens: reply.output,
        rewritten,
        reasoning_tokens: reply.reasoning,
        budget: (budget > 0).then_some(i64::from(budget)),
    });
    req.batch = None;
    if status == "ok" {
        req.status = "done".into();
        req.reason = None;
        req.detail = None;
    } else if req.attempt.saturating_sub(req.base_attempt) >= cfg.max_attempts {
        req.status = "failed".into();
        req.reason = Some(status);
        req.detail = Some(detail);
    } else {
        req.status = "pending".into();
        req.reason = Some(status);
        req.detail = Some(detail);
    }
}

/// A friction reply as kept in the state: its moments, and its delights.
fn moments_json(ms: &[Moment], ds: &[Delight]) -> Value {
    json!({
        "moments": ms.iter().map(|m| {
            json!({"t": m.friction_type.id(), "s": m.severity.id(), "a": m.first_seq, "b": m.last_seq, "c": m.citation, "p": m.confidence})
        }).collect::<Vec<_>>(),
        "delights": ds.iter().map(|d| {
            json!({"t": d.delight_type.id(), "s": d.strength.id(), "a": d.first_seq, "b": d.last_seq, "c": d.citation, "p": d.confidence})
        }).collect::<Vec<_>>(),
    })
}

fn facets_json(fs: &[Facet], summary: &str) -> Value {
    json!({
        "facets": fs.iter().map(|f| json!([f.facet, f.value, f.source])).collect::<Vec<_>>(),
        "summary": summary,
    })
}

/// The content, finish reason and token counts of a Chat Completions response
/// (reasoning tokens from `usage.completion_tokens_details`, where a reasoning
/// model reports them).
fn completion(resp: &Value, fallback_input: i64) -> Answer {
    let choice = &resp["choices"][0];
    let content = choice["message"]["content"].as_str();
    let finish = choice["finish_reason"].as_str().unwrap_or("").to_string();
    let usage = &resp["usage"];
    let r = Reply {
        content: content.unwrap_or("").to_string(),
        input: usage["prompt_tokens"].as_i64().unwrap_or(fallback_input),
        output: usage["completion_tokens"].as_i64().unwrap_or(0),
        reasoning: usage["completion_tokens_details"]["reasoning_tokens"].as_i64(),
        finish,
    };
    if content.is_some() || r.finish == "length" {
        return Ok(r);
    }
    let refusal = choice["message"]["refusal"].as_str().unwrap_or("");
    Err((
        "malformed".into(),
        if refusal.is_empty() {
            "no message content in the response".into()
        } else {
            "the model refused (message.refusal)".into()
        },
    ))
}

/// The body of request `k` (`pass:session`), sized and recorded: a request's
/// first attempt gets the model's reasoning headroom + the pass's output budget,
/// a retry keeps what the last attempt left it (doubled after a truncation).
fn request_body(
    k: &str,
    req: &mut Req,
    condensed: &BTreeMap<String, Condensed>,
    cfg: &LlmConfig,
) -> Option<(LlmPass, Value)> {
    let (p, session) = k.split_once(':')?;
    let pass = LlmPass::from_id(p)?;
    let c = condensed.get(session)?;
    let output = cfg.output_budget.unwrap_or_else(|| output_budget(pass, c));
    let (first, effort) = cfg.completion(output);
    if req.budget == 0 {
        req.budget = first;
    }
    Some((
        pass,
        body(&cfg.model, pass, c, req.budget, effort, &cfg.discovered),
    ))
}
