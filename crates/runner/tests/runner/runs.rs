//! Runs over a real lake: what each stage writes, idempotent reruns, resume after
//! a failure, retries, waiting stages, leases and backfill.

use std::path::Path;
use std::time::Duration;

use signals_runner::exec::RunReport;
use signals_runner::{ErrorClass, RunOptions, RunState, RunStatus, StageStatus, backfill, run};

use crate::{count, daily, generated_lake, ingest_again, opts, pipeline, quiet};

fn stage<'a>(r: &'a RunReport, name: &str) -> &'a signals_runner::StageState {
    &r.state.stages[name]
}

fn rows(r: &RunReport, name: &str) -> i64 {
    stage(r, name).rows.unwrap() as i64
}

/// A daily pipeline whose `filter` feeds a command stage `gate`, which feeds the
/// friction pass: a place to inject faults between two real stages.
fn gated(script: &str) -> signals_runner::Pipeline {
    pipeline(&format!(
        r#"
name = "gated"
retries = 2
[params]
min_steps = 30
judge = "builtin"
[[stage]]
name = "filter"
kind = "sql"
sql = "stages/filter.sql"
output = "analysed_sessions"
[[stage]]
name = "gate"
kind = "command"
run = ["sh", "-c", {script:?}]
after = ["filter"]
[[stage]]
name = "friction"
kind = "judge"
pass = "friction"
input = "analysed_sessions"
after = ["gate"]
"#
    ))
}

/// Options that rerun every stage.
fn forced() -> RunOptions {
    RunOptions {
        force: true,
        ..opts()
    }
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display())
}

#[tokio::test]
async fn the_daily_pipeline_writes_every_stage_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 11, 60, 2).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let p = daily();
    let first = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(first.state.status, RunStatus::Succeeded);
    assert!(!first.nothing_to_do);

    let long = count(
        &lake,
        &format!("SELECT count(*) FROM sessions WHERE date = '{date}' AND step_count >= 30"),
    )
    .await;
    assert!(
        long > 0 && long < 60,
        "the sample must have long and short sessions: {long}"
    );
    assert_eq!(rows(&first, "filter"), long);
    let table_rows = |t: &'static str| {
        let lake = lake.clone();
        async move {
            count(
                &lake,
                &format!("SELECT count(*) FROM {t} WHERE date = '{date}'"),
            )
            .await
        }
    };
    assert_eq!(table_rows("analysed_sessions").await, long);
    let frictions = table_rows("frictions").await;
    let facets = table_rows("session_facets").await;
    assert_eq!(rows(&first, "friction"), frictions);
    assert_eq!(rows(&first, "facets"), facets);
    // The judge saw exactly the filtered sessions.
    assert_eq!(
        count(
            &lake,
            &format!("SELECT count(DISTINCT session_id) FROM session_facets WHERE date = '{date}'")
        )
        .await,
        long
    );
    assert_eq!(
        count(
            &lake,
            &format!(
                "SELECT count(*) FROM frictions f LEFT JOIN analysed_sessions a ON f.session_id = a.session_id AND a.date = f.date \
                 WHERE f.date = '{date}' AND a.session_id IS NULL"
            )
        )
        .await,
        0
    );

    // Again: nothing to do, nothing written.
    let second = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert!(second.nothing_to_do);
    assert_eq!(second.state.run_id, first.state.run_id);

    // Forced: every stage reruns and replaces its partition; counts are unchanged.
    let forced = run(&lake, &p, date, &forced(), &quiet()).await.unwrap();
    assert_ne!(forced.state.run_id, first.state.run_id);
    assert_eq!(stage(&forced, "filter").attempt, 2);
    assert_eq!(table_rows("analysed_sessions").await, long);
    assert_eq!(table_rows("frictions").await, frictions);
    assert_eq!(table_rows("session_facets").await, facets);

    // The other date was never touched.
    let other = lake.partitions("sessions").await.unwrap()[1];
    assert_eq!(
        count(
            &lake,
            &format!("SELECT count(*) FROM analysed_sessions WHERE date = '{other}'")
        )
        .await,
        0
    );
    assert!(
        RunState::load(&lake, "daily", other)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn changed_parameters_or_inputs_rerun_the_date() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 12, 30, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let p = daily();
    let first = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();

    let all = RunOptions {
        params: vec![("min_steps".into(), "0".into())],
        ..opts()
    };
    let wide = run(&lake, &p, date, &all, &quiet()).await.unwrap();
    assert!(!wide.nothing_to_do, "a changed parameter reruns");
    assert_eq!(rows(&wide, "filter"), 30);
    assert_eq!(
        count(
            &lake,
            "SELECT count(DISTINCT session_id) FROM session_facets"
        )
        .await,
        30
    );

    // Back to the defaults: the outputs are those of the first run again.
    let back = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(rows(&back, "filter"), rows(&first, "filter"));
    assert_eq!(rows(&back, "friction"), rows(&first, "friction"));
    assert!(
        run(&lake, &p, date, &opts(), &quiet())
            .await
            .unwrap()
            .nothing_to_do
    );

    // Sessions ingested again: the run's input changed, so the date reruns.
    ingest_again(&lake, dir.path()).await;
    let after = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert!(!after.nothing_to_do, "re-ingested sessions rerun the date");
    assert_eq!(rows(&after, "filter"), rows(&first, "filter"));

    // A parameter the pipeline does not declare, or of the wrong type: a user error.
    for bad in [("min_step", "3"), ("min_steps", "many")] {
        let o = RunOptions {
            params: vec![(bad.0.into(), bad.1.into())],
            ..opts()
        };
        let e = run(&lake, &p, date, &o, &quiet()).await.unwrap_err();
        assert_eq!(e.class(), ErrorClass::User, "{e}");
        assert!(e.to_string().contains(bad.0), "{e}");
    }
}

#[tokio::test]
async fn a_failed_stage_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 13, 30, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let marker = dir.path().join("fixed");
    // The fault: the gate fails until the marker exists.
    let p = gated(&format!(
        "test -f {} || {{ echo 'gate: the fault' >&2; exit 1; }}",
        sh_quote(&marker)
    ));

    let failed = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(failed.state.status, RunStatus::Failed);
    assert_eq!(stage(&failed, "filter").status, StageStatus::Succeeded);
    let gate = stage(&failed, "gate");
    assert_eq!(gate.status, StageStatus::Failed);
    assert_eq!(gate.attempt, 1, "a user error is not retried");
    assert_eq!(gate.error_class.as_deref(), Some("user"));
    assert!(
        gate.error.as_ref().unwrap().contains("gate: the fault"),
        "{:?}",
        gate.error
    );
    assert_eq!(stage(&failed, "friction").status, StageStatus::Skipped);
    // The state is in the lake, where the next process finds it.
    assert_eq!(
        RunState::load(&lake, "gated", date).await.unwrap().unwrap(),
        failed.state
    );

    std::fs::write(&marker, "").unwrap();
    let resumed = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(resumed.state.status, RunStatus::Succeeded);
    let filter = stage(&resumed, "filter");
    assert_eq!(filter.attempt, 1, "the finished stage is not run again");
    assert_eq!(filter.run_id, stage(&failed, "filter").run_id);
    assert_eq!(stage(&resumed, "gate").attempt, 2);
    assert_eq!(stage(&resumed, "friction").status, StageStatus::Succeeded);
    assert_eq!(
        rows(&resumed, "friction"),
        count(
            &lake,
            &format!("SELECT count(*) FROM frictions WHERE date = '{date}'")
        )
        .await
    );

    // --from reruns a stage and what is downstream of it, not what is upstream.
    let from = RunOptions {
        from: Some("gate".into()),
        ..opts()
    };
    let again = run(&lake, &p, date, &from, &quiet()).await.unwrap();
    assert_eq!(stage(&again, "filter").attempt, 1);
    assert_eq!(stage(&again, "gate").attempt, 3);
    assert_eq!(stage(&again, "friction").attempt, 2);
    let bad_from = RunOptions {
        from: Some("nope".into()),
        ..opts()
    };
    let e = run(&lake, &p, date, &bad_from, &quiet()).await.unwrap_err();
    assert!(e.to_string().contains("no such stage"), "{e}");
}

#[tokio::test]
async fn external_failures_retry_with_backoff_then_fail_as_external() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 14, 10, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let counter = dir.path().join("count");
    // Exit 74 (EX_IOERR: retryable) twice, then succeed.
    let flaky = format!(
        "n=$(cat {c} 2>/dev/null || echo 0); echo $((n+1)) > {c}; [ \"$n\" -ge 2 ] || exit 74",
        c = sh_quote(&counter)
    );
    let p = gated(&flaky);
    let r = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(r.state.status, RunStatus::Succeeded);
    assert_eq!(stage(&r, "gate").attempt, 3, "two retries, then success");

    // Always failing: retries run out and the error is external.
    let p = gated("echo 'the service is down' >&2; exit 69");
    let r = run(&lake, &p, date, &forced(), &quiet()).await.unwrap();
    let gate = stage(&r, "gate");
    assert_eq!(gate.status, StageStatus::Failed);
    assert_eq!(gate.error_class.as_deref(), Some("external"));
    assert_eq!(r.state.status, RunStatus::Failed);
    assert_eq!(stage(&r, "friction").status, StageStatus::Skipped);

    // A command that cannot start fails at once, as a user error.
    let p = pipeline(
        r#"
name = "missing"
[[stage]]
name = "x"
kind = "command"
run = ["/no/such/program"]
"#,
    );
    let r = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    let x = stage(&r, "x");
    assert_eq!((x.status, x.attempt), (StageStatus::Failed, 1));
    assert!(
        x.error.as_ref().unwrap().contains("could not start"),
        "{:?}",
        x.error
    );
}

#[tokio::test]
async fn a_waiting_stage_leaves_the_run_waiting_and_a_later_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 15, 20, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let done = dir.path().join("batch-done");
    let p = gated(&format!(
        "[ \"$SIGNALS_STAGE\" = gate ] && [ \"$SIGNALS_DATE\" = {date} ] && [ \"$SIGNALS_PARAM_MIN_STEPS\" = 30 ] || exit 1; \
         test -f {} || {{ echo 'batch b-1: 3 of 9 requests done'; exit 75; }}",
        sh_quote(&done)
    ));
    let waiting = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(waiting.state.status, RunStatus::Waiting);
    let gate = stage(&waiting, "gate");
    assert_eq!(gate.status, StageStatus::Waiting);
    assert_eq!(
        gate.note.as_deref(),
        Some("batch b-1: 3 of 9 requests done")
    );
    assert_eq!(stage(&waiting, "friction").status, StageStatus::Pending);

    // Still waiting: the same again.
    let still = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(still.state.status, RunStatus::Waiting);
    assert_eq!(stage(&still, "filter").attempt, 1);

    std::fs::write(&done, "").unwrap();
    let finished = run(&lake, &p, date, &opts(), &quiet()).await.unwrap();
    assert_eq!(finished.state.status, RunStatus::Succeeded);
    assert_eq!(stage(&finished, "gate").attempt, 3);
    assert_eq!(stage(&finished, "friction").status, StageStatus::Succeeded);
}

#[tokio::test]
async fn two_runs_of_one_date_never_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("lake").display());
    std::fs::create_dir_all(dir.path().join("lake")).unwrap();
    let lake = generated_lake(dir.path(), &url, 16, 20, 1).await;
    let date = lake.partitions("sessions").await.unwrap()[0];
    let p = gated("sleep 1");
    let a = RunOptions {
        holder: "runner-a".into(),
        ..opts()
    };
    let b = RunOptions {
        holder: "runner-b".into(),
        ..opts()
    };
    let rep = quiet();
    let (ra, rb) = tokio::join!(
        run(&lake, &p, date, &a, &rep),
        run(&lake, &p, date, &b, &rep)
    );
    let (ok, err) = match (ra, rb) {
        (Ok(ok), Err(err)) | (Err(err), Ok(ok)) => (ok, err),
        (a, b) => panic!(
            "exactly one run may hold the date: {:?} / {:?}",
            a.map(|r| r.state.status),
            b.map(|r| r.state.status)
        ),
    };
    assert_eq!(ok.state.status, RunStatus::Succeeded);
    assert_eq!(err.class(), ErrorClass::User);
    assert!(err.to_string().contains("held by runner-"), "{err}");
    // The lease was released: the next run proceeds (and has nothing to do).
    assert!(
        run(&lake, &p, date, &a, &quiet())
            .await
            .unwrap()
            .nothing_to_do
    );

    // A holder that died without releasing blocks only until its lease lapses.
    let other = date;
    let dead = lake
        .acquire_lease(
            &format!("run-gated-{other}"),
            "dead-holder",
            Duration::from_millis(300),
        )
        .await
        .unwrap();
    std::mem::forget(dead);
    let force = forced();
    let e = run(&lake, &p, other, &force, &quiet()).await.unwrap_err();
    assert!(e.to_string().contains("dead-holder"), "{e}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = run(&lake, &p, other, &force, &quiet()).await.unwrap();
    assert_eq!(r.state.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn backfill_runs_each_date_and_an_invalid_pipeline_fails_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake = generated_lake(dir.path(), "memory://", 17, 45, 3).await;
    let dates = lake.partitions("sessions").await.unwrap();
    assert_eq!(dates.len(), 3);
    let p = daily();
    let results = backfill(&lake, &p, dates.clone(), &opts(), &quiet(), 2)
        .await
        .unwrap();
    assert_eq!(results.iter().map(|(d, _)| *d).collect::<Vec<_>>(), dates);
    let mut filtered = 0;
    for (_, r) in &results {
        let r = r.as_ref().unwrap();
        assert_eq!(r.state.status, RunStatus::Succeeded);
        filtered += rows(r, "filter");
    }
    assert_eq!(
        filtered,
        count(
            &lake,
            "SELECT count(*) FROM sessions WHERE step_count >= 30"
        )
        .await
    );
    assert_eq!(
        count(&lake, "SELECT count(*) FROM analysed_sessions").await,
        filtered
    );
    let states = RunState::list(&lake, Some("daily"), None).await.unwrap();
    assert_eq!(states.len(), 3);

    // Again: every date is complete.
    let again = backfill(&lake, &p, dates.clone(), &opts(), &quiet(), 2)
        .await
        .unwrap();
    assert!(again.iter().all(|(_, r)| r.as_ref().unwrap().nothing_to_do));
    assert_eq!(
        count(&lake, "SELECT count(*) FROM analysed_sessions").await,
        filtered
    );

    // A pipeline whose SQL does not plan fails before any date runs.
    let broken = pipeline(
        r#"
name = "broken"
[params]
min_steps = 1
[[stage]]
name = "filter"
kind = "sql"
sql = "stages/filter.sql"
output = "frictions"
"#,
    );
    let e = backfill(&lake, &broken, dates, &opts(), &quiet(), 2)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("stage filter"), "{e}");
    assert!(
        RunState::list(&lake, Some("broken"), None)
            .await
            .unwrap()
            .is_empty()
    );
}
