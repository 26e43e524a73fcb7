//! Text normalisation and similarity for the built-in judge.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)```.*?```|`[^`]*`|"[^"\n]{1,200}"|“[^”\n]{1,200}”|(^|[\s(\[])'[^'\n]{1,200}'"#,
    )
    .expect("valid regex")
});

/// Remove quoted material (code fences, inline code, quoted strings): what users
/// quote is usually an error message or code, not their own voice.
pub fn strip_quoted(text: &str) -> String {
    QUOTED.replace_all(text, " ").into_owned()
}

/// Lower-cased words (letters, digits, `_`, `-`, `.`, `/` inside words kept out).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Function words of English, Spanish, German, French and Portuguese, plus words
/// that carry no request content ("please", "want", "make"...).
static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        // English
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "for",
        "and",
        "or",
        "but",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "our",
        "us",
        "so",
        "as",
        "at",
        "by",
        "with",
        "from",
        "not",
        "no",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "must",
        "have",
        "has",
        "had",
        "please",
        "want",
        "need",
        "make",
        "change",
        "just",
        "all",
        "what",
        "which",
        "that's",
        "it's",
        "i'm",
        "i'll",
        "don't",
        "let",
        "let's",
        "again",
        "once",
        "more",
        "still",
        "whole",
        "point",
        "task",
        "asking",
        "ask",
        "meant",
        "mean",
        "clear",
        "else",
        "something",
        "some",
        "thing",
        "then",
        "there",
        "here",
        "if",
        "when",
        "will",
        "also",
        "now",
        "nope",
        "hmm",
        "ok",
        "okay",
        "read",
        "carefully",
        "rephrase",
        "try",
        "misunderstood",
        "quite",
        "able",
        "way",
        "into",
        "out",
        "up",
        "about",
        "than",
        "too",
        "very",
        "really",
        "one",
        "been",
        "being",
        "was",
        "were",
        "get",
        "got",
        // Spanish
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "que",
        "de",
        "del",
        "en",
        "y",
        "o",
        "es",
        "lo",
        "me",
        "te",
        "se",
        "por",
        "para",
        "con",
        "no",
        "otra",
        "vez",
        "quiero",
        "necesito",
        "tiene",
        "debe",
        "repito",
        "entendiste",
        // German
        "der",
        "die",
        "das",
        "den",
        "dem",
        "ein",
        "eine",
        "und",
        "oder",
        "ist",
        "ich",
        "du",
        "dass",
        "soll",
        "muss",
        "nein",
        "noch",
        "einmal",
        "nochmal",
        "brauche",
        "hast",
        "mich",
        "falsch",
        "verstanden",
        "sage",
        "es",
        // French
        "le",
        "les",
        "des",
        "et",
        "ou",
        "est",
        "je",
        "tu",
        "il",
        "que",
        "qui",
        "non",
        "veux",
        "doit",
        "encore",
        "fois",
        "répète",
        "compris",
        "pas",
        "faut",
        "n'as",
        // Portuguese
        "o",
        "os",
        "as",
        "um",
        "uma",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "não",
        "eu",
        "você",
        "preciso",
        "tem",
        "deve",
        "novo",
        "repetindo",
        "entendeu",
        "quero",
    ]
    .into_iter()
    .collect()
});

/// A crude multilingual stem: enough to match "retries"/"retry", "failed"/"fail".
pub fn stem(w: &str) -> String {
    let w = w.trim_end_matches('\'');
    for suf in ["ing", "ies", "ied", "es", "ed", "s", "ly"] {
        if w.len() > suf.len() + 3
            && let Some(base) = w.strip_suffix(suf)
        {
            return if suf == "ies" || suf == "ied" {
                format!("{base}y")
            } else {
                base.to_string()
            };
        }
    }
    w.to_string()
}

/// Content terms of a message: stemmed words without function words.
pub fn content_terms(text: &str) -> Vec<String> {
    words(&strip_quoted(text))
        .into_iter()
        .filter(|w| w.chars().count() > 1 && !STOP.contains(w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Overlap coefficient of two term sets: |A ∩ B| / min(|A|, |B|), and |A ∩ B|.
pub fn overlap(a: &[String], b: &[String]) -> (f64, usize) {
    let a: HashSet<&String> = a.iter().collect();
    let b: HashSet<&String> = b.iter().collect();
    let n = a.intersection(&b).count();
    let m = a.len().min(b.len());
    if m == 0 {
        (0.0, 0)
    } else {
        (n as f64 / m as f64, n)
    }
}

/// Cosine similarity of character trigram counts of the content terms: survives
/// inflection and small spelling changes that defeat exact word overlap.
pub fn trigram_cosine(a: &[String], b: &[String]) -> f64 {
    fn grams(terms: &[String]) -> HashMap<String, f64> {
        let mut m = HashMap::new();
        for t in terms {
            let padded: Vec<char> = format!(" {t} ").chars().collect();
            for w in padded.windows(3) {
                *m.entry(w.iter().collect::<String>()).or_insert(0.0) += 1.0;
            }
        }
        m
    }
    let (ga, gb) = (grams(a), grams(b));
    let dot: f64 = ga
        .iter()
        .filter_map(|(k, v)| gb.get(k).map(|w| v * w))
        .sum();
    let na: f64 = ga.values().map(|v| v * v).sum::<f64>().sqrt();
    let nb: f64 = gb.values().map(|v| v * v).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Words written in capitals that are names, not emphasis: acronyms, SQL and HTTP
/// keywords, log levels.
pub static ACRONYM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(JSON|YAML|TOML|HTTP|HTTPS|HTML|UUID|REST|CORS|CRUD|SQL|JWT|OAUTH|ASCII|UTF|GRPC|CSV|TODO|FIXME|README|LICENSE|NOTE|IMPORTANT|WARNING|ERROR|FATAL|NULL|TRUE|FALSE|NONE|GET|POST|PUT|PATCH|DELETE|HEAD|SELECT|FROM|WHERE|INSERT|UPDATE|CREATE|TABLE|INDEX|EXISTS|IF|AND|OR|GENERATED|FOR|SKIP|LOCKED|NOWAIT|JOIN|LEFT|RIGHT|INNER|OUTER|GROUP|BY|ORDER|LIMIT|OFFSET|VALUES|INTO|SET|ON|AS|DISTINCT|HAVING|UNION|WITH|RETURNING|CASCADE|PRIMARY|KEY|FOREIGN|REFERENCES|UNIQUE|DEFAULT|ALTER|DROP|ADD|COLUMN|BEGIN|COMMIT|ROLLBACK|IN|IS|LIKE|BETWEEN|CONSTRAINT|VIEW|TRIGGER|COUNT|SUM|AVG|MAX|MIN|ASC|DESC|ALWAYS|AWS|GCP|MACOS|LINUX|WSL|API|CLI|URL|CSS|PDF|PNG|SVG|CI|CD|PR|DB|ID|UI|UX|OK)$")
        .expect("valid")
});

/// Share of upper-case letters among the letters of `text` (after quoted material and
/// identifiers with `_` are removed), with the number of letters counted.
pub fn caps_ratio(text: &str) -> (f64, usize) {
    let t = strip_quoted(text);
    let mut upper = 0usize;
    let mut letters = 0usize;
    for w in t.split_whitespace() {
        if w.contains('_') || w.contains('/') || w.contains('.') && w.len() > 4 {
            continue;
        }
        for c in w.chars().filter(|c| c.is_alphabetic()) {
            letters += 1;
            if c.is_uppercase() {
                upper += 1;
            }
        }
    }
    if letters == 0 {
        (0.0, 0)
    } else {
        (upper as f64 / letters as f64, letters)
    }
}

/// Whether a message shouts: most of its letters in capitals, or a run of three or
/// more capitalised words (identifiers like `DB_URL` and short acronyms excluded).
pub fn shouting(text: &str) -> bool {
    let (ratio, letters) = caps_ratio(text);
    if ratio >= 0.7 && letters >= 10 {
        return true;
    }
    // In long messages (task templates, specs, pasted documents) capitalised runs
    // are emphasis conventions ("DO NOT EDIT", "IMPORTANT TIPS"), not shouting.
    let plain = strip_quoted(text);
    if plain.split_whitespace().count() > 60 {
        return false;
    }
    let mut run = 0;
    for w in plain.split_whitespace() {
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        let bare: String = letters.iter().collect();
        // Names in capitals (SQL keywords, acronyms) neither count nor break a run.
        if ACRONYM.is_match(&bare) {
            continue;
        }
        let word = !w.contains('_') && !w.contains('/') && letters.len() >= 2;
        if word && letters.iter().all(|c| c.is_uppercase()) {
            run += 1;
            if run >= 3 {
                return true;
            }
        } else if !letters.is_empty() {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_material_is_removed() {
        let s = strip_quoted("the lint says 'useless variable', and `x = 1` is \"WRONG\"");
        assert!(
            !s.contains("useless") && !s.contains("WRONG") && !s.contains("x = 1"),
            "{s}"
        );
        assert!(s.contains("the lint says"));
    }

    #[test]
    fn paraphrases_are_similar_and_different_requests_are_not() {
        let a = content_terms(
            "I need the upload client to retry failed requests a few times before giving up",
        );
        let b =
            content_terms("no, please make the upload client retry failed requests a few times");
        let c = content_terms("great, can you also update the changelog?");
        assert!(overlap(&a, &b).0 > 0.6, "{:?}", overlap(&a, &b));
        assert!(overlap(&a, &c).0 < 0.2);
        assert!(trigram_cosine(&a, &b) > trigram_cosine(&a, &c));
    }

    #[test]
    fn shouting_is_measured_on_words_not_identifiers() {
        assert!(caps_ratio("WHY IS THIS STILL FAILING").0 > 0.9);
        assert!(caps_ratio("keep the DB_URL and MAX_SIZE variables").0 < 0.2);
        assert!(shouting("no, I SAID DO NOT touch the tests"));
        assert!(!shouting("keep the DB_URL and MAX_SIZE variables"));
        let template = format!(
            "{} IMPORTANT TIPS: DO NOT EDIT the tests.",
            "word ".repeat(80)
        );
        assert!(!shouting(&template), "emphasis in a long task template");
    }
}
