//! The tickets crate against real sinks: GitHub's REST issues API and Linear's
//! GraphQL API, each played by a local HTTP server that records and checks every
//! request, and the Markdown sink in a lake on disk.

mod sinks;

use arrow::array::RecordBatch;
use chrono::NaiveDate;
use signals_lake::{Lake, conform, schema};

/// A slice crossing on a day: (slice kind, slice value, affected of 10).
pub type Crossing<'a> = (&'a str, &'a str, i64);

/// A lake whose `friction_patterns` say, per day, which error_event patterns cross,
/// with two abstracted moments on the first day for the citations.
pub async fn lake_with(days: &[(&str, &[Crossing<'_>])]) -> Lake {
    let lake = Lake::open("memory://").unwrap();
    let ctx = lake.session_context().await.unwrap();
    for (day, crossing) in days {
        let date: NaiveDate = day.parse().unwrap();
        let rows: Vec<String> = crossing
            .iter()
            .map(|(kind, value, affected)| {
                format!(
                    "('error_event', '{kind}', '{value}', 10, {affected}, {affected} / 10.0, {affected}, 1.0, 1, 1, {affected} - 2, 70, 14, 0.2, 3.0, 0.001, true)"
                )
            })
            .collect();
        if !rows.is_empty() {
            write(
                &lake,
                &ctx,
                "friction_patterns",
                date,
                &format!(
                    "SELECT * FROM (VALUES {}) AS t(friction_type, slice_kind, slice_value, sessions, affected, rate, moments, moments_per_affected, high, medium, low, baseline_sessions, baseline_affected, baseline_rate, z, p_value, crosses_threshold)",
                    rows.join(", ")
                ),
            )
            .await;
        }
    }
    let first: NaiveDate = days[0].0.parse().unwrap();
    write(
        &lake,
        &ctx,
        "analysed_sessions",
        first,
        "SELECT * FROM (VALUES ('s-1', 40, 3, '2.0.0'), ('s-2', 40, 3, '2.0.0')) AS t(session_id, step_count, user_message_count, agent_version)",
    )
    .await;
    write(
        &lake,
        &ctx,
        "frictions",
        first,
        "SELECT * FROM (VALUES ('s-1', 'error_event', 'high', 1, 2, 'a shell command failed', 0.9, 'builtin', '1'), ('s-2', 'error_event', 'low', 1, 2, 'the test run failed', 0.9, 'builtin', '1')) AS t(session_id, friction_type, severity, first_seq, last_seq, citation, confidence, judge, judge_version)",
    )
    .await;
    lake
}

async fn write(
    lake: &Lake,
    ctx: &datafusion::prelude::SessionContext,
    table: &str,
    date: NaiveDate,
    sql: &str,
) {
    let def = schema::table(table).unwrap();
    let batches: Vec<RecordBatch> = ctx
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
        .iter()
        .map(|b| conform(&def, b).unwrap())
        .collect();
    lake.write_partition_batches(&def, date, batches)
        .await
        .unwrap();
}

/// A date.
pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
