//! `signals eval`: score the judge output in the lake against a label file.
//!
//! Scores are at session level: a session "has" a type when the judge wrote at least
//! one moment of that type for it. Only labelled sessions the judge analysed (those
//! with rows in `session_facets`) are scored; the others are counted and reported.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use signals_lake::Lake;

use crate::{Error, FrictionType, Result};

/// One line of a label file (spec format).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Label {
    /// Session id.
    pub session_id: String,
    /// Friction types the session has (empty: negative for every type).
    pub frictions: Vec<String>,
    /// `completed` or `abandoned`, when labelled.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Languages, when labelled.
    #[serde(default)]
    pub languages: Option<Vec<String>>,
}

/// A label file as read: the good labels, and what was wrong with the other lines.
#[derive(Debug, Default)]
pub struct LabelFile {
    /// Labels of the well-formed lines.
    pub labels: Vec<Label>,
    /// One error per bad line (naming file and line); those lines are not scored.
    pub bad_lines: Vec<Error>,
}

/// Read a label file. A bad line is reported (file, line, what to fix) and skipped;
/// the good lines beside it are kept. A file that cannot be read, or has no good
/// line at all, is an error.
pub fn read_labels(path: &Path) -> Result<LabelFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Labels {
        file: path.display().to_string(),
        line: 0,
        reason: e.to_string(),
    })?;
    let mut out = LabelFile::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| Error::Labels {
            file: path.display().to_string(),
            line: i + 1,
            reason,
        };
        let label: Label = match serde_json::from_str(line) {
            Ok(l) => l,
            Err(e) => {
                out.bad_lines.push(bad(format!(
                    "not a label object ({e}); expected {{\"session_id\":..., \"frictions\":[...]}}"
                )));
                continue;
            }
        };
        if let Some(f) = label
            .frictions
            .iter()
            .find(|f| FrictionType::from_id(f).is_none())
        {
            out.bad_lines.push(bad(format!(
                "unknown friction type {f:?}; use one of {}",
                FrictionType::ALL.map(|t| t.id()).join(", ")
            )));
            continue;
        }
        out.labels.push(label);
    }
    if out.labels.is_empty() {
        return Err(Error::Labels {
            file: path.display().to_string(),
            line: 0,
            reason: match out.bad_lines.first() {
                Some(e) => format!("no valid label line (first problem: {e})"),
                None => "the file has no labels".into(),
            },
        });
    }
    Ok(out)
}

/// Scores of one friction type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeScore {
    /// Type id.
    pub friction_type: String,
    /// TP / (TP + FP); `None` when nothing was predicted.
    pub precision: Option<f64>,
    /// TP / (TP + FN); `None` when no session has the type.
    pub recall: Option<f64>,
    /// Harmonic mean; `None` when both are undefined.
    pub f1: Option<f64>,
    /// Labelled sessions with the type.
    pub support: usize,
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
    /// False positives, most confident first (ids only).
    pub false_positives: Vec<String>,
    /// False negatives (ids only).
    pub false_negatives: Vec<String>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Sessions in the label file.
    pub labelled: usize,
    /// Labelled sessions the judge analysed (scored).
    pub scored: usize,
    /// Labelled sessions not analysed (ids of up to 10).
    pub not_analysed: Vec<String>,
    /// Per type.
    pub types: Vec<TypeScore>,
    /// Mean F1 over types with a defined F1.
    pub macro_f1: f64,
    /// Outcome accuracy over scored sessions labelled with an outcome.
    pub outcome_accuracy: Option<f64>,
    /// Sessions the outcome accuracy is over.
    pub outcome_n: usize,
    /// Micro F1 of (session, language) pairs.
    pub language_f1: Option<f64>,
    /// Sessions the language F1 is over.
    pub language_n: usize,
}

async fn pairs(ctx: &SessionContext, sql: &str) -> Result<Vec<(String, String, f64)>> {
    let mut out = Vec::new();
    for b in ctx.sql(sql).await?.collect().await? {
        let a = arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let c = arrow::compute::cast(b.column(1), &DataType::Utf8)?;
        let w = arrow::compute::cast(b.column(2), &DataType::Float64)?;
        let (a, c, w) = (
            a.as_string::<i32>(),
            c.as_string::<i32>(),
            w.as_primitive::<arrow::datatypes::Float64Type>(),
        );
        for i in 0..b.num_rows() {
            if a.is_valid(i) && c.is_valid(i) {
                out.push((a.value(i).to_string(), c.value(i).to_string(), w.value(i)));
            }
        }
    }
    Ok(out)
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn f1(p: Option<f64>, r: Option<f64>) -> Option<f64> {
    match (p, r) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        (Some(_), None) | (None, Some(_)) => Some(0.0),
        (None, None) => None,
    }
}

/// Score the lake's judge output (of `judge`, or of every judge) against `labels`.
pub async fn evaluate(lake: &Lake, labels: &[Label], judge: Option<&str>) -> Result<EvalReport> {
    let ctx = lake.session_context().await?;
    let filter = judge
        .map(|j| format!("WHERE judge = {}", signals_lake::sql_literal(j)))
        .unwrap_or_default();
    let and = if filter.is_empty() { "WHERE" } else { "AND" };
    let analysed: BTreeSet<String> = pairs(
        &ctx,
        &format!("SELECT DISTINCT session_id, 'x', 0.0 FROM session_facets {filter}"),
    )
    .await?
    .into_iter()
    .map(|p| p.0)
    .collect();
    let predicted = pairs(&ctx, &format!("SELECT session_id, friction_type, max(confidence) FROM frictions {filter} GROUP BY 1, 2")).await?;
    let outcome: HashMap<String, String> = pairs(
        &ctx,
        &format!(
            "SELECT session_id, value, 0.0 FROM session_facets {filter} {and} facet = 'outcome'"
        ),
    )
    .await?
    .into_iter()
    .map(|p| (p.0, p.1))
    .collect();
    let mut langs: HashMap<String, BTreeSet<String>> = HashMap::new();
    for p in pairs(
        &ctx,
        &format!(
            "SELECT session_id, value, 0.0 FROM session_facets {filter} {and} facet = 'language'"
        ),
    )
    .await?
    {
        langs.entry(p.0).or_default().insert(p.1);
    }
    let mut pred: HashMap<(String, String), f64> = HashMap::new();
    for (s, t, c) in predicted {
        pred.insert((s, t), c);
    }

    let scored: Vec<&Label> = labels
        .iter()
        .filter(|l| analysed.contains(&l.session_id))
        .collect();
    let not_analysed: Vec<String> = labels
        .iter()
        .filter(|l| !analysed.contains(&l.session_id))
        .take(10)
        .map(|l| l.session_id.clone())
        .collect();
    let mut types = Vec::new();
    for t in FrictionType::ALL {
        let id = t.id();
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        let mut fps: Vec<(f64, String)> = Vec::new();
        let mut fns: Vec<String> = Vec::new();
        for l in &scored {
            let truth = l.frictions.iter().any(|f| f == id);
            let guess = pred.get(&(l.session_id.clone(), id.to_string()));
            match (truth, guess) {
                (true, Some(_)) => tp += 1,
                (false, Some(c)) => {
                    fp += 1;
                    fps.push((*c, l.session_id.clone()));
                }
                (true, None) => {
                    fn_ += 1;
                    fns.push(l.session_id.clone());
                }
                (false, None) => {}
            }
        }
        fps.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        fns.sort();
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        types.push(TypeScore {
            friction_type: id.into(),
            precision,
            recall,
            f1: f1(precision, recall),
            support: tp + fn_,
            tp,
            fp,
            fn_,
            false_positives: fps.into_iter().take(5).map(|x| x.1).collect(),
            false_negatives: fns.into_iter().take(5).collect(),
        });
    }
    let defined: Vec<f64> = types.iter().filter_map(|t| t.f1).collect();
    let macro_f1 = if defined.is_empty() {
        0.0
    } else {
        defined.iter().sum::<f64>() / defined.len() as f64
    };

    let with_outcome: Vec<&&Label> = scored.iter().filter(|l| l.outcome.is_some()).collect();
    let right = with_outcome
        .iter()
        .filter(|l| outcome.get(&l.session_id) == l.outcome.as_ref())
        .count();
    let (mut ltp, mut lfp, mut lfn, mut ln) = (0, 0, 0, 0);
    for l in &scored {
        let Some(truth) = &l.languages else { continue };
        ln += 1;
        let truth: BTreeSet<String> = truth.iter().map(|s| s.to_lowercase()).collect();
        let empty = BTreeSet::new();
        let guess = langs.get(&l.session_id).unwrap_or(&empty);
        ltp += truth.intersection(guess).count();
        lfp += guess.difference(&truth).count();
        lfn += truth.difference(guess).count();
    }
    Ok(EvalReport {
        labelled: labels.len(),
        scored: scored.len(),
        not_analysed,
        types,
        macro_f1,
        outcome_accuracy: ratio(right, with_outcome.len()),
        outcome_n: with_outcome.len(),
        language_f1: f1(ratio(ltp, ltp + lfp), ratio(ltp, ltp + lfn)).filter(|_| ln > 0),
        language_n: ln,
    })
}

/// The report as an aligned text table.
pub fn render(r: &EvalReport) -> String {
    let f = |x: Option<f64>| x.map_or("   n/a".to_string(), |v| format!("{v:>6.3}"));
    let mut s = format!(
        "scored {} of {} labelled sessions{}\n\n",
        r.scored,
        r.labelled,
        if r.labelled > r.scored {
            format!(
                " ({} not analysed by the judge, e.g. {})",
                r.labelled - r.scored,
                r.not_analysed.first().map_or("", String::as_str)
            )
        } else {
            String::new()
        }
    );
    s.push_str("friction_type        precision  recall      f1  support    tp    fp    fn\n");
    for t in &r.types {
        s.push_str(&format!(
            "{:<20}    {}  {}  {}  {:>7} {:>5} {:>5} {:>5}\n",
            t.friction_type,
            f(t.precision),
            f(t.recall),
            f(t.f1),
            t.support,
            t.tp,
            t.fp,
            t.fn_
        ));
    }
    s.push_str(&format!("\nmacro-F1          {:.3}\n", r.macro_f1));
    s.push_str(&format!(
        "outcome accuracy  {} (n={})\n",
        f(r.outcome_accuracy).trim(),
        r.outcome_n
    ));
    s.push_str(&format!(
        "language F1       {} (n={})\n",
        f(r.language_f1).trim(),
        r.language_n
    ));
    let mut worst: BTreeMap<&str, (&Vec<String>, &Vec<String>)> = BTreeMap::new();
    for t in &r.types {
        if !t.false_positives.is_empty() || !t.false_negatives.is_empty() {
            worst.insert(&t.friction_type, (&t.false_positives, &t.false_negatives));
        }
    }
    if !worst.is_empty() {
        s.push_str("\nworst sessions (inspect with signals sql):\n");
        for (t, (fp, fn_)) in worst {
            s.push_str(&format!(
                "  {t}: false positives [{}], missed [{}]\n",
                fp.join(", "),
                fn_.join(", ")
            ));
        }
    }
    s
}
