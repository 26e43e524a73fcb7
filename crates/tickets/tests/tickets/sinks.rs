//! Filing to each sink: what is sent, that a rerun sends nothing twice, that a
//! failed send resumes without duplicates, and clear errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use signals_lake::{ErrorClass, Lake};
use signals_tickets::{Error, FileOptions, Sink, SinkConfig, file_tickets, snapshot};

use crate::{day, lake_with};
use signals_testkit::http::Server;

/// error_event over all sessions crosses on 12-01 (6 of 10) and 12-02 (7 of 10),
/// then never again.
async fn three_days() -> Lake {
    lake_with(&[
        ("2026-12-01", &[("all", "all", 6)]),
        ("2026-12-02", &[("all", "all", 7)]),
    ])
    .await
}

fn github(url: &str) -> Sink {
    Sink::new(&SinkConfig {
        kind: "github".into(),
        github_repo: Some("acme/agent".into()),
        github_token: Some("gh-secret".into()),
        github_api: Some(url.into()),
        ..SinkConfig::default()
    })
    .unwrap()
}

fn github_answer(r: &signals_testkit::http::Recorded) -> (u16, Value) {
    match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/repos/acme/agent/issues") => (
            201,
            json!({"number": 7, "html_url": "https://github.com/acme/agent/issues/7"}),
        ),
        ("POST", "/repos/acme/agent/issues/7/comments") => (201, json!({"id": 1})),
        ("PATCH", "/repos/acme/agent/issues/7") => (200, json!({"number": 7})),
        ("POST", "/repos/acme/agent/issues/7/labels") => (200, json!([{"name": "faded"}])),
        _ => (404, json!({"message": "Not Found"})),
    }
}

#[tokio::test]
async fn github_issue_is_created_once_then_commented_updated_and_labelled_faded() {
    let server = Server::start(github_answer).await;
    let lake = three_days().await;
    let sink = github(&server.url);
    let opts = FileOptions::default();

    let r = file_tickets(&lake, day("2026-12-01"), &sink, &opts)
        .await
        .unwrap();
    assert_eq!(r.actions.len(), 1);
    assert_eq!(r.actions[0].action, "filed");
    assert_eq!(
        r.actions[0].external_ref.as_deref(),
        Some("https://github.com/acme/agent/issues/7")
    );
    let sent = server.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let create = &sent[0];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/repos/acme/agent/issues")
    );
    assert_eq!(create.authorization, "Bearer gh-secret");
    let title = create.body["title"].as_str().unwrap();
    assert!(
        title.starts_with(
            "Friction: error_event in all sessions — 60.0% of sessions (baseline 20.0%)"
        ),
        "{title}"
    );
    let body = create.body["body"].as_str().unwrap();
    for want in [
        "a shell command failed",
        "the test run failed",
        "6 of 10 (60.0%)",
        "high 1, medium 1, low 4",
        "FROM friction_patterns",
        "agent-signals fingerprint:",
    ] {
        assert!(body.contains(want), "body lacks {want:?}:\n{body}");
    }
    assert_eq!(
        create.body["labels"],
        json!(["agent-signals", "friction:error_event"])
    );

    // Rerunning the date sends nothing.
    file_tickets(&lake, day("2026-12-01"), &sink, &opts)
        .await
        .unwrap();
    assert!(server.take().is_empty());

    // The next day: a comment and an updated description on the same issue.
    let r = file_tickets(&lake, day("2026-12-02"), &sink, &opts)
        .await
        .unwrap();
    assert_eq!(r.actions[0].action, "updated");
    let sent = server.take();
    let calls: Vec<(&str, &str)> = sent
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "/repos/acme/agent/issues/7/comments"),
            ("PATCH", "/repos/acme/agent/issues/7")
        ]
    );
    let comment = sent[0].body["body"].as_str().unwrap();
    assert!(
        comment.contains("seen again (2 day(s) now, trend rising): 7 of 10"),
        "{comment}"
    );
    assert!(sent[1].body["title"].as_str().unwrap().contains("70.0%"));

    // Three days after it was last seen, it fades: a comment and a label; the issue stays.
    let r = file_tickets(&lake, day("2026-12-05"), &sink, &opts)
        .await
        .unwrap();
    assert_eq!(r.actions[0].action, "faded");
    assert_eq!(r.open, 0);
    let sent = server.take();
    let calls: Vec<(&str, &str)> = sent
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "/repos/acme/agent/issues/7/comments"),
            ("POST", "/repos/acme/agent/issues/7/labels")
        ]
    );
    assert_eq!(sent[1].body, json!({"labels": ["faded"]}));

    let (on, tickets) = snapshot(&lake, None).await.unwrap().unwrap();
    assert_eq!(on, day("2026-12-05"));
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].status, "faded");
    assert_eq!(tickets[0].sink, "github");
    assert_eq!(
        tickets[0].external_ref.as_deref(),
        Some("https://github.com/acme/agent/issues/7")
    );

    // A note (a hand-off, a verdict) is one comment, posted once per key.
    assert!(
        sink.note(&lake, &tickets[0], "verdict:1.6.0", "**improved**")
            .await
            .unwrap()
    );
    assert!(
        !sink
            .note(&lake, &tickets[0], "verdict:1.6.0", "**improved**")
            .await
            .unwrap()
    );
    let sent = server.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/repos/acme/agent/issues/7/comments")
    );
    assert_eq!(sent[0].body, json!({"body": "**improved**"}));
}

#[tokio::test]
async fn a_failed_send_is_retryable_and_the_rerun_files_each_issue_once() {
    // The first two creates fail with 503; the first ticket's retry then succeeds.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let server = Server::start(move |r| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return (503, json!({"message": "Service Unavailable"}));
        }
        github_answer(r)
    })
    .await;
    let lake = lake_with(&[("2026-12-01", &[("all", "all", 6)])]).await;
    let sink = github(&server.url);
    let err = file_tickets(&lake, day("2026-12-01"), &sink, &FileOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Sink {
                retryable: true,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::External);
    assert!(
        err.to_string().contains("create issue failed: HTTP 503"),
        "{err}"
    );
    // Nothing was written for the date: the run did not complete.
    assert!(snapshot(&lake, None).await.unwrap().is_none());

    file_tickets(&lake, day("2026-12-01"), &sink, &FileOptions::default())
        .await
        .unwrap();
    file_tickets(&lake, day("2026-12-01"), &sink, &FileOptions::default())
        .await
        .unwrap();
    let creates = server
        .take()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/repos/acme/agent/issues")
        .count();
    assert_eq!(creates, 2, "one failed attempt and one issue");
}

#[tokio::test]
async fn a_rejected_token_is_the_users_problem_with_a_hint() {
    let server = Server::start(|_| (401, json!({"message": "Bad credentials"}))).await;
    let lake = lake_with(&[("2026-12-01", &[("all", "all", 6)])]).await;
    let err = file_tickets(
        &lake,
        day("2026-12-01"),
        &github(&server.url),
        &FileOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.class(), ErrorClass::User);
    let msg = err.to_string();
    assert!(
        msg.contains("401") && msg.contains("check the token"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_settings_are_reported_before_anything_is_sent() {
    let no_token = Sink::new(&SinkConfig {
        kind: "github".into(),
        github_repo: Some("acme/agent".into()),
        ..SinkConfig::default()
    })
    .unwrap_err();
    assert!(
        no_token.to_string().contains("GITHUB_TOKEN is not set"),
        "{no_token}"
    );
    let no_repo = Sink::new(&SinkConfig {
        kind: "github".into(),
        github_token: Some("t".into()),
        ..SinkConfig::default()
    })
    .unwrap_err();
    assert!(no_repo.to_string().contains("github_repo"), "{no_repo}");
    let no_key = Sink::new(&SinkConfig {
        kind: "linear".into(),
        linear_team: Some("T".into()),
        ..SinkConfig::default()
    })
    .unwrap_err();
    assert!(no_key.to_string().contains("LINEAR_API_KEY"), "{no_key}");
    let unknown = Sink::new(&SinkConfig {
        kind: "jira".into(),
        ..SinkConfig::default()
    })
    .unwrap_err();
    assert!(
        unknown.to_string().contains("markdown, github or linear"),
        "{unknown}"
    );
    assert_eq!(unknown.class(), ErrorClass::User);
}

#[tokio::test]
async fn linear_issue_is_created_once_then_updated_with_a_comment() {
    let server = Server::start(|r| {
        let query = r.body["query"].as_str().unwrap_or("");
        if query.contains("issueCreate") {
            (200, json!({"data": {"issueCreate": {"success": true, "issue": {"id": "lin-1", "identifier": "ENG-1", "url": "https://linear.app/acme/issue/ENG-1"}}}}))
        } else if query.contains("issueUpdate") {
            (200, json!({"data": {"issueUpdate": {"success": true}}}))
        } else if query.contains("commentCreate") {
            (200, json!({"data": {"commentCreate": {"success": true}}}))
        } else {
            (200, json!({"errors": [{"message": "unknown operation"}]}))
        }
    })
    .await;
    let lake = three_days().await;
    let sink = Sink::new(&SinkConfig {
        kind: "linear".into(),
        linear_team: Some("TEAM-1".into()),
        linear_key: Some("lin-secret".into()),
        linear_api: Some(format!("{}/graphql", server.url)),
        ..SinkConfig::default()
    })
    .unwrap();
    let opts = FileOptions::default();

    let r = file_tickets(&lake, day("2026-12-01"), &sink, &opts)
        .await
        .unwrap();
    assert_eq!(
        r.actions[0].external_ref.as_deref(),
        Some("https://linear.app/acme/issue/ENG-1")
    );
    let sent = server.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/graphql")
    );
    assert_eq!(sent[0].authorization, "lin-secret");
    let input = &sent[0].body["variables"]["input"];
    assert_eq!(input["teamId"], "TEAM-1");
    assert!(
        input["title"]
            .as_str()
            .unwrap()
            .contains("error_event in all sessions")
    );
    assert!(
        input["description"]
            .as_str()
            .unwrap()
            .contains("a shell command failed")
    );

    file_tickets(&lake, day("2026-12-01"), &sink, &opts)
        .await
        .unwrap();
    assert!(server.take().is_empty(), "a rerun sends nothing");

    file_tickets(&lake, day("2026-12-02"), &sink, &opts)
        .await
        .unwrap();
    let sent = server.take();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0].body["query"]
            .as_str()
            .unwrap()
            .contains("issueUpdate")
    );
    assert_eq!(sent[0].body["variables"]["id"], "lin-1");
    assert!(
        sent[1].body["query"]
            .as_str()
            .unwrap()
            .contains("commentCreate")
    );
    assert_eq!(sent[1].body["variables"]["input"]["issueId"], "lin-1");
    assert!(
        sent[1].body["variables"]["input"]["body"]
            .as_str()
            .unwrap()
            .contains("7 of 10")
    );
}

#[tokio::test]
async fn a_graphql_error_fails_the_filing() {
    let server = Server::start(|_| (200, json!({"errors": [{"message": "team not found"}]}))).await;
    let lake = lake_with(&[("2026-12-01", &[("all", "all", 6)])]).await;
    let sink = Sink::new(&SinkConfig {
        kind: "linear".into(),
        linear_team: Some("nope".into()),
        linear_key: Some("k".into()),
        linear_api: Some(server.url.clone()),
        ..SinkConfig::default()
    })
    .unwrap();
    let err = file_tickets(&lake, day("2026-12-01"), &sink, &FileOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("team not found"), "{err}");
}

#[tokio::test]
async fn markdown_tickets_are_files_in_the_lake_with_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let mem = three_days().await;
    // The same inputs, in a lake on disk: copy the partitions over.
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    for table in ["friction_patterns", "analysed_sessions", "frictions"] {
        let def = signals_lake::schema::table(table).unwrap();
        let ctx = mem.session_context().await.unwrap();
        for d in mem.partitions(table).await.unwrap() {
            let batches = ctx
                .sql(&format!("SELECT * FROM {table} WHERE date = '{d}'"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap()
                .iter()
                .map(|b| signals_lake::conform(&def, b).unwrap())
                .collect();
            lake.write_partition_batches(&def, d, batches)
                .await
                .unwrap();
        }
    }
    let opts = FileOptions::default();
    for d in ["2026-12-01", "2026-12-01", "2026-12-02", "2026-12-05"] {
        file_tickets(&lake, day(d), &Sink::markdown(), &opts)
            .await
            .unwrap();
    }
    let file = dir.path().join("tickets/SIG-57d08ce6.md");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# Friction: error_event in all sessions — 70.0% of sessions"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "## History\n\n- 2026-12-01: filed\n- 2026-12-02: updated\n- 2026-12-05: faded\n"
        ),
        "{text}"
    );
    assert!(text.contains("**Status:** faded"));
    // The dry run of a later crossing reports, and writes nothing.
    let before = std::fs::read_to_string(&file).unwrap();
    let r = file_tickets(
        &lake,
        day("2026-12-02"),
        &Sink::markdown(),
        &FileOptions {
            dry_run: true,
            ..opts
        },
    )
    .await
    .unwrap();
    assert_eq!(r.actions[0].action, "updated");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}
