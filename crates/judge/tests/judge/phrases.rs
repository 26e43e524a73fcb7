//! The lexicon and the generator share no phrase.
//!
//! Every pattern of the built-in judge is expanded into the literal word sequences it
//! matches (alternatives and optional parts enumerated, everything else a break);
//! every user phrase the generator can write is split into words. No run of three
//! words may appear on both sides: otherwise the generated set measures the
//! templates, not the judge.

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};

/// A word boundary that no phrase crosses.
const BREAK: char = '\u{0}';
/// At most this many expansions of one pattern (the rest are dropped, so a huge
/// alternation is checked in part rather than not at all).
const CAP: usize = 20_000;

fn expand(h: &Hir) -> Vec<String> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8_lossy(&l.0).into_owned()],
        HirKind::Class(c) => {
            let space = match c {
                Class::Unicode(u) => u
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= ' ' && ' ' <= r.end()),
                Class::Bytes(b) => b
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= b' ' && b' ' <= r.end()),
            };
            vec![if space { " ".into() } else { BREAK.to_string() }]
        }
        HirKind::Capture(c) => expand(&c.sub),
        HirKind::Repetition(r) => {
            let inner = expand(&r.sub);
            let single_space = inner.iter().all(|s| s == " ");
            let mut out = Vec::new();
            if r.min == 0 {
                out.push(String::new());
            }
            if single_space {
                out.push(" ".into());
            } else if r.max == Some(1) {
                out.extend(inner);
            } else {
                out.push(BREAK.to_string());
            }
            out
        }
        HirKind::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                let next = expand(p);
                let mut grown = Vec::new();
                'outer: for a in &acc {
                    for n in &next {
                        grown.push(format!("{a}{n}"));
                        if grown.len() >= CAP {
                            break 'outer;
                        }
                    }
                }
                acc = grown;
            }
            acc
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(expand(a));
                if out.len() >= CAP {
                    out.truncate(CAP);
                    break;
                }
            }
            out
        }
    }
}

fn words_of(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Word trigrams of each run between breaks.
fn trigrams(s: &str, out: &mut BTreeSet<String>) {
    for run in s.split(BREAK) {
        let w = words_of(run);
        for t in w.windows(4) {
            out.insert(t.join(" "));
        }
    }
}

fn lexicon_trigrams() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for src in signals_judge::lexicon::pattern_sources()
        .into_iter()
        .chain(signals_judge::delight::pattern_sources())
    {
        // Read the pattern case-sensitively so letters stay literals.
        let src = src.replace("(?i)", "");
        let hir = regex_syntax::parse(&src)
            .unwrap_or_else(|e| panic!("pattern does not parse: {e}\n{src}"));
        for s in expand(&hir) {
            trigrams(&s, &mut out);
        }
    }
    out
}

#[test]
fn expansion_finds_the_phrases_a_pattern_matches() {
    let hir = regex_syntax::parse(r"\bwhy (do|did) you (keep|always)\b|\bstop (\w+ )?now").unwrap();
    let mut t = BTreeSet::new();
    for s in expand(&hir) {
        trigrams(&s, &mut t);
    }
    assert!(
        t.contains("why do you keep") && t.contains("why did you always"),
        "{t:?}"
    );
    // A free word breaks the phrase: "stop now" is no trigram, nothing spans \w+.
    assert!(!t.iter().any(|x| x.contains("stop")), "{t:?}");
}

#[test]
fn the_lexicon_shares_no_phrase_with_the_generator() {
    let lexicon = lexicon_trigrams();
    assert!(
        lexicon.len() > 1_000,
        "the expansion found {} phrases",
        lexicon.len()
    );
    let mut shared = BTreeSet::new();
    for p in signals_generate::user_phrases() {
        let mut t = BTreeSet::new();
        trigrams(p, &mut t);
        for x in t {
            if lexicon.contains(&x) {
                shared.insert(format!("{x:?} (in {p:?})"));
            }
        }
    }
    assert!(
        shared.is_empty(),
        "{} phrases are both in the lexicon and in the generator's templates; reword the generator (or generalise the pattern):\n{}",
        shared.len(),
        shared.into_iter().collect::<Vec<_>>().join("\n")
    );
}
