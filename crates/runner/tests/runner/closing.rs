//! Closing the loop: new tickets handed to a (scripted, fake) coding agent, and a
//! deployment's planted friction drop measured before/after, with the verdict on
//! the linked ticket.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use object_store::ObjectStoreExt;
use signals_deploy::Deployment;
use signals_generate::{GenConfig, PlantedChange, generate};
use signals_lake::Lake;
use signals_runner::{RunOptions, backfill};
use signals_tickets::Ledger;

use crate::{count, daily, ingest_again, opts, quiet};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository with one commit on `main`.
fn checkout(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("agent-repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "the agent\n").unwrap();
    git(&repo, &["add", "README.md"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=dev",
            "-c",
            "user.email=dev@example.com",
            "commit",
            "-q",
            "-m",
            "init",
        ],
    );
    repo
}

/// The daily pipeline with the resolve stage running `sh script` in `repo`.
fn with_agent(script: &Path, repo: &Path) -> signals_runner::Pipeline {
    let mut p = daily();
    for s in &mut p.stages {
        if s.kind.kind() == "resolve" {
            s.kind = std::sync::Arc::new(signals_tickets::stage::ResolveStage {
                run: vec!["sh".into(), script.display().to_string()],
                checkout: repo.display().to_string(),
                base: None,
                max_tickets: 1,
            });
        }
    }
    p
}

/// Loose thresholds: 300 generated sessions with no planted regression file no
/// ticket at the defaults (as they should not); the hand-off needs some.
fn loose() -> RunOptions {
    RunOptions {
        params: vec![("max_q".into(), "0.5".into())],
        ..opts()
    }
}

fn resolve_on() -> RunOptions {
    RunOptions {
        params: vec![
            ("resolve".into(), "true".into()),
            ("max_q".into(), "0.5".into()),
        ],
        ..opts()
    }
}

// A fake coding agent: keeps the ticket it got on stdin, commits a change on the
// branch it was put on, and reports a pull request.
const AGENT: &str = r#"set -e
cat > .ticket.json
echo "fix for $SIGNALS_TICKET_ID" > FIX.md
git add FIX.md .ticket.json
git -c user.name=agent -c user.email=agent@example.com commit -q -m "fix $SIGNALS_TICKET_ID"
echo "pushed $SIGNALS_BRANCH"
echo "https://github.com/acme/agent/pull/42"
"#;

#[tokio::test]
async fn a_new_ticket_goes_to_the_coding_agent_once_and_its_pull_request_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let lake = crate::generated_lake(dir.path(), "memory://", 42, 300, 14).await;
    let repo = checkout(dir.path());
    let script = dir.path().join("agent.sh");
    std::fs::write(&script, AGENT).unwrap();
    let p = with_agent(&script, &repo);
    let dates: Vec<NaiveDate> = (1..=8).map(day).collect();

    // Off by default: nothing is handed off.
    let off = backfill(&lake, &p, dates.clone(), &loose(), &quiet(), 1)
        .await
        .unwrap();
    assert!(off.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions").await,
        0
    );
    let st = &off[7].1.as_ref().unwrap().state.stages["resolve"];
    assert_eq!(st.note.as_deref(), Some("off: resolve = false"));
    assert!(count(&lake, "SELECT count(*) FROM tickets WHERE action = 'filed'").await > 0);

    // On: each date hands off at most one ticket (max_tickets = 1), each ticket once.
    let on = backfill(&lake, &p, dates.clone(), &resolve_on(), &quiet(), 1)
        .await
        .unwrap();
    assert!(on.iter().all(|(_, r)| r.is_ok()), "{on:?}");
    let handed = count(&lake, "SELECT count(*) FROM ticket_resolutions").await;
    assert!(handed >= 1);
    assert_eq!(
        count(
            &lake,
            "SELECT count(DISTINCT ticket_id) FROM ticket_resolutions"
        )
        .await,
        handed
    );
    assert_eq!(
        count(
            &lake,
            "SELECT max(n) FROM (SELECT count(*) AS n FROM ticket_resolutions GROUP BY date)"
        )
        .await,
        1
    );
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions WHERE status = 'proposed' AND pull_request = 'https://github.com/acme/agent/pull/42' AND commits = 1").await,
        handed
    );

    // The first hand-off: its branch has the agent's commit, with the ticket JSON it
    // read on stdin; the checkout is back on main and clean.
    let (_, tickets) = signals_tickets::snapshot(&lake, Some(day(8)))
        .await
        .unwrap()
        .unwrap();
    let t = tickets
        .iter()
        .find(|t| t.pull_request.is_some())
        .expect("a ticket with its pull request");
    let branch = format!("signals/{}", t.ticket_id.to_lowercase());
    assert_eq!(t.branch.as_deref(), Some(branch.as_str()));
    assert_eq!(git(&repo, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&repo, &["rev-list", "--count", &format!("main..{branch}")]),
        "1"
    );
    let sent: serde_json::Value =
        serde_json::from_str(&git(&repo, &["show", &format!("{branch}:.ticket.json")])).unwrap();
    assert_eq!(sent["ticket"]["ticket_id"], t.ticket_id.as_str());
    assert_eq!(sent["branch"], branch.as_str());
    assert!(sent["body"].as_str().unwrap().contains(&t.friction_type));
    let ledger = Ledger::load(&lake, &t.ticket_id).await.unwrap();
    assert!(
        ledger
            .notes
            .iter()
            .any(|n| n.key == "resolve" && n.text.contains("pull/42"))
    );

    // Rerunning every date hands nothing off again.
    let again = backfill(
        &lake,
        &p,
        dates,
        &RunOptions {
            force: true,
            ..resolve_on()
        },
        &quiet(),
        1,
    )
    .await
    .unwrap();
    assert!(again.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions").await,
        handed
    );
    assert_eq!(
        git(&repo, &["rev-list", "--count", &format!("main..{branch}")]),
        "1"
    );
    let (_, later) = signals_tickets::snapshot(&lake, Some(day(8)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        later
            .iter()
            .find(|x| x.ticket_id == t.ticket_id)
            .unwrap()
            .pull_request,
        t.pull_request
    );
}

#[tokio::test]
async fn a_dirty_checkout_stops_the_stage_and_a_failing_agent_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let lake = crate::generated_lake(dir.path(), "memory://", 42, 300, 14).await;
    let repo = checkout(dir.path());
    let script = dir.path().join("agent.sh");
    std::fs::write(
        &script,
        "cat > /dev/null\necho 'no credentials for the model' >&2\nexit 3\n",
    )
    .unwrap();
    let p = with_agent(&script, &repo);
    // Enough days for a pattern to cross and file a ticket for the agent.
    let dates: Vec<NaiveDate> = (1..=10).map(day).collect();

    // A dirty checkout: the stage fails as the user's problem; the agent never runs.
    std::fs::write(repo.join("README.md"), "edited\n").unwrap();
    let r = backfill(&lake, &p, dates.clone(), &resolve_on(), &quiet(), 1)
        .await
        .unwrap();
    let failed: Vec<_> = r
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter_map(|r| r.state.stages.get("resolve"))
        .filter(|s| s.error.is_some())
        .collect();
    assert!(!failed.is_empty(), "{r:?}");
    let e = failed[0].error.as_deref().unwrap();
    assert!(
        e.contains("uncommitted changes") && e.contains("agent-repo"),
        "{e}"
    );
    assert_eq!(failed[0].error_class.as_deref(), Some("user"));
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions").await,
        0
    );

    // Clean again: the runs resume; the agent fails, which is recorded (once per
    // ticket, not retried) and does not fail the run.
    git(&repo, &["checkout", "--", "README.md"]);
    let r = backfill(&lake, &p, dates.clone(), &resolve_on(), &quiet(), 1)
        .await
        .unwrap();
    assert!(
        r.iter().all(|(_, r)| r
            .as_ref()
            .is_ok_and(|r| r.state.stages["resolve"].error.is_none())),
        "{r:?}"
    );
    let failures = count(&lake, "SELECT count(*) FROM ticket_resolutions WHERE status = 'failed' AND exit_code = 3 AND note = 'no credentials for the model' AND pull_request IS NULL").await;
    assert!(failures >= 1);
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions").await,
        failures
    );
    assert_eq!(git(&repo, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    let again = backfill(
        &lake,
        &p,
        dates,
        &RunOptions {
            force: true,
            ..resolve_on()
        },
        &quiet(),
        1,
    )
    .await
    .unwrap();
    assert!(again.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(
        count(&lake, "SELECT count(*) FROM ticket_resolutions").await,
        failures
    );
}

#[tokio::test]
async fn a_planted_drop_after_a_version_bump_is_measured_and_the_linked_ticket_gets_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    // Rephrasing cascades triple with agent 1.5.0 (first day: 11-08), which files
    // a ticket, and fall to a fifth of that with 1.6.0 (11-15), the fix.
    let mut cfg = GenConfig::new(dir.path().join("gen"));
    cfg.sessions = 2100;
    cfg.days = 21;
    cfg.changes = vec![
        PlantedChange {
            friction: "rephrasing_cascade".into(),
            version: "1.5.0".into(),
            factor: 3.0,
        },
        PlantedChange {
            friction: "rephrasing_cascade".into(),
            version: "1.6.0".into(),
            factor: 0.2,
        },
    ];
    generate(&cfg).unwrap();
    let lake = Lake::open("memory://").unwrap();
    ingest_again(&lake, dir.path()).await;
    let p = daily();
    let r = backfill(&lake, &p, (1..=14).map(day).collect(), &opts(), &quiet(), 1)
        .await
        .unwrap();
    assert!(r.iter().all(|(_, r)| r.is_ok()));

    // The release is recorded against a ticket that is open by then.
    let (_, tickets) = signals_tickets::snapshot(&lake, Some(day(14)))
        .await
        .unwrap()
        .unwrap();
    let ticket = tickets
        .iter()
        .find(|t| t.friction_type == "rephrasing_cascade" && t.slice_kind == "all")
        .expect("the planted regression's ticket by 11-14")
        .clone();
    signals_deploy::record(
        &lake,
        &Deployment {
            version: "1.6.0".into(),
            deployed_at: day(15).and_hms_opt(9, 0, 0).unwrap().and_utc(),
            ticket_id: Some(ticket.ticket_id.clone()),
            note: Some("shorter clarifying questions".into()),
            source: "recorded".into(),
        },
    )
    .await
    .unwrap();
    // An unknown ticket is refused.
    let e = signals_deploy::record(
        &lake,
        &Deployment {
            version: "1.7.0".into(),
            deployed_at: day(16).and_hms_opt(0, 0, 0).unwrap().and_utc(),
            ticket_id: Some("SIG-nothere".into()),
            note: None,
            source: "recorded".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("SIG-nothere"), "{e}");

    let r = backfill(
        &lake,
        &p,
        (15..=21).map(day).collect(),
        &opts(),
        &quiet(),
        1,
    )
    .await
    .unwrap();
    assert!(r.iter().all(|(_, r)| r.is_ok()), "{r:?}");
    let rows = |cond: &str| {
        format!(
            "SELECT count(*) FROM friction_before_after WHERE date = '2026-11-21' AND version = '1.6.0' AND {cond}"
        )
    };
    assert_eq!(
        count(
            &lake,
            &rows("source = 'recorded' AND window_complete AND after_scope = 'version'")
        )
        .await,
        7
    );
    assert_eq!(
        count(&lake, &rows("friction_type = 'rephrasing_cascade' AND verdict = 'improved' AND rel_change < -0.5 AND p_value < 0.01")).await,
        1
    );
    // Types without a planted change mostly show none.
    assert!(
        count(
            &lake,
            &rows("friction_type <> 'rephrasing_cascade' AND verdict = 'no_change'")
        )
        .await
            >= 4
    );
    // 1.6.0 recorded: not inferred again; 1.5.0 inferred (11-08).
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM all_deployments WHERE version = '1.6.0'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&lake, "SELECT count(*) FROM all_deployments WHERE version = '1.5.0' AND source = 'inferred' AND deployed_on = '2026-11-08'").await,
        1
    );

    // The linked ticket got the verdict of its type once, when the window completed.
    let ledger = Ledger::load(&lake, &ticket.ticket_id).await.unwrap();
    let notes: Vec<_> = ledger
        .notes
        .iter()
        .filter(|n| n.key == "verdict:1.6.0")
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", ledger.notes);
    assert!(notes[0].text.contains(&ticket.friction_type));
    assert!(
        notes[0].text.contains("95% CI") && notes[0].text.contains("**improved**"),
        "{}",
        notes[0].text
    );
    let md = lake.path(&format!("tickets/{}.md", ticket.ticket_id));
    let text = String::from_utf8(
        lake.store()
            .get(&md)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert_eq!(
        text.matches("Re-measured after deployment 1.6.0").count(),
        1,
        "{text}"
    );
    let again = backfill(
        &lake,
        &p,
        vec![day(21)],
        &RunOptions {
            force: true,
            ..opts()
        },
        &quiet(),
        1,
    )
    .await
    .unwrap();
    assert!(again[0].1.is_ok());
    assert_eq!(
        Ledger::load(&lake, &ticket.ticket_id)
            .await
            .unwrap()
            .notes
            .iter()
            .filter(|n| n.key == "verdict:1.6.0")
            .count(),
        1
    );
}
