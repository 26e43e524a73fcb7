//! The digest and alert stages against a local HTTP server playing Slack's
//! incoming webhook: what is posted, that a date that runs again posts nothing,
//! the alerts' threshold and cooldown, failures, and that the webhook URL never
//! shows in an error or in the lake.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use chrono::NaiveDate;
use serde_json::{Value, json};
use signals_digest::{Channel, NotifyConfig, post_alerts, post_digest};
use signals_lake::{ErrorClass, Lake, batch_from_rows, schema};
use signals_testkit::http::Server;

const SECRET: &str = "XyZsecretTOKEN";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A Slack webhook that answers with `status` (200 "ok" unless changed).
async fn slack() -> (Server, Arc<AtomicU16>) {
    let status = Arc::new(AtomicU16::new(200));
    let s = Arc::clone(&status);
    let server = Server::start(move |_| {
        let code = s.load(Ordering::SeqCst);
        let body = match code {
            200 => "ok",
            404 => "no_service",
            _ => "internal_error",
        };
        (code, Value::String(body.into()))
    })
    .await;
    (server, status)
}

fn config(server: &Server) -> NotifyConfig {
    NotifyConfig {
        channel: Channel::Slack {
            webhook: format!("{}/services/T000/B000/{SECRET}", server.url),
        },
        // The dates here are in the past.
        max_age_days: 0,
        ..NotifyConfig::default()
    }
}

/// Write the `tickets` snapshot of `date`: (ticket id, rate, action).
async fn tickets(lake: &Lake, date: &str, rows: &[(&str, f64, &str)]) {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(id, rate, action)| {
            json!({
                "ticket_id": id, "fingerprint": format!("fp-{id}"),
                "friction_type": "rephrasing_cascade", "slice_kind": "all", "slice_value": "all",
                "title": format!("Friction: rephrasing_cascade ({id})"), "status": "open",
                "action": action, "first_seen": "2026-11-01", "last_seen": date, "days_seen": 2,
                "sessions": 80, "affected": (rate * 80.0) as i64, "rate": rate, "baseline_rate": 0.15,
                "p_value": 0.0001, "q_value": 0.001, "trend": "rising", "high": 3, "medium": 2, "low": 1,
                "citations": "[]", "sink": "github",
                "external_ref": format!("https://github.com/acme/agent/issues/{}", id.len()),
            })
        })
        .collect();
    let def = schema::tickets();
    lake.write_partition_batches(&def, day(date), vec![batch_from_rows(&def, &rows).unwrap()])
        .await
        .unwrap();
}

/// Every byte of the lake on disk, as text.
fn lake_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push_str(&lake_text(&p));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn a_dates_digest_is_posted_once_as_block_kit_and_the_webhook_never_shows() {
    let (server, status) = slack().await;
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    tickets(&lake, "2026-11-09", &[("SIG-aaaa0001", 0.425, "filed")]).await;
    let cfg = config(&server);

    let r = post_digest(&lake, day("2026-11-09"), &cfg).await.unwrap();
    let sent = server.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path, format!("/services/T000/B000/{SECRET}"));
    let body = &sent[0].body;
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("1 crossing pattern"),
        "{body}"
    );
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["text"], "agent-signals — 2026-11-09");
    let all = body.to_string();
    assert!(
        all.contains("<https://github.com/acme/agent/issues/12|SIG-aaaa0001>"),
        "{all}"
    );
    assert!(all.contains("42.5% of sessions"), "{all}");
    let slack_row = r.rows.iter().find(|r| r.channel == "slack").unwrap();
    assert_eq!(slack_row.status, "posted");
    assert_eq!(slack_row.blocks as usize, blocks.len());

    // The Markdown says the same, in the lake.
    let md = std::fs::read_to_string(dir.path().join("digests/2026-11-09.md")).unwrap();
    assert!(
        md.contains("[SIG-aaaa0001](https://github.com/acme/agent/issues/12)"),
        "{md}"
    );

    // Running the date again posts nothing.
    let r = post_digest(&lake, day("2026-11-09"), &cfg).await.unwrap();
    assert!(server.take().is_empty());
    assert_eq!(
        r.rows.iter().find(|r| r.channel == "slack").unwrap().status,
        "already_posted"
    );

    // Slack down: a retryable error without the URL, nothing recorded as sent...
    status.store(503, Ordering::SeqCst);
    let e = post_digest(&lake, day("2026-11-10"), &cfg)
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::External);
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    // ... so the next run posts it.
    status.store(200, Ordering::SeqCst);
    server.take();
    post_digest(&lake, day("2026-11-10"), &cfg).await.unwrap();
    assert_eq!(server.take().len(), 1);

    // A revoked webhook is the user's to fix, and says how.
    status.store(404, Ordering::SeqCst);
    let e = post_digest(&lake, day("2026-11-11"), &cfg)
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::User);
    assert!(e.to_string().contains("create a new one"), "{e}");
    assert!(!e.to_string().contains(SECRET), "{e}");

    // No server at all: the network error has no URL either.
    let gone = NotifyConfig {
        channel: Channel::Slack {
            webhook: format!("http://127.0.0.1:9/services/{SECRET}"),
        },
        max_age_days: 0,
        ..NotifyConfig::default()
    };
    let e = post_digest(&lake, day("2026-11-12"), &gone)
        .await
        .unwrap_err();
    assert!(!e.to_string().contains(SECRET), "{e}");

    assert!(!lake_text(dir.path()).contains(SECRET));
}

#[tokio::test]
async fn alerts_go_out_at_the_threshold_once_per_cooldown() {
    let (server, _) = slack().await;
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    // A crosses high on the 1st, the 4th and the 8th; B crosses, but low.
    tickets(
        &lake,
        "2026-11-01",
        &[("SIG-a", 0.5, "filed"), ("SIG-b", 0.2, "filed")],
    )
    .await;
    tickets(&lake, "2026-11-04", &[("SIG-a", 0.6, "updated")]).await;
    tickets(&lake, "2026-11-08", &[("SIG-a", 0.45, "updated")]).await;
    // A pattern that faded is never alerted, whatever its last rate.
    tickets(&lake, "2026-11-09", &[("SIG-c", 0.9, "faded")]).await;
    let cfg = NotifyConfig {
        alert_cooldown_days: 7,
        alert_rate: 0.4,
        ..config(&server)
    };
    let status = |r: &signals_digest::AlertsReport| -> Vec<(String, String, Option<String>)> {
        r.rows
            .iter()
            .map(|x| {
                (
                    x.ticket_id.clone(),
                    x.status.clone(),
                    x.last_alerted.clone(),
                )
            })
            .collect()
    };

    let r = post_alerts(&lake, day("2026-11-01"), &cfg).await.unwrap();
    assert_eq!(status(&r), [("SIG-a".into(), "posted".into(), None)]);
    let sent = server.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["blocks"][0]["type"], "header");
    assert!(sent[0].body["text"].as_str().unwrap().contains("50.0%"));

    let r = post_alerts(&lake, day("2026-11-04"), &cfg).await.unwrap();
    assert_eq!(
        status(&r),
        [("SIG-a".into(), "cooldown".into(), Some("2026-11-01".into()))]
    );
    assert!(server.take().is_empty());

    let r = post_alerts(&lake, day("2026-11-08"), &cfg).await.unwrap();
    assert_eq!(
        status(&r),
        [("SIG-a".into(), "posted".into(), Some("2026-11-01".into()))]
    );
    assert_eq!(server.take().len(), 1);

    // A date run again sends nothing.
    let r = post_alerts(&lake, day("2026-11-01"), &cfg).await.unwrap();
    assert_eq!(r.rows[0].status, "already_posted");
    let r = post_alerts(&lake, day("2026-11-09"), &cfg).await.unwrap();
    assert!(r.rows.is_empty());
    assert!(server.take().is_empty());

    // The table says the same.
    let ctx = lake.session_context().await.unwrap();
    let n = ctx
        .sql("SELECT count(*) AS n FROM alerts WHERE status = 'posted'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let rows: Vec<Value> = signals_lake::rows_of(&n).unwrap();
    assert_eq!(rows[0]["n"], 1, "the rerun of the 1st is already_posted");
    assert!(dir.path().join("alerts/2026-11-08-SIG-a.md").exists());

    // A backfill of old dates does not post old news.
    tickets(&lake, "2026-11-20", &[("SIG-a", 0.7, "updated")]).await;
    let old = NotifyConfig {
        max_age_days: 3,
        ..cfg.clone()
    };
    let r = post_alerts(&lake, day("2026-11-20"), &old).await.unwrap();
    assert_eq!(r.rows[0].status, "too_old");
    assert!(!dir.path().join("alerts/2026-11-20-SIG-a.md").exists());
    let r = post_digest(&lake, day("2026-11-20"), &old).await.unwrap();
    assert_eq!(r.rows[1].status, "too_old");
    assert!(server.take().is_empty());
    // Its Markdown is written all the same.
    assert!(dir.path().join("digests/2026-11-20.md").exists());
    // Without Slack, an alert is a file: old dates get theirs.
    let files = NotifyConfig {
        channel: Channel::Markdown,
        ..old
    };
    let r = post_alerts(&lake, day("2026-11-20"), &files).await.unwrap();
    assert_eq!(r.rows[0].status, "posted");
    assert!(dir.path().join("alerts/2026-11-20-SIG-a.md").exists());
}
