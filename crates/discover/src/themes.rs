//! Themes in clustered summaries: clustering, a cluster's theme and evidence,
//! the existing facet closest to it, its candidate values.

use std::collections::{BTreeMap, BTreeSet};

use hdbscan::{DistanceMetric, Hdbscan, HdbscanHyperParams, NnAlgorithm};

use crate::{Doc, Error, Result};

pub(crate) fn normalized(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter().map(|x| x / n).collect()
    } else {
        v.to_vec()
    }
}

/// HDBSCAN over cosine distances (unit vectors; identical vectors are set a
/// hair apart, as the algorithm's density needs non-zero distances).
pub(crate) fn cluster(vectors: &[Vec<f32>], min_cluster_size: usize) -> Result<Vec<i32>> {
    let n = vectors.len();
    let mut d = vec![vec![0f32; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let dot: f32 = vectors[i].iter().zip(&vectors[j]).map(|(a, b)| a * b).sum();
            let x = (1.0 - dot).max(1e-4);
            d[i][j] = x;
            d[j][i] = x;
        }
    }
    let hp = HdbscanHyperParams::builder()
        .min_cluster_size(min_cluster_size.max(2))
        .min_samples(min_cluster_size.clamp(1, 5))
        .dist_metric(DistanceMetric::Precalculated)
        .nn_algorithm(NnAlgorithm::BruteForce)
        .allow_single_cluster(true)
        .build();
    Hdbscan::new(&d, hp)
        .cluster()
        .map_err(|e| Error::Cluster(e.to_string()))
}

/// Presence of `term` among `set` and among the rest.
pub(crate) fn presence(docs: &[Doc], set: &BTreeSet<usize>, term: &str) -> (f64, f64) {
    let inside = set
        .iter()
        .filter(|i| docs[**i].terms.contains(term))
        .count();
    let total = docs.iter().filter(|d| d.terms.contains(term)).count();
    let rest = docs.len() - set.len();
    (
        inside as f64 / set.len().max(1) as f64,
        if rest == 0 {
            0.0
        } else {
            (total - inside) as f64 / rest as f64
        },
    )
}

/// The cluster's theme: among phrases in at least 60% of its sessions and at
/// most a third as common elsewhere, the most common (a two-word phrase over
/// its words when as common).
pub(crate) fn theme_of(docs: &[Doc], members: &[usize]) -> Option<String> {
    let set: BTreeSet<usize> = members.iter().copied().collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    for i in members {
        seen.extend(&docs[*i].terms);
    }
    seen.into_iter()
        .filter_map(|t| {
            let (pin, pout) = presence(docs, &set, t);
            (pin >= 0.6 && pout <= pin / 3.0).then_some((pin, t.split(' ').count(), t))
        })
        .max_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
                .then(b.2.cmp(a.2))
        })
        .map(|(_, _, t)| t.clone())
}

/// The existing label closest to the theme's sessions (best F1): label,
/// precision, recall.
pub(crate) fn closest_label(docs: &[Doc], members: &BTreeSet<usize>) -> Option<(String, f64, f64)> {
    let mut all: BTreeMap<&str, usize> = BTreeMap::new();
    let mut inside: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        for l in &d.labels {
            *all.entry(l).or_default() += 1;
            if members.contains(&i) {
                *inside.entry(l).or_default() += 1;
            }
        }
    }
    inside
        .iter()
        .map(|(l, k)| {
            let prec = *k as f64 / members.len() as f64;
            let rec = *k as f64 / all[l] as f64;
            let f1 = 2.0 * prec * rec / (prec + rec);
            (f1, l.to_string(), prec, rec)
        })
        .max_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.1.cmp(&a.1))
        })
        .map(|(_, l, p, r)| (l, p, r))
}

/// Phrases that vary inside the theme: in 10-90% of its sessions and at least
/// three times as common there as elsewhere; a word is dropped when a phrase
/// with it covers it. At most 8, most common first.
pub(crate) fn candidate_values(
    docs: &[Doc],
    members: &BTreeSet<usize>,
    theme: &str,
) -> Vec<String> {
    let theme_words: BTreeSet<&str> = theme.split(' ').collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    for i in members {
        seen.extend(&docs[*i].terms);
    }
    let mut cands: Vec<(f64, String)> = seen
        .into_iter()
        .filter(|t| !t.split(' ').any(|w| theme_words.contains(w)))
        .filter_map(|t| {
            let (pin, pout) = presence(docs, members, t);
            ((0.1..=0.9).contains(&pin) && (pout == 0.0 || pin / pout >= 3.0))
                .then(|| (pin, t.clone()))
        })
        .collect();
    let phrases: Vec<(f64, String)> = cands
        .iter()
        .filter(|(_, t)| t.contains(' '))
        .cloned()
        .collect();
    cands.retain(|(pin, t)| {
        t.contains(' ')
            || !phrases
                .iter()
                .any(|(pp, p)| p.split(' ').any(|w| w == t) && *pp >= 0.9 * pin)
    });
    cands.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    cands.into_iter().take(8).map(|(_, t)| t).collect()
}

pub(crate) fn evidence(size: usize, total: usize, closest: &Option<(String, f64, f64)>) -> String {
    let mut s = format!(
        "{size} of {total} analysed sessions in the window, {:.1}%",
        size as f64 * 100.0 / total.max(1) as f64
    );
    match closest {
        Some((l, p, r)) => s.push_str(&format!(
            "; no existing facet picks them out: the closest, {l}, has precision {p:.2} and recall {r:.2}"
        )),
        None => s.push_str("; no existing facet value overlaps them"),
    }
    s
}

pub(crate) fn describe(
    theme: &str,
    size: usize,
    total: usize,
    values: &[String],
    closest: &Option<(String, f64, f64)>,
) -> String {
    let mut s = format!("Sessions whose summaries share \"{theme}\"");
    if !values.is_empty() {
        s.push_str(&format!(", varying by {}", values.join(", ")));
    }
    format!("{s} ({}).", evidence(size, total, closest))
}
