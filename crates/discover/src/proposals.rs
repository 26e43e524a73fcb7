//! The `facet_proposals` table: proposals written as a batch, read back as
//! their latest row per name, and decided on.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use chrono::NaiveDate;
use signals_lake::{Lake, schema, string_column};

use crate::ledger::{self, Decision};
use crate::{Error, Proposal, RESERVED, Result};

pub(crate) fn proposals_batch(
    ps: &[Proposal],
    embedder: &str,
    window: usize,
    start: NaiveDate,
) -> Result<RecordBatch> {
    let mut name = StringBuilder::new();
    let mut desc = StringBuilder::new();
    let mut terms = ListBuilder::new(StringBuilder::new());
    let mut values = ListBuilder::new(StringBuilder::new());
    let mut value_terms = ListBuilder::new(StringBuilder::new());
    let mut size = Int64Builder::new();
    let mut clustered = Int64Builder::new();
    let mut win = Int64Builder::new();
    let mut share = Float64Builder::new();
    let mut closest = StringBuilder::new();
    let mut prec = Float64Builder::new();
    let mut rec = Float64Builder::new();
    let mut ex = ListBuilder::new(StringBuilder::new());
    let mut ex_s = ListBuilder::new(StringBuilder::new());
    let mut emb = StringBuilder::new();
    let mut namer = StringBuilder::new();
    let mut ws = StringBuilder::new();
    let list = |b: &mut ListBuilder<StringBuilder>, xs: &mut dyn Iterator<Item = &String>| {
        for x in xs {
            b.values().append_value(x);
        }
        b.append(true);
    };
    for p in ps {
        name.append_value(&p.name);
        desc.append_value(&p.description);
        list(&mut terms, &mut p.terms.iter());
        list(&mut values, &mut p.values.iter().map(|v| &v.0));
        list(&mut value_terms, &mut p.values.iter().map(|v| &v.1));
        size.append_value(p.size as i64);
        clustered.append_value(p.clustered as i64);
        win.append_value(window as i64);
        share.append_value(p.size as f64 / window.max(1) as f64);
        closest.append_option(p.closest.as_ref().map(|c| c.0.clone()));
        prec.append_option(p.closest.as_ref().map(|c| c.1));
        rec.append_option(p.closest.as_ref().map(|c| c.2));
        list(&mut ex, &mut p.examples.iter().map(|e| &e.0));
        list(&mut ex_s, &mut p.examples.iter().map(|e| &e.1));
        emb.append_value(embedder);
        namer.append_value(&p.namer);
        ws.append_value(start.to_string());
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(name.finish()),
        Arc::new(desc.finish()),
        Arc::new(terms.finish()),
        Arc::new(values.finish()),
        Arc::new(value_terms.finish()),
        Arc::new(size.finish()),
        Arc::new(clustered.finish()),
        Arc::new(win.finish()),
        Arc::new(share.finish()),
        Arc::new(closest.finish()),
        Arc::new(prec.finish()),
        Arc::new(rec.finish()),
        Arc::new(ex.finish()),
        Arc::new(ex_s.finish()),
        Arc::new(emb.finish()),
        Arc::new(namer.finish()),
        Arc::new(ws.finish()),
    ];
    Ok(RecordBatch::try_new(
        schema::facet_proposals().file_schema(),
        cols,
    )?)
}

/// A proposal as stored: the latest `facet_proposals` row of its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Discovery date of the row.
    pub date: String,
    /// Facet name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Theme phrases.
    pub terms: Vec<String>,
    /// Candidate values with their phrases.
    pub values: Vec<(String, String)>,
    /// Sessions with the theme, and the window's.
    pub size: i64,
    /// Share of the window.
    pub share: f64,
    /// Closest existing label.
    pub closest: Option<String>,
    /// Example summaries.
    pub examples: Vec<String>,
    /// Who named it.
    pub namer: String,
    /// Dates it was proposed on.
    pub proposed_on: Vec<String>,
}

fn list_column(b: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>> {
    use arrow::array::{Array, AsArray};
    let col = b
        .column_by_name(name)
        .ok_or_else(|| Error::Usage(format!("facet_proposals has no column {name:?}")))?;
    let list = col.as_list::<i32>();
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(Vec::new());
            continue;
        }
        let v = arrow::compute::cast(&list.value(i), &arrow::datatypes::DataType::Utf8)?;
        let s = v.as_string::<i32>();
        out.push(
            (0..s.len())
                .filter(|j| s.is_valid(*j))
                .map(|j| s.value(j).to_string())
                .collect(),
        );
    }
    Ok(out)
}

/// Every proposal in the lake, latest row per name, largest first.
pub async fn proposals(lake: &Lake) -> Result<Vec<Stored>> {
    let ctx = lake.session_context().await?;
    let df = ctx
        .sql(
            "SELECT date, name, description, terms, candidate_values, value_terms, cluster_size,
                    share, closest_facet, example_summaries, namer
             FROM facet_proposals ORDER BY date DESC, cluster_size DESC, name",
        )
        .await?;
    let batches = df.collect().await?;
    let mut out: Vec<Stored> = Vec::new();
    for b in &batches {
        let s = |c: &str| string_column(b, c);
        let (date, name, desc, closest, namer) = (
            s("date")?,
            s("name")?,
            s("description")?,
            s("closest_facet")?,
            s("namer")?,
        );
        let size = s("cluster_size")?;
        let share = s("share")?;
        let terms = list_column(b, "terms")?;
        let values = list_column(b, "candidate_values")?;
        let value_terms = list_column(b, "value_terms")?;
        let examples = list_column(b, "example_summaries")?;
        for i in 0..b.num_rows() {
            let n = name[i].clone().unwrap_or_default();
            let d = date[i].clone().unwrap_or_default();
            if let Some(prev) = out.iter_mut().find(|p| p.name == n) {
                prev.proposed_on.push(d);
                continue;
            }
            out.push(Stored {
                date: d.clone(),
                name: n,
                description: desc[i].clone().unwrap_or_default(),
                terms: terms[i].clone(),
                values: values[i]
                    .iter()
                    .cloned()
                    .zip(value_terms[i].iter().cloned())
                    .collect(),
                size: size[i].as_deref().and_then(|x| x.parse().ok()).unwrap_or(0),
                share: share[i]
                    .as_deref()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0.0),
                closest: closest[i].clone(),
                examples: examples[i].clone(),
                namer: namer[i].clone().unwrap_or_default(),
                proposed_on: vec![d],
            });
        }
    }
    for p in &mut out {
        p.proposed_on.sort();
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Accept (`accept = true`) or reject the proposal `name`, recording who and why.
/// `values` keeps only those candidate values (all when `None`).
pub async fn decide(
    lake: &Lake,
    name: &str,
    accept: bool,
    values: Option<&[String]>,
    by: &str,
    reason: Option<String>,
) -> Result<Decision> {
    let all = proposals(lake).await?;
    let Some(p) = all.iter().find(|p| p.name == name) else {
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "no proposal {name:?}; proposals: {}",
            if names.is_empty() {
                "none yet (the facet_discovery stage of `signals run daily` writes them)"
                    .to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    if accept && RESERVED.contains(&name) {
        return Err(Error::Usage(format!(
            "{name} is a core facet's name; a discovered facet needs its own"
        )));
    }
    let mut kept = p.values.clone();
    if let Some(want) = values {
        for w in want {
            if !p.values.iter().any(|(v, _)| v == w) {
                return Err(Error::Usage(format!(
                    "{name} has no candidate value {w:?}; its values: {}",
                    p.values
                        .iter()
                        .map(|v| v.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        kept.retain(|(v, _)| want.contains(v));
    }
    let d = Decision {
        status: if accept { "accepted" } else { "rejected" }.into(),
        decided_by: by.into(),
        decided_at: chrono::Utc::now(),
        reason,
        proposed_on: p.date.clone(),
        definition: signals_judge::FacetDef {
            name: p.name.clone(),
            description: p.description.clone(),
            terms: p.terms.clone(),
            values: kept
                .into_iter()
                .map(|(value, term)| signals_judge::ValueDef {
                    value,
                    terms: vec![term],
                })
                .collect(),
        },
    };
    ledger::record(lake, &d).await?;
    Ok(d)
}
