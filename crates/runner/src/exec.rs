//! Executing a pipeline for a date: lease, resume, bounded concurrency, retries.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use futures::StreamExt;
use signals_deploy::RemeasureParams;
use signals_judge::run::{Selection, run_pass};
use signals_judge::{FrictionParams, judge_by_name};
use signals_lake::{ErrorClass, Lake, conform, schema};
use signals_tickets::{
    FileOptions, ResolveOptions, Sink, SinkConfig, file_tickets, resolve_tickets,
};
use tokio::task::JoinSet;

use crate::pipeline::{Param, Pipeline, Stage, StageKind};
use crate::report::Reporter;
use crate::state::{RunState, RunStatus, StageStatus};
use crate::{Error, Result};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--param name=value` overrides.
    pub params: Vec<(String, String)>,
    /// `--judge NAME` (the `judge` parameter).
    pub judge: Option<String>,
    /// Rerun every stage.
    pub force: bool,
    /// Rerun this stage and everything downstream of it.
    pub from: Option<String>,
    /// Stages run at once (default: the pipeline's).
    pub concurrency: Option<usize>,
    /// How long the run's lease lasts without renewal (renewed while running).
    pub lease_ttl: Duration,
    /// First retry delay of external failures (doubles each time).
    pub backoff: Duration,
    /// Who holds the lease.
    pub holder: String,
    /// Wait for external work (the LLM judge's batches) within the run.
    pub wait: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            params: Vec::new(),
            judge: None,
            force: false,
            from: None,
            concurrency: None,
            lease_ttl: Duration::from_secs(600),
            backoff: Duration::from_secs(2),
            holder: signals_lake::holder_id(),
            wait: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The state as saved at the end.
    pub state: RunState,
    /// The date was already complete with the same parameters: nothing ran.
    pub nothing_to_do: bool,
}

/// How a stage attempt ended.
enum Outcome {
    Done {
        rows: u64,
    },
    /// Done, with a line on what it found.
    Noted {
        rows: u64,
        note: String,
    },
    /// Switched off by its `when` parameter.
    Off {
        note: String,
    },
    Waiting {
        note: String,
    },
}

/// Run `pipeline` for `date`: validate, take the run's lease, resume from the
/// lake's run state, execute the stages that are not done, save state after
/// every transition.
pub async fn run(
    lake: &Lake,
    pipeline: &Pipeline,
    date: NaiveDate,
    opts: &RunOptions,
    rep: &Reporter,
) -> Result<RunReport> {
    let mut overrides = opts.params.clone();
    if let Some(j) = &opts.judge {
        overrides.push(("judge".into(), j.clone()));
    }
    let params = pipeline.resolve_params(&overrides, &date.to_string())?;
    if let Some(f) = &opts.from
        && pipeline.stage(f).is_none()
    {
        return Err(Error::Usage(format!(
            "--from {f}: {} has no such stage (stages: {})",
            pipeline.name,
            pipeline.topo_order().join(", ")
        )));
    }
    if let Some(Param::Str(j)) = params.get("judge") {
        if uses_llm(j) {
            let screen = judge_by_name("builtin", FrictionParams::default(), Vec::new())?;
            signals_llm::LlmConfig::for_judge(
                j,
                |k| params.get(k).map(|v| v.to_string()),
                Arc::from(screen),
            )?;
        } else {
            judge_by_name(j, FrictionParams::default(), Vec::new())?;
        }
    }
    // A misconfigured ticket sink (unknown, no token) fails before anything runs.
    if pipeline.stages.iter().any(|s| {
        matches!(
            s.kind,
            StageKind::Tickets { .. } | StageKind::Resolve { .. } | StageKind::Remeasure { .. }
        )
    }) {
        ticket_sink(&params)?;
    }
    if pipeline
        .stages
        .iter()
        .any(|s| matches!(s.kind, StageKind::Discover { .. }))
    {
        let dp = discovery_params(&params)?;
        if matches!(dp.embedder, signals_discover::Embedder::OpenAi { .. }) || dp.llm_namer {
            llm_config(&params)?;
        }
    }
    // Likewise a digest or alert channel that cannot work (no webhook URL).
    if pipeline
        .stages
        .iter()
        .any(|s| matches!(s.kind, StageKind::Alerts | StageKind::Digest))
    {
        notify_config(&params)?;
    }
    let ctx = lake.session_context().await?;
    pipeline.validate(&ctx).await?;

    let lease = lake
        .acquire_lease(
            &format!("run-{}-{date}", pipeline.name),
            &opts.holder,
            opts.lease_ttl,
        )
        .await?;
    if let Some(dead) = lease.taken_over() {
        rep.note(
            &pipeline.name,
            date,
            &format!(
                "took over the run's lease from {}, a process of this host that is gone (its lease ran to {})",
                dead.holder,
                dead.expires_at.to_rfc3339()
            ),
        );
    }
    let lease = Arc::new(tokio::sync::Mutex::new(lease));
    // A renewal that finds the lease taken stops the run (see run_locked).
    let lost = Arc::new(LostLease::default());
    let renewer = {
        let (lease, lost) = (Arc::clone(&lease), Arc::clone(&lost));
        let every = opts.lease_ttl / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match lease.lock().await.renew().await {
                    Ok(()) => {}
                    Err(e @ signals_lake::Error::LeaseHeld { .. }) => {
                        *lost.why.lock().expect("lost lease") = Some(e.to_string());
                        lost.notify.notify_one();
                        break;
                    }
                    // A store that failed to answer: try again at the next turn.
                    Err(_) => {}
                }
            }
        })
    };
    let result = run_locked(lake, pipeline, date, params, opts, rep, &lost).await;
    renewer.abort();
    let _ = renewer.await;
    if let Ok(l) = Arc::try_unwrap(lease) {
        l.into_inner().release().await?;
    }
    result
}

/// The versions of the date's external inputs: what a later run compares to
/// know whether the date must run again.
async fn input_versions(
    lake: &Lake,
    pipeline: &Pipeline,
    date: NaiveDate,
) -> Result<BTreeMap<String, String>> {
    let mut inputs = BTreeMap::new();
    for t in pipeline.external_inputs() {
        let v = if t == "deployments" {
            // A deployment changes the re-measurement of every later date, not
            // only of its own day: the input is every partition up to the date.
            let mut parts = Vec::new();
            for d in lake
                .partitions(&t)
                .await?
                .into_iter()
                .filter(|d| *d <= date)
            {
                if let Some(v) = lake.partition_version(&t, d).await? {
                    parts.push(format!("{d}:{v}"));
                }
            }
            (!parts.is_empty()).then(|| parts.join(","))
        } else {
            lake.partition_version(&t, date).await?
        };
        inputs.insert(t, v.unwrap_or_else(|| "absent".into()));
    }
    Ok(inputs)
}

/// Set when the run's lease is found taken by another holder.
#[derive(Default)]
struct LostLease {
    why: std::sync::Mutex<Option<String>>,
    notify: tokio::sync::Notify,
}

async fn run_locked(
    lake: &Lake,
    pipeline: &Pipeline,
    date: NaiveDate,
    params: BTreeMap<String, Param>,
    opts: &RunOptions,
    rep: &Reporter,
    lost: &LostLease,
) -> Result<RunReport> {
    let prev = RunState::load(lake, &pipeline.name, date).await?;
    let inputs = input_versions(lake, pipeline, date).await?;
    let params_changed = prev.as_ref().is_some_and(|s| s.params != params);
    let changed_inputs: Vec<String> = match &prev {
        Some(p) => inputs
            .iter()
            .filter(|(t, v)| p.inputs.get(*t) != Some(*v))
            .map(|(t, _)| t.clone())
            .collect(),
        None => Vec::new(),
    };
    let all: BTreeSet<String> = pipeline.stages.iter().map(|s| s.name.clone()).collect();
    let rerun: BTreeSet<String> = if opts.force || params_changed || !changed_inputs.is_empty() {
        all.clone()
    } else if let Some(f) = &opts.from {
        let mut r = pipeline.descendants(f);
        r.insert(f.clone());
        r
    } else {
        BTreeSet::new()
    };
    let mut stages = BTreeMap::new();
    let mut done = Vec::new();
    for s in &pipeline.stages {
        let old = prev.as_ref().and_then(|p| p.stages.get(&s.name));
        let mut st = old.cloned().unwrap_or_default();
        if st.status == StageStatus::Succeeded && !rerun.contains(&s.name) {
            done.push(s.name.clone());
        } else {
            st.status = StageStatus::Pending;
            st.error = None;
            st.error_class = None;
            st.note = None;
        }
        stages.insert(s.name.clone(), st);
    }
    if done.len() == all.len()
        && let Some(prev) = prev
    {
        return Ok(RunReport {
            state: prev,
            nothing_to_do: true,
        });
    }
    let run_id = format!(
        "{}-{}",
        Utc::now().format("%Y%m%dT%H%M%S"),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let mut state = RunState {
        run_id: run_id.clone(),
        pipeline: pipeline.name.clone(),
        date,
        status: RunStatus::Running,
        params: params.clone(),
        inputs,
        started_at: Utc::now(),
        ended_at: None,
        stages,
    };
    if !changed_inputs.is_empty() {
        rep.note(
            &pipeline.name,
            date,
            &format!(
                "input(s) changed since the last run: {}; rerunning every stage",
                changed_inputs.join(", ")
            ),
        );
    } else if params_changed {
        rep.note(
            &pipeline.name,
            date,
            "parameters changed since the last run; rerunning every stage",
        );
    }
    rep.run_started(&pipeline.name, date, &run_id, &done);
    state.save_to(lake).await?;

    let pipeline = Arc::new(pipeline.clone());
    let params = Arc::new(params);
    let concurrency = opts.concurrency.unwrap_or(pipeline.concurrency).max(1);
    let order = pipeline.topo_order();
    let mut tasks: JoinSet<(String, u32, Result<Outcome>)> = JoinSet::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, u32, Duration, String)>();
    loop {
        for name in &order {
            if tasks.len() >= concurrency {
                break;
            }
            let ready = state.stages[name].status == StageStatus::Pending
                && pipeline.stage(name).is_some_and(|s| {
                    s.after
                        .iter()
                        .all(|a| state.stages[a].status == StageStatus::Succeeded)
                });
            if !ready {
                continue;
            }
            let st = state.stages.get_mut(name).expect("stage state");
            st.status = StageStatus::Running;
            st.started_at = Some(Utc::now());
            st.ended_at = None;
            st.run_id = Some(run_id.clone());
            let first_attempt = st.attempt + 1;
            state.save_to(lake).await?;
            rep.stage_started(&pipeline.name, date, name, first_attempt);
            let stage = pipeline.stage(name).expect("stage").clone();
            let (lake, pipeline, params, tx) = (
                lake.clone(),
                Arc::clone(&pipeline),
                Arc::clone(&params),
                tx.clone(),
            );
            let (retries, backoff) = (stage.retries.unwrap_or(pipeline.retries), opts.backoff);
            let wait = opts.wait;
            tasks.spawn(async move {
                let mut made = 0;
                loop {
                    made += 1;
                    let r = execute(&lake, &pipeline, &stage, date, &params, wait).await;
                    match r {
                        Err(e) if e.class() == ErrorClass::External && made <= retries => {
                            let delay = backoff * 2u32.pow(made - 1);
                            let _ = tx.send((
                                stage.name.clone(),
                                first_attempt + made - 1,
                                delay,
                                e.to_string(),
                            ));
                            tokio::time::sleep(delay).await;
                        }
                        other => return (stage.name.clone(), made, other),
                    }
                }
            });
        }
        if tasks.is_empty() {
            break;
        }
        let joined = tokio::select! {
            // Another holder has the lease: stop the stages where they are (the
            // holder's run redoes them) rather than write beside it.
            () = lost.notify.notified() => {
                tasks.abort_all();
                let why = lost.why.lock().expect("lost lease").clone().unwrap_or_default();
                return Err(Error::LeaseLost(why));
            }
            j = tasks.join_next() => j,
            Some((stage, attempt, delay, err)) = rx.recv() => {
                rep.retrying(&pipeline.name, date, &stage, attempt, delay, &err);
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (name, made, result) =
            joined.map_err(|e| Error::Internal(format!("stage task: {e}")))?;
        let st = state.stages.get_mut(&name).expect("stage state");
        st.attempt += made;
        st.ended_at = Some(Utc::now());
        match result {
            Ok(Outcome::Done { rows }) => {
                st.status = StageStatus::Succeeded;
                st.rows = Some(rows);
            }
            Ok(Outcome::Noted { rows, note }) => {
                st.status = StageStatus::Succeeded;
                st.rows = Some(rows);
                st.note = Some(note);
            }
            Ok(Outcome::Off { note }) => {
                st.status = StageStatus::Succeeded;
                st.rows = None;
                st.note = Some(note);
            }
            Ok(Outcome::Waiting { note }) => {
                st.status = StageStatus::Waiting;
                st.note = Some(note);
            }
            Err(e) => {
                st.status = StageStatus::Failed;
                st.error_class = Some(e.class().to_string());
                st.error = Some(format!("{e} ({})", e.hint()));
            }
        }
        let finished = st.clone();
        if finished.status == StageStatus::Failed {
            for d in pipeline.descendants(&name) {
                if let Some(ds) = state.stages.get_mut(&d)
                    && ds.status == StageStatus::Pending
                {
                    ds.status = StageStatus::Skipped;
                    ds.note = Some(format!("upstream stage {name} failed"));
                }
            }
        }
        state.save_to(lake).await?;
        rep.stage_finished(&pipeline.name, date, &name, &finished);
    }
    let statuses: Vec<StageStatus> = state.stages.values().map(|s| s.status).collect();
    state.status = if statuses.contains(&StageStatus::Failed) {
        RunStatus::Failed
    } else if statuses.iter().all(|s| *s == StageStatus::Succeeded) {
        RunStatus::Succeeded
    } else {
        RunStatus::Waiting
    };
    state.ended_at = Some(Utc::now());
    // An `ingest` stage changed the inputs while the run went: what the stages
    // read is the inputs as they are now (else the next run would redo the date).
    if pipeline
        .stages
        .iter()
        .any(|s| matches!(s.kind, StageKind::Ingest))
    {
        state.inputs = input_versions(lake, &pipeline, date).await?;
    }
    state.save_to(lake).await?;
    rep.run_finished(&pipeline.name, date, &run_id, &state.status.to_string());
    Ok(RunReport {
        state,
        nothing_to_do: false,
    })
}

/// One attempt of one stage.
async fn execute(
    lake: &Lake,
    p: &Pipeline,
    stage: &Stage,
    date: NaiveDate,
    params: &BTreeMap<String, Param>,
    wait: bool,
) -> Result<Outcome> {
    if let Some(w) = &stage.when
        && params.get(w) != Some(&Param::Bool(true))
    {
        return Ok(Outcome::Off {
            note: format!("off: {w} = false"),
        });
    }
    if !stage.weekdays.is_empty() && !stage.weekdays.contains(&date.weekday()) {
        let days: Vec<String> = stage
            .weekdays
            .iter()
            .map(|d| d.to_string().to_lowercase())
            .collect();
        return Ok(Outcome::Off {
            note: format!("not due: runs on {}", days.join(", ")),
        });
    }
    let int = |k: &str, d: i64| int_param(params, k, d);
    let work = async {
        match &stage.kind {
            StageKind::Sql { file, output } => {
                let text = p.read_sql(file)?;
                let def = schema::table(output)
                    .ok_or_else(|| Error::Usage(format!("unknown table {output}")))?;
                lake.require_derived(&text, date).await?;
                let ctx = lake.session_context().await?;
                // Values are bound as typed scalars, never pasted into the text.
                let used = Pipeline::placeholders(&text);
                let values: Vec<(String, datafusion::scalar::ScalarValue)> = params
                    .iter()
                    .filter(|(k, _)| used.contains(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.scalar()))
                    .collect();
                let df = ctx.sql(&text).await?.with_param_values(values)?;
                let mut stream = df.execute_stream().await?;
                let mut batches = Vec::new();
                while let Some(b) = stream.next().await {
                    batches.push(conform(&def, &b?)?);
                }
                let rows = lake.write_partition_batches(&def, date, batches).await?;
                Ok(Outcome::Done { rows })
            }
            StageKind::Remeasure { file, .. } => {
                let text = p.read_sql(file)?;
                let d = RemeasureParams::default();
                let rp = RemeasureParams {
                    days: int("remeasure_days", d.days).max(1),
                    min_sessions: int("remeasure_min_sessions", d.min_sessions),
                    max_q: float_param(params, "remeasure_max_q", d.max_q),
                    target_change: float_param(params, "remeasure_target_change", d.target_change),
                    horizon_days: int("remeasure_horizon_days", d.horizon_days).max(1),
                };
                let sink = ticket_sink(params)?;
                let r = signals_deploy::remeasure(lake, &text, date, &rp, &sink).await?;
                Ok(Outcome::Done { rows: r.rows })
            }
            StageKind::Resolve {
                run,
                checkout,
                base,
                max_tickets,
            } => {
                let sink = ticket_sink(params)?;
                let opts = ResolveOptions {
                    command: run.clone(),
                    checkout: checkout.into(),
                    base: base.clone(),
                    max_tickets: *max_tickets,
                    branch_prefix: "signals/".into(),
                };
                let r = resolve_tickets(lake, date, &sink, &opts).await?;
                Ok(Outcome::Done { rows: r.rows })
            }
            StageKind::Judge { pass, input } => {
                let fp = friction_params(params);
                let name = params
                    .get("judge")
                    .map_or("builtin".to_string(), |j| j.to_string());
                // Accepted discovered facets are extracted from then on.
                let discovered = match pass {
                    signals_judge::run::Pass::Facets => signals_discover::accepted(lake).await?,
                    signals_judge::run::Pass::Friction | signals_judge::run::Pass::Delight => {
                        Vec::new()
                    }
                };
                if uses_llm(&name) {
                    let screen = judge_by_name("builtin", fp, discovered.clone())?;
                    let mut cfg = signals_llm::LlmConfig::for_judge(
                        &name,
                        |k| params.get(k).map(|v| v.to_string()),
                        Arc::from(screen),
                    )?;
                    cfg.wait |= wait;
                    cfg.discovered = discovered;
                    let llm_pass = match pass {
                        signals_judge::run::Pass::Friction => signals_llm::LlmPass::Friction,
                        signals_judge::run::Pass::Facets => signals_llm::LlmPass::Facets,
                        signals_judge::run::Pass::Delight => signals_llm::LlmPass::Delight,
                    };
                    return match signals_llm::run_pass(
                        lake,
                        date,
                        llm_pass,
                        &Selection::Table(input.clone()),
                        &cfg,
                    )
                    .await?
                    {
                        signals_llm::Progress::Done { rows } => Ok(Outcome::Done { rows }),
                        signals_llm::Progress::Waiting { note } => Ok(Outcome::Waiting { note }),
                    };
                }
                let judge = judge_by_name(&name, fp, discovered)?;
                let ctx = lake.session_context().await?;
                let r = run_pass(
                    lake,
                    &ctx,
                    date,
                    judge.as_ref(),
                    *pass,
                    &Selection::Table(input.clone()),
                )
                .await?;
                Ok(Outcome::Done { rows: r.rows })
            }
            StageKind::Tickets { .. } => {
                let sink = ticket_sink(params)?;
                let fade_days = int("fade_days", FileOptions::default().fade_days);
                let opts = FileOptions {
                    fade_days,
                    dry_run: false,
                };
                let r = file_tickets(lake, date, &sink, &opts).await?;
                Ok(Outcome::Done { rows: r.tickets })
            }
            StageKind::Discover { file } => {
                let text = p.read_sql(file)?;
                let dp = discovery_params(params)?;
                let judge_is_llm = params
                    .get("judge")
                    .is_some_and(|j| uses_llm(&j.to_string()));
                let needs_llm = matches!(dp.embedder, signals_discover::Embedder::OpenAi { .. })
                    || dp.llm_namer;
                let cfg = if needs_llm || judge_is_llm {
                    Some(llm_config(params)?)
                } else {
                    None
                };
                let r = signals_discover::discover(lake, &text, date, &dp, cfg.as_ref()).await?;
                Ok(Outcome::Noted {
                    rows: r.proposals.len() as u64,
                    note: r.note(),
                })
            }
            StageKind::Alerts => {
                let r = signals_digest::post_alerts(lake, date, &notify_config(params)?).await?;
                Ok(Outcome::Noted {
                    rows: r.rows.len() as u64,
                    note: r.note(),
                })
            }
            StageKind::Digest => {
                let r = signals_digest::post_digest(lake, date, &notify_config(params)?).await?;
                Ok(Outcome::Noted {
                    rows: r.rows.len() as u64,
                    note: r.note(),
                })
            }
            StageKind::Command { run } => command(lake, p, stage, run, date, params).await,
            StageKind::Ingest => {
                let source = params
                    .get("landing")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                if source.trim().is_empty() {
                    return Ok(Outcome::Off {
                        note: "off: no landing zone (landing = \"\")".into(),
                    });
                }
                // The ingest's future is not Send (it holds borrowed iterators
                // across awaits), and stages run as spawned tasks: it runs on a
                // blocking thread of its own, driven by this runtime.
                let (lake, source) = (lake.clone(), source.trim().to_string());
                let handle = tokio::runtime::Handle::current();
                let r = tokio::task::spawn_blocking(move || {
                    handle.block_on(signals_ingest::landing::land(
                        &lake,
                        &source,
                        &signals_ingest::IngestOptions::default(),
                    ))
                })
                .await
                .map_err(|e| Error::Internal(format!("ingest task: {e}")))??;
                Ok(Outcome::Noted {
                    rows: r.ingest.as_ref().map_or(0, |i| i.counts.events),
                    note: format!(
                        "{} objects, {} new, {} changed, {} already ingested",
                        r.listed, r.new, r.changed, r.unchanged
                    ),
                })
            }
        }
    };
    match stage.timeout {
        Some(t) => tokio::time::timeout(t, work)
            .await
            .unwrap_or(Err(Error::Timeout {
                stage: stage.name.clone(),
                seconds: t.as_secs(),
            })),
        None => work.await,
    }
}

/// An integer parameter, or `default` when it is absent or not an integer.
/// The built-in judge's detector settings from a pipeline's parameters
/// (`churn_cycles`, `churn_window_s`): what the judge stages and the live hook use.
pub fn friction_params(params: &BTreeMap<String, Param>) -> FrictionParams {
    FrictionParams {
        churn_cycles: int_param(params, "churn_cycles", 3).max(1) as usize,
        churn_window_s: Some(int_param(params, "churn_window_s", 0)).filter(|w| *w > 0),
        ..FrictionParams::default()
    }
}

fn int_param(params: &BTreeMap<String, Param>, name: &str, default: i64) -> i64 {
    match params.get(name) {
        Some(Param::Int(i)) => *i,
        _ => default,
    }
}

/// A float parameter (an integer one is widened), or `default` when it is
/// absent or not a number.
fn float_param(params: &BTreeMap<String, Param>, name: &str, default: f64) -> f64 {
    match params.get(name) {
        Some(Param::Float(x)) => *x,
        Some(Param::Int(i)) => *i as f64,
        _ => default,
    }
}

/// The LLM judge's configuration: `OPENAI_API_KEY`, `OPENAI_BASE_URL` and the
/// `llm_*` parameters (parsed, with their defaults, by the LLM crate).
fn llm_config(params: &BTreeMap<String, Param>) -> Result<signals_llm::LlmConfig> {
    Ok(signals_llm::LlmConfig::from_params(|k| {
        params.get(k).map(|v| v.to_string())
    })?)
}

/// Whether a judge name runs the LLM judge (alone, or as a cascade's second step).
fn uses_llm(judge: &str) -> bool {
    judge == "openai" || judge == "cascade"
}

/// Facet discovery's parameters (`discovery_*`). The namer `auto` names themes
/// with the LLM when the run's judge is the LLM judge.
fn discovery_params(params: &BTreeMap<String, Param>) -> Result<signals_discover::DiscoveryParams> {
    let d = signals_discover::DiscoveryParams::default();
    let text = |k: &str, dflt: &str| params.get(k).map_or(dflt.to_string(), |v| v.to_string());
    let float = |k: &str, dflt: f64| float_param(params, k, dflt);
    let embedder = match text("discovery_embedder", "hashed").as_str() {
        "hashed" => signals_discover::Embedder::Hashed { dims: 512 },
        "openai" => signals_discover::Embedder::OpenAi {
            model: text("discovery_embedding_model", "text-embedding-3-small"),
            batch: int_param(params, "discovery_embedding_batch", 256).clamp(1, 2048) as usize,
        },
        other => {
            return Err(Error::Usage(format!(
                "discovery_embedder = {other:?}: use \"hashed\" (offline) or \"openai\" (the embeddings endpoint)"
            )));
        }
    };
    let llm_namer = match text("discovery_namer", "auto").as_str() {
        "auto" => uses_llm(&text("judge", "builtin")),
        "openai" => true,
        "terms" => false,
        other => {
            return Err(Error::Usage(format!(
                "discovery_namer = {other:?}: use \"auto\", \"terms\" or \"openai\""
            )));
        }
    };
    Ok(signals_discover::DiscoveryParams {
        days: int_param(params, "discovery_days", d.days).max(1),
        min_sessions: int_param(params, "discovery_min_sessions", d.min_sessions as i64).max(2)
            as usize,
        min_share: float("discovery_min_share", d.min_share),
        max_share: float("discovery_max_share", d.max_share),
        max_sessions: int_param(params, "discovery_max_sessions", d.max_sessions as i64).max(10)
            as usize,
        max_overlap: float("discovery_max_overlap", d.max_overlap),
        embedder,
        llm_namer,
    })
}

/// Where the digest and alerts go, and their settings (`notify`, `alert_*`,
/// `digest_max_items`, `baseline_days`; the webhook URL from the environment).
pub fn notify_config(params: &BTreeMap<String, Param>) -> Result<signals_digest::NotifyConfig> {
    Ok(signals_digest::NotifyConfig::from_params(
        |k| params.get(k).map(|v| v.to_string()),
        |k| std::env::var(k).ok(),
    )?)
}

/// The ticket sink the run's parameters name (`ticket_sink`, default `markdown`;
/// `github_repo`, `linear_team`; tokens from the environment).
fn ticket_sink(params: &BTreeMap<String, Param>) -> Result<Sink> {
    let text = |k: &str| params.get(k).map(|v| v.to_string());
    let kind = text("ticket_sink").unwrap_or_else(|| "markdown".into());
    let cfg = SinkConfig::from_env(&kind, text("github_repo"), text("linear_team"));
    Ok(Sink::new(&cfg)?)
}

/// Exit status of a command stage that means "waiting on something external;
/// run again later" (EX_TEMPFAIL).
pub const EXIT_WAITING: i32 = 75;

async fn command(
    lake: &Lake,
    p: &Pipeline,
    stage: &Stage,
    run: &[String],
    date: NaiveDate,
    params: &BTreeMap<String, Param>,
) -> Result<Outcome> {
    let line = run.join(" ");
    let mut cmd = tokio::process::Command::new(&run[0]);
    cmd.args(&run[1..])
        .env("SIGNALS_LAKE", lake.url().as_str())
        .env("SIGNALS_PIPELINE", &p.name)
        .env("SIGNALS_STAGE", &stage.name)
        .env("SIGNALS_DATE", date.to_string())
        .kill_on_drop(true);
    for (k, v) in params {
        cmd.env(format!("SIGNALS_PARAM_{}", k.to_uppercase()), v.to_string());
    }
    let out = cmd.output().await.map_err(|e| Error::Command {
        stage: stage.name.clone(),
        command: line.clone(),
        reason: format!("could not start: {e}"),
        retryable: false,
    })?;
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
        code => Err(Error::Command {
            stage: stage.name.clone(),
            command: line,
            reason: format!(
                "exited with {}: {}",
                code.map_or("a signal".to_string(), |c| format!("status {c}")),
                last(&out.stderr)
            ),
            retryable: matches!(code, Some(69 | 74)),
        }),
    }
}

/// Run `pipeline` for each of `dates`, up to `parallel` dates at once (one at a
/// time, in date order, when the pipeline is stateful: a date's tickets build on
/// the previous date's). Results in date order; one date's failure does not stop
/// the others. An invalid pipeline fails once, before any date runs.
pub async fn backfill(
    lake: &Lake,
    pipeline: &Pipeline,
    dates: Vec<NaiveDate>,
    opts: &RunOptions,
    rep: &Reporter,
    parallel: usize,
) -> Result<Vec<(NaiveDate, Result<RunReport>)>> {
    pipeline.validate(&lake.session_context().await?).await?;
    let parallel = if pipeline.stateful() { 1 } else { parallel };
    let mut dates = dates;
    dates.sort();
    dates.dedup();
    let mut out: Vec<(NaiveDate, Result<RunReport>)> = futures::stream::iter(dates)
        .map(|d| async move { (d, run(lake, pipeline, d, opts, rep).await) })
        .buffered(parallel.max(1))
        .collect()
        .await;
    out.sort_by_key(|(d, _)| *d);
    Ok(out)
}
