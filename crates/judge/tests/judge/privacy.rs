//! Citations are written from what happened, never from what was typed: sessions
//! full of emails, keys, paths, hosts and names go through the whole judge and
//! none of it reaches the `frictions` or `session_facets` tables.

use std::sync::Arc;

use arrow::util::pretty::pretty_format_batches;
use serde_json::{Value, json};
use signals_ingest::{IngestOptions, ingest, input::expand};
use signals_judge::run::{Selection, run_both};
use signals_judge::{BuiltinJudge, Judge};
use signals_lake::Lake;

/// What must never appear in a judge's output, in any column.
const SECRETS: &[&str] = &[
    "jane.doe@example.com",
    "jane",
    "doe",
    "example.com",
    "sk-live-4eC39HqLyjWDarjtT1zdp7dc",
    "4eC39HqLyjWDarjtT1zdp7dc",
    "AKIAIOSFODNN7EXAMPLE",
    "hunter2",
    "/home/jdoe",
    "jdoe",
    "payroll",
    "acme",
    "db.acme.internal",
    "+1-202-555-0142",
    "555-0142",
    "Mustermann",
    "Ximena",
    "calculate_net_salary",
    "salary",
];

fn session(id: &str, day: &str) -> Vec<Value> {
    let file = "/home/jdoe/acme/payroll_export.py";
    let mut ev: Vec<Value> = vec![
        json!({"kind":"session_start","agent":"droid","agent_version":"1.0.0","user":"jane.doe@example.com","repo":"acme/payroll"}),
        json!({"kind":"user_message","text":"Hi, I'm Jane Doe (jane.doe@example.com, +1-202-555-0142). Sort the payroll users by signup date in /home/jdoe/acme/payroll_export.py, key sk-live-4eC39HqLyjWDarjtT1zdp7dc"}),
    ];
    // Context churn on a private path.
    for _ in 0..3 {
        ev.push(json!({"kind":"context_add","path":file}));
        ev.push(json!({"kind":"context_remove","path":file}));
    }
    let mut call = 0;
    let mut step = |ev: &mut Vec<Value>, tool: &str, args: Value, status: &str, output: &str| {
        call += 1;
        ev.push(json!({"kind":"tool_call","call_id":format!("c{call}"),"tool":tool,"args":args}));
        ev.push(json!({"kind":"tool_result","call_id":format!("c{call}"),"status":status,"output":output}));
    };
    for _ in 0..4 {
        step(
            &mut ev,
            "read_file",
            json!({"path": file}),
            "ok",
            "def calculate_net_salary(jane): return 1",
        );
    }
    // A rejected edit whose content holds a key.
    step(
        &mut ev,
        "edit_file",
        json!({"path": file, "new": "AWS_KEY = 'AKIAIOSFODNN7EXAMPLE'"}),
        "rejected",
        "",
    );
    // A failing command with a password in the URL.
    step(
        &mut ev,
        "bash",
        json!({"command": "psql postgres://jdoe:hunter2@db.acme.internal/payroll"}),
        "error",
        "FATAL: password authentication failed for user \"jdoe\" at db.acme.internal",
    );
    ev.push(json!({"kind":"error","error_type":"api_error","message":"401 Unauthorized for key sk-live-4eC39HqLyjWDarjtT1zdp7dc (jane.doe@example.com)"}));
    ev.push(json!({"kind":"assistant_message","text":"```python\ndef calculate_net_salary(user):\n    return payroll(user, key='sk-live-4eC39HqLyjWDarjtT1zdp7dc')\n```"}));
    // A rephrasing cascade, full of names.
    for text in [
        "I meant sort Jane Doe's payroll users by the date they signed up, newest first",
        "again: order the payroll user list for jane.doe@example.com by signup date, most recent at the top",
    ] {
        step(&mut ev, "edit_file", json!({"path": file}), "ok", "");
        ev.push(json!({"kind":"assistant_message","text":"Done."}));
        ev.push(json!({"kind":"user_message","text":text}));
    }
    for text in [
        "why do you keep leaking my key sk-live-4eC39HqLyjWDarjtT1zdp7dc?? this is useless, Jane Doe is NOT happy",
        "revert the change to /home/jdoe/acme/payroll_export.py, Max Mustermann will review calculate_net_salary",
        "can you see my terminal? it shows AKIAIOSFODNN7EXAMPLE and Ximena's salary",
    ] {
        step(&mut ev, "edit_file", json!({"path": file}), "ok", "");
        ev.push(json!({"kind":"user_message","text":text}));
    }
    for _ in 0..3 {
        step(
            &mut ev,
            "bash",
            json!({"command": "cat /home/jdoe/.ssh/id_rsa"}),
            "ok",
            "",
        );
    }
    ev.push(json!({"kind":"interrupt"}));
    ev.push(json!({"kind":"session_end","status":"abandoned"}));
    ev.into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e["session_id"] = json!(id);
            e["seq"] = json!(i);
            e["ts"] = json!(format!("{day}T10:{:02}:{:02}Z", i / 60, i % 60));
            e
        })
        .collect()
}

#[tokio::test]
async fn no_personal_data_reaches_the_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pii.jsonl");
    let lines: Vec<String> = session("s-pii-jane.doe@example.com", "2026-11-20")
        .iter()
        .chain(&session("s-pii-2", "2026-11-20"))
        .map(Value::to_string)
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let lake = Lake::open("memory://").unwrap();
    ingest(
        &lake,
        expand(&[path.display().to_string()]).unwrap(),
        &IngestOptions::default(),
    )
    .await
    .unwrap();
    let date = signals_lake::parse_date("2026-11-20").unwrap();
    let judge: Arc<dyn Judge> = Arc::new(BuiltinJudge::default());
    let (f, _) = run_both(&lake, date, judge, &Selection::MinSteps(0))
        .await
        .unwrap();
    assert_eq!(f.sessions, 2);

    let ctx = lake.session_context().await.unwrap();
    let types = ctx
        .sql("SELECT DISTINCT friction_type FROM frictions ORDER BY 1")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let types = pretty_format_batches(&types).unwrap().to_string();
    for t in signals_judge::FrictionType::ALL {
        assert!(
            types.contains(t.id()),
            "{} not found, so its citation went untested:\n{types}",
            t.id()
        );
    }
    // Every column but the session id (which the user chose) is checked.
    for sql in [
        "SELECT friction_type, severity, first_seq, last_seq, citation, confidence, judge, judge_version, date FROM frictions",
        "SELECT facet, value, source, judge, judge_version, date FROM session_facets",
    ] {
        let out = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = pretty_format_batches(&out).unwrap().to_string();
        assert!(text.lines().count() > 5, "{sql} returned nothing");
        let lower = text.to_lowercase();
        for secret in SECRETS {
            assert!(
                !lower.contains(&secret.to_lowercase()),
                "{secret:?} leaked into the output of {sql}:\n{text}"
            );
        }
    }
}
