//! The daily report: one self-contained HTML page (no CDN, no network) with SVG
//! charts of the lake as of a date — friction rate per type over the last 30
//! days, the severity mix, the patterns above threshold, open tickets, and the
//! before/after verdicts of deployments.

use std::fmt::Write as _;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use chrono::{Duration, NaiveDate};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Deserialize;
use signals_lake::{Lake, query_rows};

/// Errors of the report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// A result could not be read.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Result alias of the report.
pub type Result<T, E = Error> = std::result::Result<T, E>;

const COLORS: [&str; 7] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
];

/// Rows of an analysis query as text to show (NULL as empty), by column: the
/// findings' tables, whose columns are whatever the `sql/analyses/` file selects.
async fn display_rows(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<String>>> {
    let batches: Vec<RecordBatch> = ctx.sql(sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in batches {
        let cols: Vec<StringArray> = b
            .columns()
            .iter()
            .map(|c| {
                cast(c, &DataType::Utf8).map(|a| {
                    a.as_any()
                        .downcast_ref::<StringArray>()
                        .expect("utf8")
                        .clone()
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..b.num_rows() {
            out.push(
                cols.iter()
                    .map(|c| {
                        if c.is_valid(r) {
                            c.value(r).to_string()
                        } else {
                            String::new()
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(out)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// The rows the report reads, typed (one struct per query).
#[derive(Deserialize)]
struct Daily {
    date: String,
    friction_type: String,
    rate: f64,
}

#[derive(Deserialize)]
struct Mix {
    friction_type: String,
    high: Option<i64>,
    medium: Option<i64>,
    low: Option<i64>,
}

#[derive(Deserialize)]
struct Pattern {
    friction_type: String,
    slice_kind: String,
    slice_value: String,
    affected: i64,
    sessions: i64,
    rate: f64,
    baseline_rate: Option<f64>,
    p_value: Option<f64>,
    q_value: Option<f64>,
}

#[derive(Deserialize)]
struct OpenTicket {
    ticket_id: String,
    friction_type: String,
    slice: String,
    rate: f64,
    first_seen: String,
    last_seen: String,
    trend: String,
    link: String,
}

#[derive(Deserialize)]
struct Measured {
    version: String,
    deployed_on: String,
    friction_type: String,
    before_rate: Option<f64>,
    after_rate: Option<f64>,
    adj_change: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    q_value: Option<f64>,
    verdict: String,
}

#[derive(Deserialize)]
struct DelightShare {
    delight_type: String,
    sessions: i64,
    share: Option<f64>,
}

#[derive(Deserialize)]
struct Satisfaction {
    value: String,
    sessions: i64,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn table(head: &[&str], body: &[Vec<String>]) -> String {
    let mut t = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(t, "<th>{}</th>", esc(h));
    }
    t.push_str("</tr></thead><tbody>");
    for r in body {
        t.push_str("<tr>");
        for c in r {
            let _ = write!(t, "<td>{}</td>", esc(c));
        }
        t.push_str("</tr>");
    }
    t.push_str("</tbody></table>");
    t
}

/// The seed's three findings: title, method in a sentence, the analysis file.
const FINDINGS: [(&str, &str, &str); 3] = [
    (
        "Context churn is a leading indicator of frustration",
        "Sessions with context churn vs without: the chance of tone escalation after the churn, the relative risk with a 95% interval (Katz), and the median minutes from churn to frustration (sql/analyses/churn_leads_to_frustration.sql).",
        include_str!("../../../sql/analyses/churn_leads_to_frustration.sql"),
    ),
    (
        "Rephrasing cascades compound",
        "P(k+1 restatements | k) with Wilson 95% intervals (observed from k = 2, where the spec's cascade starts), then completion and satisfaction by cascade length (sql/analyses/cascades_compound.sql).",
        include_str!("../../../sql/analyses/cascades_compound.sql"),
    ),
    (
        "Recovery beats perfection",
        "Satisfaction of sessions that hit an error and recovered, that had none, and that did not recover, with 95% intervals (sql/analyses/recovery_beats_perfection.sql).",
        include_str!("../../../sql/analyses/recovery_beats_perfection.sql"),
    ),
];

/// Whether the live hook's interventions help (the report's section on them).
const INTERVENTIONS_SQL: &str = include_str!("../../../sql/analyses/interventions_help.sql");

/// The statements of an analysis file (each ends with `;` at a line end; a
/// statement is what is left after its comment lines).
fn statements(sql: &str) -> Vec<&str> {
    sql.split(";\n")
        .map(str::trim)
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .collect()
}

/// A query's column names and rows as strings.
async fn columns_and_rows(
    ctx: &SessionContext,
    sql: &str,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let df = ctx.sql(sql).await?;
    let head: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let body = display_rows(ctx, sql).await?;
    Ok((head, body))
}

/// Rates per type over the days: a line per type, a point per day.
fn line_chart(days: &[String], series: &[(String, Vec<f64>)]) -> String {
    let (w, h, l, b, t) = (760.0, 280.0, 50.0, 40.0, 10.0);
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(0.05);
    let x = |i: usize| {
        l + (w - l - 20.0)
            * if days.len() > 1 {
                i as f64 / (days.len() - 1) as f64
            } else {
                0.5
            }
    };
    let y = |v: f64| t + (h - t - b) * (1.0 - v / max);
    let mut s = format!(
        r#"<svg data-chart="rates" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="friction rate per type">"#
    );
    let _ = write!(
        s,
        r##"<line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="#999"/>"##,
        h - b,
        w - 20.0,
        h - b
    );
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="10" text-anchor="end">{:.0}%</text><line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="#eee"/>"##,
            l - 6.0,
            y(v) + 3.0,
            v * 100.0,
            y(v),
            w - 20.0,
            y(v)
        );
    }
    for (i, d) in days.iter().enumerate() {
        if days.len() <= 10 || i % (days.len() / 7).max(1) == 0 {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
                x(i),
                h - b + 16.0,
                esc(&d[5..])
            );
        }
    }
    for (j, (name, vals)) in series.iter().enumerate() {
        let c = COLORS[j % COLORS.len()];
        let pts: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(name)
        );
        for (i, v) in vals.iter().enumerate() {
            let _ = write!(
                s,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3" fill="{c}"><title>{} {}: {:.1}%</title></circle>"#,
                x(i),
                y(*v),
                esc(name),
                esc(&days[i]),
                v * 100.0
            );
        }
        // Legend: one row under the axis, 100 px per type.
        let lx = 10.0 + 104.0 * j as f64;
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="{}" width="9" height="9" fill="{c}"/><text x="{}" y="{}" font-size="9.5">{}</text>"#,
            h - 14.0,
            lx + 12.0,
            h - 6.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per label, stacked by part.
fn stacked_bars(chart: &str, parts: &[&str], rows: &[(String, Vec<f64>)]) -> String {
    let (w, bar, l) = (760.0, 22.0, 150.0);
    let h = 30.0 + rows.len() as f64 * (bar + 8.0);
    let max = rows
        .iter()
        .map(|(_, v)| v.iter().sum::<f64>())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut s = format!(
        r#"<svg data-chart="{chart}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">"#
    );
    for (j, p) in parts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{}" y="2" width="10" height="10" fill="{}"/><text x="{}" y="11" font-size="11">{}</text>"#,
            l + 90.0 * j as f64,
            COLORS[j],
            l + 14.0 + 90.0 * j as f64,
            esc(p)
        );
    }
    for (i, (label, vals)) in rows.iter().enumerate() {
        let y0 = 24.0 + i as f64 * (bar + 8.0);
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            l - 6.0,
            y0 + 15.0,
            esc(label)
        );
        let mut x0 = l;
        for (j, v) in vals.iter().enumerate() {
            let wd = (w - l - 20.0) * v / max;
            let _ = write!(
                s,
                r#"<rect class="point" x="{x0:.1}" y="{y0:.1}" width="{wd:.1}" height="{bar}" fill="{}"><title>{} {}: {v}</title></rect>"#,
                COLORS[j % COLORS.len()],
                esc(label),
                esc(parts[j])
            );
            x0 += wd;
        }
    }
    s.push_str("</svg>");
    s
}

/// The report of `date` as one HTML page.
pub async fn render(lake: &Lake, date: NaiveDate) -> Result<String> {
    let ctx = lake.session_context().await?;
    let to = date.to_string();
    let from = (date - Duration::days(29)).to_string();
    let span = || {
        vec![
            ("from".to_string(), ScalarValue::from(from.as_str())),
            ("to".to_string(), ScalarValue::from(to.as_str())),
        ]
    };
    let day = || vec![("to".to_string(), ScalarValue::from(to.as_str()))];
    let daily: Vec<Daily> = query_rows(&ctx, "SELECT date, friction_type, rate FROM friction_daily WHERE date BETWEEN $from AND $to ORDER BY date, friction_type", span()).await?;
    let mut days: Vec<String> = daily.iter().map(|r| r.date.clone()).collect();
    days.dedup();
    let mut types: Vec<String> = daily.iter().map(|r| r.friction_type.clone()).collect();
    types.sort();
    types.dedup();
    let series: Vec<(String, Vec<f64>)> = types
        .iter()
        .map(|t| {
            (
                t.clone(),
                days.iter()
                    .map(|d| {
                        daily
                            .iter()
                            .find(|r| &r.date == d && &r.friction_type == t)
                            .map_or(0.0, |r| r.rate)
                    })
                    .collect(),
            )
        })
        .collect();
    let mix: Vec<Mix> = query_rows(&ctx, "SELECT friction_type, sum(high) AS high, sum(medium) AS medium, sum(low) AS low FROM friction_daily WHERE date BETWEEN $from AND $to GROUP BY friction_type ORDER BY friction_type", span()).await?;
    let mix: Vec<(String, Vec<f64>)> = mix
        .into_iter()
        .map(|r| {
            let n = |x: Option<i64>| x.unwrap_or(0) as f64;
            (r.friction_type, vec![n(r.high), n(r.medium), n(r.low)])
        })
        .collect();
    let patterns: Vec<Pattern> = query_rows(&ctx, "SELECT friction_type, slice_kind, slice_value, affected, sessions, rate, baseline_rate, p_value, q_value FROM friction_patterns WHERE date = $to AND crosses_threshold ORDER BY rate DESC", day()).await?;
    let tickets: Vec<OpenTicket> = query_rows(&ctx, "SELECT ticket_id, friction_type, slice_kind || ' = ' || slice_value AS slice, rate, first_seen, last_seen, trend, coalesce(pull_request, external_ref, '') AS link FROM tickets WHERE date = (SELECT max(date) FROM tickets WHERE date <= $to) AND status = 'open' ORDER BY ticket_id", day()).await?;
    let ba: Vec<Measured> = query_rows(&ctx, "SELECT version, deployed_on, friction_type, before_rate, after_rate, adj_change, ci_low, ci_high, q_value, verdict FROM friction_before_after WHERE date = (SELECT max(date) FROM friction_before_after WHERE date <= $to) ORDER BY deployed_on DESC, version, friction_type", day()).await?;
    let delight: Vec<DelightShare> = query_rows(&ctx, "SELECT d.delight_type, count(DISTINCT d.session_id) AS sessions, CAST(count(DISTINCT d.session_id) AS DOUBLE) / (SELECT count(*) FROM analysed_sessions WHERE date BETWEEN $from AND $to) AS share FROM delights d WHERE d.date BETWEEN $from AND $to GROUP BY d.delight_type ORDER BY 2 DESC", span()).await?;
    let satisfaction: Vec<Satisfaction> = query_rows(&ctx, "SELECT value, count(*) AS sessions FROM session_facets WHERE facet = 'satisfaction' AND date BETWEEN $from AND $to GROUP BY value ORDER BY value", span()).await?;
    let logged: Vec<Count> =
        query_rows(&ctx, "SELECT count(*) AS n FROM interventions", vec![]).await?;
    let helped = if logged.first().is_some_and(|c| c.n > 0) {
        Some(columns_and_rows(&ctx, INTERVENTIONS_SQL).await?)
    } else {
        None
    };
    let mut findings = Vec::new();
    for (title, method, sql) in FINDINGS {
        let mut tables = Vec::new();
        for stmt in statements(sql) {
            tables.push(columns_and_rows(&ctx, stmt).await?);
        }
        findings.push((title, method, tables));
    }

    let mut html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>agent-signals report {to}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:900px;color:#222}}table{{border-collapse:collapse;margin:.5rem 0 1.5rem;display:block;overflow-x:auto;max-width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;font-size:.9rem}}h2{{margin-top:2rem}}.empty{{color:#777}}</style></head>
<body><h1>agent-signals — {to}</h1><p>Friction in the coding agent's sessions, {from} to {to}. Generated by <code>signals report</code> from the lake; every number is a query over its tables (<code>sql/README.md</code>).</p>"#
    );
    html.push_str("<h2>Friction rate per type, last 30 days</h2><p>Share of analysed sessions with at least one moment of the type (view <code>friction_daily</code>).</p>");
    if days.is_empty() {
        html.push_str(r#"<p class="empty">No analysed sessions in these 30 days.</p>"#);
    } else {
        html.push_str(&line_chart(&days, &series));
    }
    html.push_str("<h2>Severity mix</h2><p>Moments by severity over the same days.</p>");
    html.push_str(&stacked_bars("severity", &["high", "medium", "low"], &mix));
    html.push_str(&format!("<h2>Patterns above threshold on {to}</h2>"));
    if patterns.is_empty() {
        html.push_str(r#"<p class="empty">None crossed the threshold.</p>"#);
    } else {
        let body: Vec<Vec<String>> = patterns
            .iter()
            .map(|r| {
                vec![
                    r.friction_type.clone(),
                    format!("{} = {}", r.slice_kind, r.slice_value),
                    format!("{} of {}", r.affected, r.sessions),
                    pct(Some(r.rate)),
                    pct(r.baseline_rate),
                    format!("{:.4}", r.p_value.unwrap_or(0.0)),
                    format!("{:.4}", r.q_value.unwrap_or(0.0)),
                ]
            })
            .collect();
        html.push_str(&table(
            &[
                "friction", "slice", "affected", "rate", "baseline", "p", "q (BH)",
            ],
            &body,
        ));
    }
    html.push_str("<h2>Open tickets</h2>");
    if tickets.is_empty() {
        html.push_str(r#"<p class="empty">No open tickets.</p>"#);
    } else {
        let body: Vec<Vec<String>> = tickets
            .iter()
            .map(|r| {
                vec![
                    r.ticket_id.clone(),
                    r.friction_type.clone(),
                    r.slice.clone(),
                    pct(Some(r.rate)),
                    r.first_seen.clone(),
                    r.last_seen.clone(),
                    r.trend.clone(),
                    r.link.clone(),
                ]
            })
            .collect();
        html.push_str(&table(
            &[
                "ticket",
                "friction",
                "slice",
                "rate",
                "first seen",
                "last seen",
                "trend",
                "link",
            ],
            &body,
        ));
    }
    html.push_str("<h2>Before and after deployments</h2>");
    if ba.is_empty() {
        html.push_str(r#"<p class="empty">No deployments measured.</p>"#);
    } else {
        let latest = ba[0].version.clone();
        let bars: Vec<(String, Vec<f64>)> = ba
            .iter()
            .filter(|r| r.version == latest)
            .map(|r| {
                let n = |x: Option<f64>| x.unwrap_or(0.0) * 100.0;
                (
                    r.friction_type.clone(),
                    vec![n(r.before_rate), n(r.after_rate)],
                )
            })
            .collect();
        html.push_str(&format!(
            "<p>Deployment {} ({}): friction rate before and after, in % of sessions.</p>",
            esc(&latest),
            esc(&ba[0].deployed_on)
        ));
        html.push_str(&grouped_bars(&bars));
        let body: Vec<Vec<String>> = ba
            .iter()
            .map(|r| {
                let n = |x: Option<f64>| 100.0 * x.unwrap_or(0.0);
                vec![
                    r.version.clone(),
                    r.deployed_on.clone(),
                    r.friction_type.clone(),
                    pct(r.before_rate),
                    pct(r.after_rate),
                    match r.adj_change {
                        None => "–".into(),
                        Some(c) => format!(
                            "{:+.1} [{:+.1}, {:+.1}]",
                            100.0 * c,
                            n(r.ci_low),
                            n(r.ci_high)
                        ),
                    },
                    r.q_value.map_or("–".into(), |q| format!("{q:.4}")),
                    r.verdict.clone(),
                ]
            })
            .collect();
        html.push_str("<p>The change is stratified by language x intent (Mantel-Haenszel, in points, with a 95% interval); q is the Benjamini-Hochberg q-value over the deployment's seven types; the verdict comes once the after window is complete (<code>pending</code> until then). docs/pipelines.md explains each.</p>");
        html.push_str(&table(
            &[
                "deployment",
                "on",
                "friction",
                "before",
                "after",
                "change (points, 95% CI)",
                "q",
                "verdict",
            ],
            &body,
        ));
    }
    html.push_str("<h2>Delight</h2><p>Moments the sessions went well (table <code>delights</code>): share of analysed sessions with each kind, and the sessions' satisfaction (1-5: 2, +1 completed, -1 abandoned, +1 delight the user expressed, +1 more for praise or a confirmed success, -1 tone escalation).</p>");
    if delight.is_empty() {
        html.push_str(r#"<p class="empty">No delight in these 30 days.</p>"#);
    } else {
        let body: Vec<Vec<String>> = delight
            .iter()
            .map(|r| vec![r.delight_type.clone(), r.sessions.to_string(), pct(r.share)])
            .collect();
        html.push_str(&table(&["delight", "sessions", "share"], &body));
        let bars: Vec<(String, Vec<f64>)> = satisfaction
            .iter()
            .map(|r| (format!("satisfaction {}", r.value), vec![r.sessions as f64]))
            .collect();
        html.push_str(&stacked_bars("satisfaction", &["sessions"], &bars));
    }
    html.push_str("<h2>Live interventions</h2><p>Sessions with a rephrasing cascade or context churn, with and without the live hook asking the agent to clarify (<code>signals hook claude-code --log LAKE</code>, table <code>interventions</code>): the share completed with a 95% Wilson interval, and satisfaction (sql/analyses/interventions_help.sql). Observational: where the hook runs for some users only, the groups may differ in more than the hook; overlapping intervals are no difference.</p>");
    match &helped {
        None => html.push_str(r#"<p class="empty">No interventions logged yet: install the hook with <code>--log</code> (README, "Get told").</p>"#),
        Some((head, body)) => {
            let head: Vec<&str> = head.iter().map(String::as_str).collect();
            html.push_str(&table(&head, body));
        }
    }
    html.push_str("<h2>Three findings, on your sessions</h2><p>The seed's findings, computed over every analysed date by the files in <code>sql/analyses/</code> (run them with <code>signals sql -f</code>). Each states its method; read them as associations, not causes.</p>");
    for (title, method, tables) in &findings {
        let _ = write!(html, "<h3>{}</h3><p>{}</p>", esc(title), esc(method));
        for (head, body) in tables {
            if body.len() == 1 && head.len() > 5 {
                // One wide row reads better as a column of measures.
                let rows: Vec<Vec<String>> = head
                    .iter()
                    .zip(&body[0])
                    .map(|(h, v)| vec![h.clone(), v.clone()])
                    .collect();
                html.push_str(&table(&["measure", "value"], &rows));
            } else {
                let head: Vec<&str> = head.iter().map(String::as_str).collect();
                html.push_str(&table(&head, body));
            }
        }
    }
    // Marks the page as rendered with the points each chart drew (read by tests).
    html.push_str(r#"<script>for (const s of document.querySelectorAll('svg[data-chart]')) { s.dataset.points = s.querySelectorAll('.point').length; } document.body.dataset.ready = '1';</script></body></html>"#);
    Ok(html)
}

/// Bars in pairs (before, after) per label.
fn grouped_bars(rows: &[(String, Vec<f64>)]) -> String {
    let (w, h, b, l) = (760.0, 240.0, 60.0, 40.0);
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let slot = (w - l - 20.0) / rows.len().max(1) as f64;
    let mut s = format!(
        r#"<svg data-chart="before_after" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">"#
    );
    for (j, p) in ["before", "after"].iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" font-size="11">{p}</text>"#,
            l + 80.0 * j as f64,
            h - 22.0,
            COLORS[j],
            l + 14.0 + 80.0 * j as f64,
            h - 13.0
        );
    }
    for (i, (label, vals)) in rows.iter().enumerate() {
        for (j, v) in vals.iter().enumerate() {
            let bh = (h - b - 20.0) * v / max;
            let x = l + slot * i as f64 + 6.0 + j as f64 * (slot - 12.0) / 2.0;
            let _ = write!(
                s,
                r#"<rect class="point" x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{}"><title>{} {}: {v:.1}%</title></rect>"#,
                h - b - bh,
                (slot - 12.0) / 2.0,
                COLORS[j],
                esc(label),
                ["before", "after"][j.min(1)]
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
            l + slot * (i as f64 + 0.5),
            h - b + 14.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}
