//! Rephrasing cascades by meaning: consecutive user turns that ask for the same thing
//! in other words (or another language), told apart from new requests on the same
//! topic, answers to the agent's questions, "yes/continue" turns and commands.
//!
//! A turn *restates* the chain before it when it is a request (not an approval, a
//! follow-up, an answer to a question the agent asked, or giving up) and either
//! - it corrects the agent (a correction cue: "no, ...", "I mean", "not a button",
//!   "不是…", "я же говорю", an edit of the message, one word in capitals for
//!   emphasis) and says something near in meaning to the chain (embedding cosine
//!   >= [`CUE_MIN_SIM`], or it switched script to be understood), or
//! - without a cue, it is very near in meaning to a turn of the chain (cosine >=
//!   [`NO_CUE_MIN_SIM`]; [`NO_CUE_MIN_SIM_CJK`] for Chinese and Japanese, whose
//!   single-character pieces make all sentences nearer), or shares most content
//!   words with it.
//!
//! A cascade is a chain of `cascade_len` (default 3: the original and two
//! restatements) or more turns in which at least one restatement corrects the
//! agent: the spec's "because the agent did not get it right".

use signals_embed::{Embedder, cosine};

use crate::lexicon::{
    APPROVAL, CORRECTION_CUE, FOLLOW_UP_CUE, GIVE_UP, NEW_REQUEST_OPENING, NOT_A_REQUEST,
    QUESTION_OPENING,
};
use crate::session::{Event, Session};
use crate::text::{ACRONYM, content_terms, overlap, strip_quoted, trigram_cosine};

/// Minimum cosine for a restatement with a correction cue.
pub const CUE_MIN_SIM: f32 = 0.35;
/// Minimum cosine for a restatement without a cue.
pub const NO_CUE_MIN_SIM: f32 = 0.6;
/// Longest turn (words) that can restate without a cue: long messages on one
/// topic (specs, pasted output, discussion) are near each other without restating.
pub const NO_CUE_MAX_WORDS: usize = 40;
/// The same for Chinese and Japanese text.
pub const NO_CUE_MIN_SIM_CJK: f32 = 0.8;

/// One user turn, prepared.
pub(crate) struct Turn<'a> {
    pub(crate) event: &'a Event,
    text: String,
    correction: bool,
    /// Approval, follow-up, answer to the agent's question, giving up: ends a chain.
    breaks: bool,
    /// Not a request at all (a command, a confirmation answer): skipped.
    skip: bool,
    cjk: bool,
    /// Short enough, and not a question, to restate without a cue.
    bare_restate: bool,
    /// A question (about the code, the agent...): a request after it on the same
    /// subject is a new request, not a restatement, unless it corrects.
    question: bool,
    terms: Vec<String>,
}

/// A word of four or more capitals in an otherwise lower-case message: "the
/// WIDTH", "per CUSTOMER", "по ДАТЕ".
fn emphasis(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let caps: Vec<&str> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| {
            w.chars().count() >= 4
                && w.chars().all(|c| c.is_alphabetic() && c.is_uppercase())
                && !ACRONYM.is_match(w)
        })
        .collect();
    !caps.is_empty() && caps.len() * 3 <= words.len()
}

fn is_cjk(text: &str) -> bool {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF) {
            cjk += 1;
        }
    }
    letters > 0 && cjk * 3 >= letters
}

/// The session's user turns with what the cascade needs to know of each.
pub(crate) fn turns(s: &Session) -> Vec<Turn<'_>> {
    let mut out = Vec::new();
    let mut agent_asked = false;
    for e in &s.events {
        match e.kind.as_str() {
            "assistant_message" | "agent_message" => {
                agent_asked = e
                    .text
                    .as_deref()
                    .is_some_and(|t| t.trim_end().ends_with('?'));
            }
            _ if e.is_user_turn() => {
                let raw = e.text.as_deref().unwrap_or("");
                let text = strip_quoted(raw);
                // Cues are read in the user's own opening words, not in what was
                // pasted after them (a review, a log).
                let correction = e.kind == "message_edit"
                    || CORRECTION_CUE.is_match(head(&text, 300))
                    || emphasis(head(&text, 300));
                let word_count = text.split_whitespace().count();
                let short = word_count <= 6;
                let breaks = GIVE_UP.is_match(&text)
                    || NEW_REQUEST_OPENING.is_match(&text)
                    || (!correction
                        && ((APPROVAL.is_match(&text) && short)
                            || FOLLOW_UP_CUE.is_match(&text)
                            || agent_asked));
                let bare_restate =
                    word_count <= NO_CUE_MAX_WORDS && !text.trim_end().ends_with('?');
                let question = text.trim_end().ends_with('?') || QUESTION_OPENING.is_match(&text);
                out.push(Turn {
                    event: e,
                    bare_restate,
                    question,
                    skip: NOT_A_REQUEST.is_match(raw.trim()),
                    cjk: is_cjk(&text),
                    terms: content_terms(raw),
                    text,
                    correction,
                    breaks,
                });
                agent_asked = false;
            }
            _ => {}
        }
    }
    out
}

/// Chains of restating turns (indices into `turns`), each `min_len` long or more
/// with at least one correction.
pub(crate) fn chains(turns: &[Turn<'_>], min_len: usize) -> Vec<Vec<usize>> {
    let live: Vec<usize> = (0..turns.len()).filter(|&i| !turns[i].skip).collect();
    if live.len() < min_len {
        return Vec::new();
    }
    let model = Embedder::get();
    let vecs: Vec<Vec<f32>> = turns
        .iter()
        .map(|t| {
            if t.skip {
                Vec::new()
            } else {
                model.embed(head(&t.text, 400))
            }
        })
        .collect();
    let mut out = Vec::new();
    let mut chain: Vec<usize> = Vec::new();
    let mut corrected = false;
    let flush = |chain: &[usize], corrected: bool, out: &mut Vec<Vec<usize>>| {
        if chain.len() >= min_len && corrected {
            out.push(chain.to_vec());
        }
    };
    for &i in &live {
        let cur = &turns[i];
        let linked = !chain.is_empty() && !cur.breaks && restates(turns, &vecs, &chain, i);
        if linked {
            corrected |= cur.correction;
            chain.push(i);
        } else {
            flush(&chain, corrected, &mut out);
            chain = vec![i];
            corrected = false;
        }
    }
    flush(&chain, corrected, &mut out);
    out
}

/// The first `n` bytes of a turn (at a character boundary): the request, before
/// whatever was pasted after it.
fn head(text: &str, n: usize) -> &str {
    let mut end = text.len().min(n);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn restates(turns: &[Turn<'_>], vecs: &[Vec<f32>], chain: &[usize], i: usize) -> bool {
    let cur = &turns[i];
    if chain.len() == 1 && turns[chain[0]].question && !cur.correction {
        return false;
    }
    let sim = chain
        .iter()
        .map(|&j| cosine(&vecs[j], &vecs[i]))
        .fold(f32::MIN, f32::max);
    if cur.correction {
        // A switch of script (English to Chinese) to be understood shares no pieces.
        let switched = chain.iter().any(|&j| turns[j].cjk != cur.cjk);
        return sim >= CUE_MIN_SIM || switched;
    }
    if !cur.bare_restate {
        return false;
    }
    let no_cue = if cur.cjk || chain.iter().any(|&j| turns[j].cjk) {
        NO_CUE_MIN_SIM_CJK
    } else {
        NO_CUE_MIN_SIM
    };
    sim >= no_cue
        || chain.iter().any(|&j| {
            let (ov, n) = overlap(&turns[j].terms, &cur.terms);
            (ov >= 0.5 && n >= 3) || (trigram_cosine(&turns[j].terms, &cur.terms) >= 0.6 && n >= 2)
        })
}
