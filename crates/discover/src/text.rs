//! Summaries to terms and vectors.
//!
//! Discovery looks for what existing facets do *not* say, so each summary is
//! first reduced to its *residual*: the words of every existing facet value and
//! friction type (and stop words, numbers, the built-in summary's template words)
//! are masked, and a masked word breaks the phrase it was in. Terms are the
//! residual's words and two-word phrases; the offline embedding is their hashed
//! TF-IDF vector.

use std::collections::{BTreeMap, HashSet};

/// Words that never carry a theme: English stop words and the built-in
/// summary's template words.
pub const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "been",
    "but",
    "by",
    "for",
    "from",
    "had",
    "has",
    "have",
    "in",
    "into",
    "is",
    "it",
    "its",
    "of",
    "on",
    "or",
    "so",
    "that",
    "the",
    "their",
    "then",
    "there",
    "this",
    "to",
    "was",
    "were",
    "which",
    "while",
    "with",
    "without",
    "after",
    "before",
    "despite",
    "over",
    "under",
    "again",
    "all",
    "any",
    "some",
    "more",
    "most",
    "one",
    "two",
    "three",
    "few",
    "many",
    "several",
    "other",
    "not",
    "no",
    "only",
    "also",
    "when",
    "where",
    "who",
    "what",
    "how",
    "why",
    "they",
    "them",
    "he",
    "she",
    "we",
    "you",
    "user",
    "users",
    "agent",
    "session",
    "sessions",
    "work",
    "worked",
    "touched",
    "steps",
    "step",
    "friction",
    "general",
    "ops",
    "asked",
    "requested",
    "wanted",
    "tried",
    "attempt",
    "attempts",
];

/// Lowercase words in phrases: punctuation (`;`, `,`, `.`, ...) ends a phrase.
pub fn segments(summary: &str) -> Vec<Vec<String>> {
    summary
        .split(|c: char| !(c.is_alphanumeric() || c.is_whitespace() || c == '-' || c == '\''))
        .map(|seg| {
            seg.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The words of facet labels (`facet=value`) to mask.
pub fn mask_words<'a>(labels: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    let mut out: HashSet<String> = STOPWORDS.iter().map(|s| s.to_string()).collect();
    for l in labels {
        let value = l.split_once('=').map_or(l, |x| x.1);
        for w in value.split(|c: char| !c.is_alphanumeric()) {
            if !w.is_empty() {
                out.insert(w.to_lowercase());
            }
        }
    }
    out
}

/// The residual phrases of a summary: masked words and numbers removed, each
/// removal splitting its phrase.
pub fn residual(summary: &str, mask: &HashSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for seg in segments(summary) {
        let mut cur = Vec::new();
        for w in seg {
            if mask.contains(&w) || w.chars().any(|c| c.is_ascii_digit()) || w.len() < 2 {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            } else {
                cur.push(w);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// The residual as text, for an external embedding model.
pub fn residual_text(res: &[Vec<String>]) -> String {
    res.iter()
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Terms of a residual with their counts: words and adjacent pairs.
pub fn terms(res: &[Vec<String>]) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for p in res {
        for (i, w) in p.iter().enumerate() {
            *out.entry(w.clone()).or_default() += 1;
            if let Some(next) = p.get(i + 1) {
                *out.entry(format!("{w} {next}")).or_default() += 1;
            }
        }
    }
    out
}

/// Hashed TF-IDF vectors (`dims` buckets, signed hashing, sublinear tf, smooth
/// idf over these documents, L2-normalized). A document without terms gets a
/// zero vector.
pub fn hashed_tfidf(docs: &[BTreeMap<String, u32>], dims: usize) -> Vec<Vec<f32>> {
    let n = docs.len() as f64;
    let mut df: BTreeMap<&str, u32> = BTreeMap::new();
    for d in docs {
        for t in d.keys() {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    docs.iter()
        .map(|d| {
            let mut v = vec![0f32; dims];
            for (t, tf) in d {
                let idf = ((1.0 + n) / (1.0 + f64::from(df[t.as_str()]))).ln() + 1.0;
                let w = (1.0 + f64::from(*tf).ln()) * idf;
                let h = signals_lake::fnv1a(t);
                let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
                v[(h % dims as u64) as usize] += (sign * w) as f32;
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
            v
        })
        .collect()
}

/// A phrase as a snake_case name.
pub fn slug(phrase: &str) -> String {
    let s: Vec<String> = phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = s.join("_");
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "t_");
    }
    out.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_drops_what_facets_say_and_splits_phrases() {
        let mask = mask_words([
            "language=rust",
            "intent=ops_config",
            "friction=error_event",
            "outcome=completed",
        ]);
        let s = "ops and config work in rust with tokio; touched ci pipeline, github actions, test runs; 42 steps; completed despite error event";
        let r = residual(s, &mask);
        assert_eq!(
            residual_text(&r),
            "tokio, ci pipeline, github actions, test runs"
        );
        let t = terms(&r);
        assert!(
            t.contains_key("ci pipeline")
                && t.contains_key("pipeline")
                && !t.contains_key("pipeline github")
        );
        let v = hashed_tfidf(&[t.clone(), t, BTreeMap::new()], 64);
        assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(v[0], v[1]);
        assert!(v[2].iter().all(|x| *x == 0.0));
        assert_eq!(slug("CI pipeline"), "ci_pipeline");
    }
}
