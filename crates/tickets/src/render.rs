//! What a ticket says. Only aggregates, slice names and the judge's abstracted
//! citations go in: never raw user text.

use crate::ticket::Ticket;
use signals_lake::sql_literal;

/// What a friction type means, in a line.
pub fn meaning(friction_type: &str) -> &'static str {
    match friction_type {
        "abandoned_tool" => "the user declined or interrupted the agent's tool calls",
        "rephrasing_cascade" => "the user had to restate the same request several times",
        "context_churn" => "the same context was added and removed over and over",
        "error_event" => "tools or the agent itself failed",
        "tone_escalation" => "the user's tone grew frustrated",
        "backtracking" => "the user asked to undo or revert the agent's work",
        "platform_confusion" => {
            "the user was confused about the agent's commands, settings or limits"
        }
        _ => "a friction type of the judge",
    }
}

/// The slice in words.
pub fn slice(t: &Ticket) -> String {
    if t.slice_kind == "all" {
        "all sessions".into()
    } else {
        format!("{} = {}", t.slice_kind, t.slice_value)
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The ticket's title.
pub fn title(t: &Ticket) -> String {
    format!(
        "Friction: {} in {} — {} of sessions{}",
        t.friction_type,
        slice(t),
        pct(t.rate),
        t.baseline_rate
            .map(|b| format!(" (baseline {})", pct(b)))
            .unwrap_or_default()
    )
}

/// The ticket's body (Markdown).
pub fn body(t: &Ticket) -> String {
    let mut b = String::new();
    b.push_str(&format!(
        "**Friction:** `{}` — {}.\n\n**Slice:** {}\n\n",
        t.friction_type,
        meaning(&t.friction_type),
        slice(t)
    ));
    b.push_str(&format!(
        "**Status:** {} · first seen {} · last seen {} · crossed the threshold on {} day(s) · trend: {}\n\n",
        t.status, t.first_seen, t.last_seen, t.days_seen, t.trend
    ));
    b.push_str("| | last seen | baseline |\n|---|---|---|\n");
    b.push_str(&format!(
        "| affected sessions | {} of {} ({}) | {} |\n",
        t.affected,
        t.sessions,
        pct(t.rate),
        t.baseline_rate.map(pct).unwrap_or_else(|| "—".into())
    ));
    b.push_str(&format!(
        "| severity of the moments | high {}, medium {}, low {} | |\n",
        t.high, t.medium, t.low
    ));
    b.push_str(&format!(
        "| p-value (one-sided test against the baseline, on the arcsine scale) | {} | |\n",
        t.p_value
            .map(|p| format!("{p:.4}"))
            .unwrap_or_else(|| "—".into())
    ));
    b.push_str(&format!(
        "| q-value (Benjamini-Hochberg over the day's tests; the pattern crosses on it) | {} | |\n\n",
        t.q_value
            .map(|q| format!("{q:.4}"))
            .unwrap_or_else(|| "—".into())
    ));
    if !t.citations.is_empty() {
        b.push_str("### What happened (abstracted by the judge)\n\n");
        for c in &t.citations {
            b.push_str(&format!("- {c}\n"));
        }
        b.push('\n');
    }
    // A SQL block, not a shell line: slice values come from logs and must not
    // end up inside a shell string someone pastes.
    b.push_str(&format!(
        "### Reproduce\n\nIn `signals sql` (or a notebook over the lake):\n\n```sql\nSELECT date, sessions, affected, rate, baseline_rate, p_value, q_value, crosses_threshold\n\
         FROM friction_patterns\nWHERE friction_type = {} AND slice_kind = {} AND slice_value = {}\nORDER BY date;\n```\n\n\
         {}The numbers come from `sql/stages/patterns.sql`, the citations from `sql/tickets/citations.sql`.\n\n\
         <!-- agent-signals fingerprint: {} -->\n",
        sql_literal(&t.friction_type),
        sql_literal(&t.slice_kind),
        sql_literal(&t.slice_value),
        if t.slice_kind == "all" {
            // Slices that cross on a day `all` crosses get no ticket of their own.
            format!(
                "The slices that crossed with it (this ticket stands for them):\n\n```sql\nSELECT date, slice_kind, slice_value, affected, sessions, rate, q_value\n\
                 FROM friction_patterns\nWHERE friction_type = {} AND slice_kind <> 'all' AND crosses_threshold\nORDER BY date, q_value;\n```\n\n",
                sql_literal(&t.friction_type)
            )
        } else {
            String::new()
        },
        t.fingerprint
    ));
    b
}

/// A comment for a ticket's new sighting, reopening or fade on `date`.
pub fn comment(t: &Ticket, date: &str) -> String {
    match t.action.as_str() {
        "faded" => format!(
            "{date}: the pattern has not crossed the threshold since {} — marked **faded** (not closed; it reopens if it comes back).",
            t.last_seen
        ),
        "reopened" => format!(
            "{date}: the pattern is **back**: {} of {} sessions ({}), baseline {}.",
            t.affected,
            t.sessions,
            pct(t.rate),
            t.baseline_rate.map(pct).unwrap_or_else(|| "—".into())
        ),
        _ => format!(
            "{date}: seen again ({} day(s) now, trend {}): {} of {} sessions ({}), baseline {}, p = {}, q = {}.",
            t.days_seen,
            t.trend,
            t.affected,
            t.sessions,
            pct(t.rate),
            t.baseline_rate.map(pct).unwrap_or_else(|| "—".into()),
            t.p_value
                .map(|p| format!("{p:.4}"))
                .unwrap_or_else(|| "—".into()),
            t.q_value
                .map(|q| format!("{q:.4}"))
                .unwrap_or_else(|| "—".into())
        ),
    }
}
