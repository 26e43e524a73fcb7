//! Pipeline files: validation against the lake's schemas, with every problem
//! named by file and stage; rendering.

use signals_lake::Lake;
use signals_runner::render::{DagFormat, render};
use signals_runner::{Error, Pipeline};

use crate::{daily, repo};

/// Write a pipeline and its SQL into a scratch repository layout and load it.
fn load(
    dir: &std::path::Path,
    toml: &str,
    sql: &[(&str, &str)],
) -> signals_runner::Result<Pipeline> {
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    std::fs::create_dir_all(dir.join("sql/stages")).unwrap();
    for (name, text) in sql {
        std::fs::write(dir.join("sql").join(name), text).unwrap();
    }
    let file = dir.join("pipelines/p.toml");
    std::fs::write(&file, toml).unwrap();
    Pipeline::load(&file.display().to_string())
}

fn problems(e: Error) -> (String, Vec<String>) {
    match e {
        Error::Invalid { file, problems } => (file, problems),
        other => panic!("expected an invalid pipeline, got {other}"),
    }
}

#[test]
fn structural_problems_are_named_with_file_and_stage() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(
        dir.path(),
        r#"
name = "p"
[[stage]]
name = "a"
kind = "sql"
sql = "stages/a.sql"
output = "analysed_sessions"
after = ["c"]
[[stage]]
name = "b"
kind = "judge"
pass = "friction"
input = "analysed_sessions"
after = ["a", "ghost"]
[[stage]]
name = "c"
kind = "command"
run = ["true"]
after = ["a"]
[[stage]]
name = "d"
kind = "teleport"
"#,
        &[("stages/a.sql", "SELECT 1")],
    )
    .unwrap_err();
    let (file, ps) = problems(e);
    assert!(file.ends_with("pipelines/p.toml"), "{file}");
    let all = ps.join("\n");
    assert!(all.contains("a -> c -> a"), "the cycle is named:\n{all}");
    assert!(
        all.contains("stage b") && all.contains("ghost"),
        "unknown dependency:\n{all}"
    );
    assert!(
        all.contains("stage d") && all.contains("teleport"),
        "unknown kind:\n{all}"
    );
}

#[tokio::test]
async fn sql_that_does_not_fit_the_lake_is_reported_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = load(
        dir.path(),
        r#"
name = "p"
[params]
min_steps = 30
[[stage]]
name = "typo"
kind = "sql"
sql = "stages/typo.sql"
output = "analysed_sessions"
[[stage]]
name = "undeclared"
kind = "sql"
sql = "stages/undeclared.sql"
output = "analysed_sessions"
[[stage]]
name = "shape"
kind = "sql"
sql = "stages/shape.sql"
output = "analysed_sessions"
[[stage]]
name = "nowhere"
kind = "sql"
sql = "stages/missing.sql"
output = "no_such_table"
[[stage]]
name = "reader"
kind = "judge"
pass = "facets"
input = "analysed_sessions"
[[stage]]
name = "judge2"
kind = "judge"
pass = "friction"
input = "no_such_input"
"#,
        &[
            ("stages/typo.sql", "SELECT session_id, step_cuont FROM sessions WHERE date = $date"),
            (
                "stages/undeclared.sql",
                "-- $in_a_comment is fine\nSELECT session_id, step_count, user_message_count FROM sessions WHERE step_count > $threshold",
            ),
            ("stages/shape.sql", "SELECT session_id, 1 AS surprise FROM sessions"),
        ],
    )
    .unwrap();
    let lake = Lake::open("memory://").unwrap();
    let (file, ps) = problems(
        p.validate(&lake.session_context().await.unwrap())
            .await
            .unwrap_err(),
    );
    assert!(file.ends_with("pipelines/p.toml"));
    let find = |stage: &str, what: &str| {
        assert!(
            ps.iter()
                .any(|p| p.starts_with(&format!("stage {stage}:")) && p.contains(what)),
            "no problem for stage {stage} mentioning {what:?} in:\n{}",
            ps.join("\n")
        );
    };
    find("typo", "step_cuont");
    find("typo", "does not plan");
    find("undeclared", "$threshold");
    find("shape", "step_count");
    find("shape", "surprise");
    find("nowhere", "no_such_table");
    find("judge2", "no_such_input");
    assert!(
        ps.iter()
            .any(|p| p
                .starts_with("stage shape: writes analysed_sessions, which stage typo writes too")),
        "{ps:?}"
    );
    // Several stages write analysed_sessions and `reader` depends on none of them.
    find("reader", "add it to `after`");
    assert!(
        !ps.iter().any(|p| p.contains("in_a_comment")),
        "comments are not SQL: {ps:?}"
    );
}

#[tokio::test]
async fn the_shipped_pipelines_validate_and_render() {
    let lake = Lake::open("memory://").unwrap();
    let ctx = lake.session_context().await.unwrap();
    for f in std::fs::read_dir(repo().join("pipelines"))
        .unwrap()
        .flatten()
    {
        let p = Pipeline::load(&f.path().display().to_string()).unwrap();
        p.validate(&ctx).await.unwrap();
    }
    let p = daily();
    let dot = render(&p, DagFormat::Dot);
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("\"filter\" -> \"friction\""), "{dot}");
    assert!(dot.contains("\"filter\" -> \"facets\""), "{dot}");
    let mermaid = render(&p, DagFormat::Mermaid);
    assert!(mermaid.contains("filter --> friction"), "{mermaid}");
    let text = render(&p, DagFormat::Text);
    assert!(
        text.contains("stages/filter.sql -> analysed_sessions"),
        "{text}"
    );
}
