//! The digest's and alerts' text. Markdown and Slack's mrkdwn say the same
//! lines; only bold, links and escaping differ ([`Style`]).

use crate::content::{Delight, Digest, Proposal, TicketLine, TypeRate, Verdict};

/// Markup of the lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Style {
    /// CommonMark.
    Markdown,
    /// Slack's mrkdwn.
    Slack,
}

impl Style {
    pub(crate) fn bold(self, s: &str) -> String {
        match self {
            Style::Markdown => format!("**{s}**"),
            Style::Slack => format!("*{s}*"),
        }
    }

    /// Text that comes from the lake, made safe for the markup.
    pub(crate) fn text(self, s: &str) -> String {
        match self {
            Style::Markdown => s.replace('|', "\\|"),
            Style::Slack => s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
        }
    }

    /// `label` linked to `target` when it is a web address (a Markdown ticket's
    /// file is named instead, as a path in the lake).
    pub(crate) fn link(self, label: &str, target: Option<&str>) -> String {
        match target {
            Some(t) if t.starts_with("https://") || t.starts_with("http://") => match self {
                Style::Markdown => format!("[{label}]({t})"),
                Style::Slack => format!("<{t}|{label}>"),
            },
            Some(t) if !t.is_empty() => format!("{label} (`{}`)", self.text(t)),
            _ => label.to_string(),
        }
    }
}

/// A share as a percentage.
pub(crate) fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// A change of shares in percentage points, signed.
pub(crate) fn pts(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => format!("{:+.1} pts", 100.0 * (a - b)),
        _ => "no baseline".into(),
    }
}

fn q_text(q: Option<f64>) -> String {
    match q {
        Some(q) if q < 0.001 => "q < 0.001".into(),
        Some(q) => format!("q {q:.3}"),
        None => "untested".into(),
    }
}

fn slice(kind: &str, value: &str) -> String {
    if kind == "all" {
        "all sessions".into()
    } else {
        format!("{kind} = {value}")
    }
}

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A share beside its baseline: `42.5% (+9.2 pts; baseline 33.3%)`.
fn against(now: Option<f64>, base: Option<f64>) -> String {
    match base {
        Some(_) => format!("{} ({}; baseline {})", pct(now), pts(now, base), pct(base)),
        None => format!("{} (no baseline)", pct(now)),
    }
}

/// The headline as label and value pairs (Slack shows them as fields).
pub(crate) fn headline_fields(d: &Digest) -> Vec<(String, String)> {
    let h = &d.headline;
    let per_day = h
        .baseline_analysed
        .map_or("no baseline".into(), |b| format!("baseline {b:.0}/day"));
    vec![
        (
            "Analysed sessions".into(),
            format!("{} of {} ({per_day})", h.analysed, h.sessions),
        ),
        (
            "With friction".into(),
            against(h.friction_share, h.baseline_friction_share),
        ),
        (
            "Completed".into(),
            against(h.completed_share, h.baseline_completed_share),
        ),
        (
            "With delight".into(),
            against(h.delight_share, h.baseline_delight_share),
        ),
    ]
}

/// One crossing (or faded) pattern with its ticket.
pub(crate) fn ticket_line(t: &TicketLine, s: Style) -> String {
    let id = s.link(&t.ticket_id, t.external_ref.as_deref());
    if t.action == "faded" {
        return format!(
            "{} in {}: no longer above its baseline; {id} faded",
            s.bold(&t.friction_type),
            s.text(&slice(&t.slice_kind, &t.slice_value))
        );
    }
    let pr = t.pull_request.as_deref().map_or(String::new(), |p| {
        format!(", {}", s.link("pull request", Some(p)))
    });
    format!(
        "{} in {}: {} of sessions ({} of {}; baseline {}, {}) — {id} {}, {}, {} day{pr}",
        s.bold(&t.friction_type),
        s.text(&slice(&t.slice_kind, &t.slice_value)),
        pct(Some(t.rate)),
        t.affected,
        t.sessions,
        pct(t.baseline_rate),
        q_text(t.q_value),
        t.action,
        t.trend,
        ordinal(t.days_seen)
    )
}

/// One friction type's rate against its baseline.
pub(crate) fn type_line(t: &TypeRate, s: Style) -> String {
    let mark = if t.crosses_threshold {
        " — above threshold"
    } else {
        ""
    };
    format!(
        "{}: {} ({} of {}; baseline {}, {}){mark}",
        s.bold(&t.friction_type),
        pct(Some(t.rate)),
        t.affected,
        t.sessions,
        pct(t.baseline_rate),
        pts(Some(t.rate), t.baseline_rate)
    )
}

/// A deployment's verdicts in one line: the changes, then how many types did not move.
pub(crate) fn deployment_line(version: &str, vs: &[&Verdict], s: Style) -> String {
    let ticket = vs
        .iter()
        .find_map(|v| v.ticket_id.as_deref())
        .map_or(String::new(), |t| format!(" (ticket {t})"));
    let deployed = vs.first().map_or("", |v| v.deployed_on.as_str());
    let mut parts: Vec<String> = vs
        .iter()
        .filter(|v| v.verdict == "improved" || v.verdict == "regressed")
        .map(|v| {
            format!(
                "{} {} {} → {} ({}, 95% CI {} to {}, {})",
                v.friction_type,
                v.verdict,
                pct(v.before_rate),
                pct(v.after_rate),
                v.adj_change
                    .map_or("–".into(), |c| format!("{:+.1} pts", 100.0 * c)),
                v.ci_low
                    .map_or("–".into(), |c| format!("{:+.1}", 100.0 * c)),
                v.ci_high
                    .map_or("–".into(), |c| format!("{:+.1}", 100.0 * c)),
                q_text(v.q_value)
            )
        })
        .collect();
    let still = vs.iter().filter(|v| v.verdict == "no_change").count();
    let thin = vs
        .iter()
        .filter(|v| v.verdict == "insufficient_data")
        .count();
    if still > 0 {
        parts.push(format!("no change in {still} type{}", plural(still)));
    }
    if thin > 0 {
        parts.push(format!("too few sessions for {thin} type{}", plural(thin)));
    }
    format!(
        "{}{ticket}, deployed {deployed}: {}",
        s.bold(&s.text(version)),
        parts.join("; ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A kind of delight against its baseline.
pub(crate) fn delight_line(d: &Delight, s: Style) -> String {
    format!(
        "{}: {} of sessions ({}; baseline {})",
        s.bold(&d.delight_type),
        pct(d.share),
        pts(d.share, d.baseline_share),
        pct(d.baseline_share)
    )
}

/// A proposed facet.
pub(crate) fn proposal_line(p: &Proposal, s: Style) -> String {
    format!(
        "{}: {} sessions ({} of the window)",
        s.bold(&s.text(&p.name)),
        p.cluster_size,
        pct(Some(p.share))
    )
}

/// A title line: `agent-signals — DATE`.
pub(crate) fn title(d: &Digest) -> String {
    format!("agent-signals — {}", d.date)
}

/// The one-line summary (Slack's notification text).
pub(crate) fn summary(d: &Digest) -> String {
    let n = d.crossing().count();
    format!(
        "agent-signals {}: {} analysed sessions, {} with friction; {n} crossing pattern{}; {} final verdict{}",
        d.date,
        d.headline.analysed,
        pct(d.headline.friction_share),
        plural(n),
        d.deployments().len(),
        plural(d.deployments().len())
    )
}

/// The whole digest as Markdown: every line (Slack's message may leave some out).
pub fn digest_markdown(d: &Digest) -> String {
    let s = Style::Markdown;
    let mut out = format!(
        "# {}\n\nThe day against its baseline ({} to {}). Every number is a query over the lake (`sql/digest/`).\n\n",
        title(d),
        d.baseline_from,
        d.baseline_to
    );
    for (label, value) in headline_fields(d) {
        out.push_str(&format!("- {}: {value}\n", s.bold(&label)));
    }
    if d.headline.interventions > 0 {
        out.push_str(&format!(
            "- {}: {} (the live hook asked the agent to clarify)\n",
            s.bold("Live interventions"),
            d.headline.interventions
        ));
    }
    let section = |out: &mut String, head: &str, lines: Vec<String>, empty: &str| {
        out.push_str(&format!("\n## {head}\n\n"));
        if lines.is_empty() {
            out.push_str(&format!("{empty}\n"));
        }
        for l in lines {
            out.push_str(&format!("- {l}\n"));
        }
    };
    let crossing: Vec<String> = d.tickets.iter().map(|t| ticket_line(t, s)).collect();
    section(
        &mut out,
        &format!("Crossing patterns ({})", d.crossing().count()),
        crossing,
        "No pattern crossed the threshold.",
    );
    section(
        &mut out,
        "Friction by type",
        d.types.iter().map(|t| type_line(t, s)).collect(),
        "No analysed sessions.",
    );
    let deployments = d.deployments();
    if !deployments.is_empty() {
        section(
            &mut out,
            "Deployment verdicts",
            deployments
                .iter()
                .map(|(v, vs)| deployment_line(v, vs, s))
                .collect(),
            "",
        );
    }
    section(
        &mut out,
        "Delight",
        d.delight.iter().map(|x| delight_line(x, s)).collect(),
        "No delight found.",
    );
    if !d.proposals.is_empty() {
        section(
            &mut out,
            "Proposed facets",
            d.proposals.iter().map(|p| proposal_line(p, s)).collect(),
            "",
        );
        out.push_str("\nDecide with `signals facets list|accept|reject`.\n");
    }
    out
}

/// One alert as Markdown.
pub fn alert_markdown(date: &str, t: &TicketLine, alert_rate: f64) -> String {
    format!(
        "# agent-signals alert — {date}\n\n{}\n\nIts rate reached the alert threshold ({}).\n",
        ticket_line(t, Style::Markdown),
        pct(Some(alert_rate))
    )
}
