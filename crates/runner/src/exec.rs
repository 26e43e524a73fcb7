//! Executing a pipeline for a date: lease, resume, bounded concurrency, retries.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use futures::StreamExt;
use signals_lake::{ErrorClass, Lake};
use signals_stage::{Context, Outcome};
use tokio::task::JoinSet;

use crate::pipeline::{Param, Pipeline, Stage};
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
    // What can be checked of the parameters and environment (an unknown judge,
    // a sink without its token, a webhook URL not set) fails before anything runs.
    for s in &pipeline.stages {
        s.kind.configure(&params)?;
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
    if pipeline.stages.iter().any(|s| s.kind.writes_inputs()) {
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
    let cx = Context {
        lake,
        date,
        params,
        sql: p,
        pipeline: &p.name,
        stage: &stage.name,
        wait,
    };
    // What the stage's libraries log is under this span (RUST_LOG=...).
    let span = tracing::info_span!("stage", pipeline = %p.name, %date, stage = %stage.name, kind = stage.kind.kind());
    let work = tracing::Instrument::instrument(async { Ok(stage.kind.run(&cx).await?) }, span);
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
