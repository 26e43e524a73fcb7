//! The settled state as tables: the pass's rows (`frictions`, `session_facets`,
//! `delights`), `judge_usage`, `judge_failures` and, in a cascade,
//! `judge_agreement`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use chrono::NaiveDate;
use serde_json::Value;
use signals_judge::delight::{Delight, DelightType};
use signals_judge::rows::{DelightRows, FacetRows, FrictionRows};
use signals_judge::{Facet, FrictionType, Moment, Severity};
use signals_lake::{Lake, schema};

use super::counts;
use super::state::{Req, State, Usage};
use crate::Result;
use crate::cascade::Screened;
use crate::config::{LlmConfig, Mode};
use crate::request::{LlmPass, PROMPT_VERSION};

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_tables(
    lake: &Lake,
    date: NaiveDate,
    pass: LlmPass,
    state: &State,
    chosen: &BTreeSet<String>,
    screened: Option<&Screened>,
    cfg: &LlmConfig,
) -> Result<u64> {
    let judge = format!("openai:{}", state.model);
    // Delights come from the friction request: its version.
    let version = format!("{}.{PROMPT_VERSION}", pass.request().id());
    // (session, row, judged by the LLM)
    let mut moments: Vec<(String, Moment, bool)> = Vec::new();
    let mut facets: Vec<(String, Facet, bool)> = Vec::new();
    let mut delights: Vec<(String, Delight, bool)> = Vec::new();
    // What the LLM found per session it judged (friction), for the agreement.
    let mut found: BTreeMap<String, BTreeSet<FrictionType>> = BTreeMap::new();
    for (k, r) in &state.requests {
        let Some((p, session)) = k.split_once(':') else {
            continue;
        };
        if p != pass.request().id() || r.status != "done" || !counts(k, chosen, cfg) {
            continue;
        }
        let Some(v) = &r.result else { continue };
        let sev = |x: &Value| match x.as_str() {
            Some("high") => Severity::High,
            Some("medium") => Severity::Medium,
            _ => Severity::Low,
        };
        match pass {
            LlmPass::Delight => {
                found.insert(session.to_string(), BTreeSet::new());
                for d in v["delights"].as_array().into_iter().flatten() {
                    let Some(t) = d["t"].as_str().and_then(DelightType::from_id) else {
                        continue;
                    };
                    delights.push((
                        session.to_string(),
                        Delight {
                            delight_type: t,
                            strength: sev(&d["s"]),
                            first_seq: d["a"].as_i64().unwrap_or(0),
                            last_seq: d["b"].as_i64().unwrap_or(0),
                            citation: d["c"].as_str().unwrap_or("").into(),
                            confidence: d["p"].as_f64().unwrap_or(0.0),
                        },
                        true,
                    ));
                }
            }
            LlmPass::Friction => {
                let types = found.entry(session.to_string()).or_default();
                for m in v["moments"].as_array().into_iter().flatten() {
                    let Some(t) = m["t"].as_str().and_then(FrictionType::from_id) else {
                        continue;
                    };
                    let sev = sev(&m["s"]);
                    types.insert(t);
                    moments.push((
                        session.to_string(),
                        Moment::new(
                            t,
                            sev,
                            m["a"].as_i64().unwrap_or(0),
                            m["b"].as_i64().unwrap_or(0),
                            m["c"].as_str().unwrap_or("").into(),
                            m["p"].as_f64().unwrap_or(0.0),
                        ),
                        true,
                    ));
                }
            }
            LlmPass::Facets => {
                let mut got: Vec<Facet> = v["facets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let s = |i: usize| f[i].as_str().unwrap_or("").to_string();
                        Facet::new(&s(0), &s(1), &s(2))
                    })
                    .collect();
                got.push(Facet::new(
                    "summary",
                    v["summary"].as_str().unwrap_or(""),
                    "llm",
                ));
                found.insert(session.to_string(), BTreeSet::new());
                // A model may name a value twice.
                for f in signals_judge::unique_facets(got) {
                    facets.push((session.to_string(), f, true));
                }
            }
        }
    }
    // The cascade: the screen's labels stand for every session the LLM did not
    // judge (not chosen, or failed: those are in judge_failures too).
    if let Some(sc) = screened {
        match pass {
            LlmPass::Friction => {
                for (id, ms) in &sc.moments {
                    if !found.contains_key(id) {
                        moments.extend(ms.iter().map(|m| (id.clone(), m.clone(), false)));
                    }
                }
            }
            LlmPass::Facets => {
                for (id, fs) in &sc.facets {
                    if !found.contains_key(id) {
                        for f in signals_judge::unique_facets(fs.iter().cloned()) {
                            facets.push((id.clone(), f, false));
                        }
                    }
                }
            }
            LlmPass::Delight => {
                for (id, ds) in &sc.delights {
                    if !found.contains_key(id) {
                        delights.extend(ds.iter().map(|d| (id.clone(), d.clone(), false)));
                    }
                }
            }
        }
    }
    let strs = |v: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let who = |llm: bool| -> (&str, &str) {
        match screened {
            Some(sc) if !llm => (&sc.name, &sc.version),
            _ => (&judge, &version),
        }
    };
    let rows = match pass {
        LlmPass::Friction => {
            let mut rows = FrictionRows::default();
            for (session, m, llm) in &moments {
                let (j, v) = who(*llm);
                rows.push(session, m, j, v);
            }
            let n = lake
                .write_partition_batches(&schema::frictions(), date, vec![rows.finish()?])
                .await?;
            if let Some(sc) = screened {
                let agreement = crate::cascade::agreement_batch(sc, &found, &judge)?;
                lake.write_partition_batches(&schema::judge_agreement(), date, vec![agreement])
                    .await?;
            }
            n
        }
        LlmPass::Facets => {
            let mut rows = FacetRows::default();
            for (session, f, llm) in &facets {
                let (j, v) = who(*llm);
                rows.push(session, f, j, v);
            }
            lake.write_partition_batches(&schema::session_facets(), date, vec![rows.finish()?])
                .await?
        }
        LlmPass::Delight => {
            let mut rows = DelightRows::default();
            for (session, d, llm) in &delights {
                let (j, v) = who(*llm);
                rows.push(session, d, j, v);
            }
            lake.write_partition_batches(&schema::delights(), date, vec![rows.finish()?])
                .await?
        }
    };
    // Usage and failures cover both passes; each pass writes the same rows.
    // One row per request attempt, and one per failed request.
    struct UsageRow<'a> {
        session: &'a str,
        pass: &'a str,
        u: &'a Usage,
    }
    let mode = match state.mode {
        Some(Mode::Sync) => "sync",
        _ => "batch",
    };
    let mut rows_u: Vec<UsageRow> = Vec::new();
    let mut rows_f: Vec<(&str, &str, &Req)> = Vec::new();
    for (k, r) in &state.requests {
        let Some((p, session)) = k.split_once(':') else {
            continue;
        };
        rows_u.extend(r.usage.iter().map(|u| UsageRow {
            session,
            pass: p,
            u,
        }));
        if r.status == "failed" && counts(k, chosen, cfg) {
            rows_f.push((session, p, r));
        }
    }
    let n = rows_u.len();
    let full = |s: &str| state.full_tokens.get(s).copied().unwrap_or(0);
    let usage = RecordBatch::try_new(
        schema::judge_usage().file_schema(),
        vec![
            strs(rows_u.iter().map(|r| r.session.to_string()).collect()),
            strs(rows_u.iter().map(|r| r.pass.to_string()).collect()),
            Arc::new(Int64Array::from(
                rows_u
                    .iter()
                    .map(|r| i64::from(r.u.attempt))
                    .collect::<Vec<_>>(),
            )),
            strs(vec![state.model.clone(); n]),
            strs(vec![PROMPT_VERSION.to_string(); n]),
            strs(vec![mode.to_string(); n]),
            strs(rows_u.iter().map(|r| r.u.status.clone()).collect()),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.input_tokens).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.output_tokens).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| full(r.session)).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                rows_u
                    .iter()
                    .map(|r| {
                        (r.u.input_tokens as f64 * cfg.input_usd_per_mtok
                            + r.u.output_tokens as f64 * cfg.output_usd_per_mtok)
                            / 1e6
                    })
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.rewritten).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u
                    .iter()
                    .map(|r| r.u.reasoning_tokens)
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows_u.iter().map(|r| r.u.budget).collect::<Vec<_>>(),
            )),
        ],
    )?;
    lake.write_partition_batches(&schema::judge_usage(), date, vec![usage])
        .await?;
    let failures = RecordBatch::try_new(
        schema::judge_failures().file_schema(),
        vec![
            strs(rows_f.iter().map(|f| f.0.to_string()).collect()),
            strs(rows_f.iter().map(|f| f.1.to_string()).collect()),
            Arc::new(Int64Array::from(
                rows_f
                    .iter()
                    .map(|f| i64::from(f.2.attempt))
                    .collect::<Vec<_>>(),
            )),
            strs(
                rows_f
                    .iter()
                    .map(|f| f.2.reason.clone().unwrap_or_default())
                    .collect(),
            ),
            strs(
                rows_f
                    .iter()
                    .map(|f| f.2.detail.clone().unwrap_or_default())
                    .collect(),
            ),
        ],
    )?;
    lake.write_partition_batches(&schema::judge_failures(), date, vec![failures])
        .await?;
    Ok(rows)
}
