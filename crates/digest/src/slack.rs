//! Slack: the digest and alerts as Block Kit messages within Slack's limits, and
//! the incoming webhook they are posted to.

use std::time::Duration;

use serde_json::{Value, json};

use crate::content::{Digest, TicketLine};
use crate::markdown::{self, Style};
use crate::{Error, Result};

/// Most blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Most characters of a section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Most characters of a header's text.
pub const MAX_HEADER_TEXT: usize = 150;
/// Most fields of a section.
pub const MAX_FIELDS: usize = 10;
/// Most characters of a field.
pub const MAX_FIELD_TEXT: usize = 2000;
/// Most elements of a context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Most characters of a message's notification text (Slack truncates long ones).
pub const MAX_FALLBACK_TEXT: usize = 3000;

/// `s` cut to `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}]})
}

fn divider() -> Value {
    json!({"type": "divider"})
}

fn header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": false}})
}

fn more(n: usize) -> String {
    format!("_…and {n} more (every line is in the Markdown digest: `signals digest --date D`)_")
}

/// A titled list in one section: as many of `lines` as `max_items` and the
/// section's length allow, then "…and N more". Returns the block and how many
/// lines it left out.
fn list(title: &str, lines: &[String], max_items: usize) -> (Value, usize) {
    let tail_room = more(lines.len()).chars().count() + 1;
    let mut text = format!("*{title}*");
    let mut shown = 0;
    for l in lines.iter().take(max_items) {
        let line = format!("\n• {}", clip(l, 1000));
        let room = if shown + 1 < lines.len() {
            tail_room
        } else {
            0
        };
        if text.chars().count() + line.chars().count() + room > MAX_SECTION_TEXT {
            break;
        }
        text.push_str(&line);
        shown += 1;
    }
    let left = lines.len() - shown;
    if left > 0 {
        text.push('\n');
        text.push_str(&more(left));
    }
    (section(&text), left)
}

/// A digest as a Slack message, and the lines it left out to stay within
/// Slack's limits (at most [`MAX_BLOCKS`] blocks, [`MAX_SECTION_TEXT`]
/// characters a section, `max_items` lines a list).
pub fn digest_message(d: &Digest, max_items: usize) -> (Value, usize) {
    let s = Style::Slack;
    let mut left_out = 0;
    let mut head = vec![header(&markdown::title(d))];
    let fields: Vec<Value> = markdown::headline_fields(d)
        .into_iter()
        .take(MAX_FIELDS)
        .map(|(k, v)| {
            json!({"type": "mrkdwn", "text": clip(&format!("*{k}*\n{v}"), MAX_FIELD_TEXT)})
        })
        .collect();
    head.push(json!({"type": "section", "fields": fields}));
    let mut note = format!(
        "Against the baseline {} to {}.",
        d.baseline_from, d.baseline_to
    );
    if d.headline.interventions > 0 {
        note.push_str(&format!(
            " The live hook asked the agent to clarify {} time{}.",
            d.headline.interventions,
            if d.headline.interventions == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    head.push(context(&note));
    head.push(divider());

    // Every block but the per-pattern sections, so the patterns get what is left.
    let mut tail = Vec::new();
    let types: Vec<String> = d.types.iter().map(|t| markdown::type_line(t, s)).collect();
    if !types.is_empty() {
        let (b, n) = list("Friction by type", &types, max_items);
        tail.push(b);
        left_out += n;
    }
    let deployments: Vec<String> = d
        .deployments()
        .iter()
        .map(|(v, vs)| markdown::deployment_line(v, vs, s))
        .collect();
    if !deployments.is_empty() {
        let (b, n) = list("Deployment verdicts", &deployments, max_items);
        tail.push(b);
        left_out += n;
    }
    let delight: Vec<String> = d
        .delight
        .iter()
        .map(|x| markdown::delight_line(x, s))
        .collect();
    if !delight.is_empty() {
        let (b, n) = list("Delight", &delight, max_items);
        tail.push(b);
        left_out += n;
    }
    let proposals: Vec<String> = d
        .proposals
        .iter()
        .map(|p| markdown::proposal_line(p, s))
        .collect();
    if !proposals.is_empty() {
        let (b, n) = list(
            "Proposed facets (`signals facets accept|reject`)",
            &proposals,
            max_items,
        );
        tail.push(b);
        left_out += n;
    }
    tail.push(context(&format!(
        "agent-signals · `signals digest --date {}` prints this digest in full",
        d.date
    )));

    let tickets: Vec<String> = d
        .tickets
        .iter()
        .map(|t| markdown::ticket_line(t, s))
        .collect();
    let mut blocks = head;
    blocks.push(section(&format!(
        "*Crossing patterns ({})*{}",
        d.crossing().count(),
        if tickets.is_empty() {
            "\nNo pattern crossed the threshold."
        } else {
            ""
        }
    )));
    // Room for the tail, a divider before it and an "and N more" line.
    let room = MAX_BLOCKS.saturating_sub(blocks.len() + tail.len() + 2);
    let shown = tickets.len().min(max_items).min(room);
    blocks.extend(tickets.iter().take(shown).map(|t| section(t)));
    if tickets.len() > shown {
        blocks.push(context(&more(tickets.len() - shown)));
        left_out += tickets.len() - shown;
    }
    blocks.push(divider());
    blocks.extend(tail);
    let message = json!({
        "text": clip(&markdown::summary(d), MAX_FALLBACK_TEXT),
        "blocks": blocks,
    });
    (message, left_out)
}

/// An alert as a Slack message.
pub fn alert_message(date: &str, t: &TicketLine, alert_rate: f64) -> Value {
    let line = markdown::ticket_line(t, Style::Slack);
    json!({
        "text": clip(&format!("agent-signals alert {date}: {} at {} of sessions", t.friction_type, markdown::pct(Some(t.rate))), MAX_FALLBACK_TEXT),
        "blocks": [
            header(&format!("agent-signals alert — {date}")),
            section(&line),
            context(&format!("Its rate reached the alert threshold ({}); the same ticket is alerted at most once per cooldown.", markdown::pct(Some(alert_rate)))),
        ],
    })
}

/// Post `message` to the incoming webhook at `url`. Errors never contain the URL.
pub async fn post(url: &str, message: &Value) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("agent-signals/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Slack {
            reason: e.without_url().to_string(),
            retryable: false,
        })?;
    let resp = client
        .post(url)
        .json(message)
        .send()
        .await
        .map_err(|e| Error::Slack {
            reason: e.without_url().to_string(),
            retryable: true,
        })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() {
        // The URL is the credential: never in a log line.
        tracing::info!(
            blocks = message["blocks"].as_array().map_or(0, Vec::len),
            "posted to the Slack webhook"
        );
        return Ok(());
    }
    tracing::warn!(%status, "the Slack webhook refused a message");
    // Slack answers a webhook's errors with a short code in the body.
    let hint = match body.trim() {
        "invalid_payload" | "invalid_blocks" | "invalid_blocks_format" => {
            " (the message broke a Block Kit rule: a bug, please report it)"
        }
        "no_service" | "no_team" | "team_disabled" => {
            " (the webhook was removed or revoked: create a new one and set SIGNALS_SLACK_WEBHOOK_URL)"
        }
        "channel_not_found" | "channel_is_archived" | "action_prohibited" => {
            " (the webhook's channel cannot be posted to: check it in Slack)"
        }
        _ => "",
    };
    Err(Error::Slack {
        reason: format!(
            "HTTP {status}: {}{hint}",
            body.chars().take(200).collect::<String>()
        ),
        retryable: status.is_server_error() || status.as_u16() == 429,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Delight, Headline, Proposal, TypeRate, Verdict};

    /// A day with far more to say than one message holds.
    fn busy_day() -> Digest {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 9).unwrap();
        let ticket = |i: usize| TicketLine {
            ticket_id: format!("SIG-{i:08x}"),
            title: "t".into(),
            friction_type: "rephrasing_cascade".into(),
            slice_kind: "language".into(),
            slice_value: format!("lang<{i}>&{}", "x".repeat(300)),
            action: if i.is_multiple_of(9) {
                "faded"
            } else {
                "filed"
            }
            .into(),
            trend: "new".into(),
            days_seen: 1,
            affected: 9,
            sessions: 20,
            rate: 0.45,
            baseline_rate: Some(0.1),
            q_value: Some(0.01),
            external_ref: Some(format!("https://github.com/acme/agent/issues/{i}")),
            pull_request: None,
        };
        let verdict = |v: usize, t: &str, verdict: &str| Verdict {
            version: format!("1.{v}.0"),
            deployed_on: "2026-11-02".into(),
            ticket_id: None,
            friction_type: t.into(),
            before_rate: Some(0.3),
            after_rate: Some(0.1),
            adj_change: Some(-0.2),
            ci_low: Some(-0.3),
            ci_high: Some(-0.1),
            q_value: Some(0.0001),
            verdict: verdict.into(),
        };
        Digest {
            date,
            baseline_from: date - chrono::Duration::days(7),
            baseline_to: date - chrono::Duration::days(1),
            headline: Headline {
                sessions: 100,
                analysed: 80,
                friction_share: Some(0.7),
                interventions: 3,
                ..Headline::default()
            },
            types: (0..7)
                .map(|i| TypeRate {
                    friction_type: format!("type_{i}"),
                    affected: 10,
                    sessions: 80,
                    rate: 0.125,
                    baseline_rate: None,
                    q_value: None,
                    crosses_threshold: false,
                })
                .collect(),
            tickets: (0..80).map(ticket).collect(),
            verdicts: (0..40)
                .flat_map(|v| {
                    [
                        verdict(v, "error_event", "improved"),
                        verdict(v, "backtracking", "no_change"),
                    ]
                })
                .collect(),
            delight: vec![Delight {
                delight_type: "gratitude".into(),
                sessions: 3,
                share: Some(0.1),
                baseline_share: Some(0.2),
            }],
            proposals: (0..60)
                .map(|i| Proposal {
                    name: format!("theme_{i}_{}", "y".repeat(100)),
                    cluster_size: 12,
                    share: 0.1,
                })
                .collect(),
        }
    }

    fn texts(v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                if let (Some(Value::String(kind)), Some(Value::String(text))) =
                    (m.get("type"), m.get("text"))
                {
                    out.push((kind.clone(), text.clone()));
                }
                m.values().for_each(|x| texts(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
            _ => {}
        }
    }

    #[test]
    fn a_busy_day_fits_slacks_limits_and_says_what_it_left_out() {
        let d = busy_day();
        let (m, left) = digest_message(&d, 10);
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks.len() <= MAX_BLOCKS, "{} blocks", blocks.len());
        assert_eq!(blocks[0]["type"], "header");
        assert!(
            m["text"].as_str().unwrap().contains("71 crossing patterns"),
            "{}",
            m["text"]
        );
        for b in blocks {
            let kind = b["type"].as_str().unwrap();
            assert!(
                ["header", "section", "context", "divider"].contains(&kind),
                "{b}"
            );
            if let Some(f) = b["fields"].as_array() {
                assert!(f.len() <= MAX_FIELDS);
                assert!(
                    f.iter()
                        .all(|x| x["text"].as_str().unwrap().chars().count() <= MAX_FIELD_TEXT)
                );
            }
            if kind == "context" {
                assert!(b["elements"].as_array().unwrap().len() <= MAX_CONTEXT_ELEMENTS);
            }
        }
        let mut all = Vec::new();
        texts(&m, &mut all);
        for (kind, text) in &all {
            let max = if kind == "plain_text" {
                MAX_HEADER_TEXT
            } else {
                MAX_SECTION_TEXT
            };
            assert!(
                text.chars().count() <= max,
                "{kind}: {} chars",
                text.chars().count()
            );
            // Text from the lake is escaped for mrkdwn: no stray < or & from a value.
            assert!(!text.contains("lang<"), "{text}");
        }
        // 80 tickets at 10 a list: 70 left out there; 30 of 40 deployments and 50
        // of 60 proposals too.
        let joined: String = all
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(joined.contains("…and 70 more"), "{joined}");
        assert!(left >= 70 + 30 + 50, "{left}");
        // Links to the tickets.
        assert!(
            joined.contains("<https://github.com/acme/agent/issues/1|SIG-00000001>"),
            "{joined}"
        );

        // With room for every line, nothing is left out but what the block limit forces.
        let (m, left) = digest_message(&d, 40);
        assert!(m["blocks"].as_array().unwrap().len() <= MAX_BLOCKS);
        assert!(left > 0);
    }

    #[test]
    fn a_long_list_stops_within_the_section_limit_and_says_how_many_more() {
        let lines: Vec<String> = (0..200)
            .map(|i| format!("{i}: {}", "x".repeat(80)))
            .collect();
        let (b, left) = list("Many", &lines, 100);
        let text = b["text"]["text"].as_str().unwrap();
        assert!(text.chars().count() <= MAX_SECTION_TEXT);
        assert!(left > 100, "{left}");
        assert!(text.ends_with(&more(left)), "{text}");
        let (b, left) = list("Few", &lines[..3], 10);
        assert_eq!(left, 0);
        assert!(!b["text"]["text"].as_str().unwrap().contains("more"));
        assert_eq!(clip("ééé", 2), "é…");
    }
}
