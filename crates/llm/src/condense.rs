//! Condensing a session to a token budget before it is sent: every user message
//! is kept whole; repeated events are collapsed, then tool outputs and arguments
//! are shortened, then agent messages, then whole non-user events are cut from the
//! middle — each cut marked in the text. Tokens are counted offline with the
//! o200k tokenizer. Everything is scrubbed first.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use signals_judge::Session;

use crate::scrub::{Scrubbed, scrub};

/// Tokens of `text` (o200k, as GPT-4o/GPT-5-class models count them).
pub fn count_tokens(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_with_special_tokens(text)
        .len()
}

/// A session ready to send.
#[derive(Debug, Clone, Default)]
pub struct Condensed {
    /// One line per (kept) event, scrubbed, with cut markers.
    pub text: String,
    /// Its tokens.
    pub tokens: usize,
    /// Tokens of the whole scrubbed session before condensing.
    pub full_tokens: usize,
    /// What the scrubber replaced.
    pub scrubbed: Scrubbed,
    /// The user messages (scrubbed): citations must not quote them.
    pub user_texts: Vec<String>,
    /// Paths, tool names and code identifiers of the session: citations must not name them.
    pub identifiers: BTreeSet<String>,
    /// Highest event seq.
    pub max_seq: i64,
    /// User turns.
    pub user_turns: usize,
}

#[derive(Clone)]
struct Line {
    seq: i64,
    user: bool,
    /// Friction evidence besides the user's turns (an error, a rejected or
    /// interrupted step, an interrupt, a slash command, a context change, the
    /// session's end): cut last.
    evidence: bool,
    head: String,
    body: String,
}

impl Line {
    fn render(&self) -> String {
        if self.body.is_empty() {
            self.head.clone()
        } else {
            format!("{} {}", self.head, self.body)
        }
    }
}

static IDENT: LazyLock<Regex> = LazyLock::new(|| {
    // snake_case, camelCase/PascalCase with an inner capital, dotted file names.
    Regex::new(r"\b([A-Za-z_][A-Za-z0-9]*_[A-Za-z0-9_]+|[a-z]+[A-Z][A-Za-z0-9]+|[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]+|[\w-]+\.[A-Za-z]{1,5})\b")
        .expect("valid")
});

/// Shorten `text` to about `keep` tokens, marking the cut.
fn shorten(text: &str, keep: usize) -> String {
    let bpe = tiktoken_rs::o200k_base_singleton();
    let toks = bpe.encode_with_special_tokens(text);
    if toks.len() <= keep {
        return text.to_string();
    }
    let head = bpe.decode(toks[..keep].to_vec()).unwrap_or_default();
    format!("{head} [… {} tokens cut]", toks.len() - keep)
}

/// The session as text within `budget` tokens (user messages are never cut, so a
/// session of only long user messages can exceed it).
pub fn condense(session: &Session, budget: usize) -> Condensed {
    let mut c = Condensed::default();
    let mut lines: Vec<Line> = Vec::new();
    for e in &session.events {
        c.max_seq = c.max_seq.max(e.seq);
        let mut s = |t: &Option<String>| t.as_deref().map(|x| scrub(x, &mut c.scrubbed));
        let user = e.is_user_turn();
        let mut head = format!("#{} {}", e.seq, e.kind);
        if let Some(t) = &e.tool {
            head.push_str(&format!(" tool={t}"));
            c.identifiers.insert(t.clone());
        }
        if let Some(st) = &e.status {
            head.push_str(&format!(" status={st}"));
        }
        if let Some(et) = &e.error_type {
            head.push_str(&format!(" error={et}"));
        }
        if let Some(p) = s(&e.path) {
            head.push_str(&format!(" path={p}"));
            c.identifiers.insert(p.clone());
            if let Some(name) = p.rsplit(['/', '\\']).next() {
                c.identifiers.insert(name.to_string());
            }
        }
        let body: Vec<String> = [s(&e.text), s(&e.args), s(&e.output), s(&e.message)]
            .into_iter()
            .flatten()
            .collect();
        let body = body.join(" | ");
        for m in IDENT.find_iter(&body) {
            c.identifiers.insert(m.as_str().to_string());
        }
        if user {
            c.user_texts.push(body.clone());
            c.user_turns += 1;
        }
        let evidence = matches!(
            e.kind.as_str(),
            "error"
                | "interrupt"
                | "slash_command"
                | "context_add"
                | "context_remove"
                | "session_end"
        ) || matches!(
            e.status.as_deref(),
            Some("error" | "rejected" | "cancelled")
        ) || e.error_type.is_some();
        lines.push(Line {
            seq: e.seq,
            user,
            evidence,
            head,
            body,
        });
    }
    let total =
        |ls: &[Line]| count_tokens(&ls.iter().map(Line::render).collect::<Vec<_>>().join("\n"));
    c.full_tokens = total(&lines);
    // 1. Collapse runs of identical non-user events.
    if c.full_tokens > budget {
        let mut out: Vec<Line> = Vec::new();
        let mut repeats = 0;
        for l in lines {
            let same = out.last().is_some_and(|p: &Line| {
                !p.user
                    && !l.user
                    && p.body == l.body
                    && p.head.split_once(' ').map(|x| x.1) == l.head.split_once(' ').map(|x| x.1)
            });
            if same {
                repeats += 1;
                continue;
            }
            if repeats > 0
                && let Some(p) = out.last_mut()
            {
                p.body
                    .push_str(&format!(" [repeated {repeats} more times]"));
            }
            repeats = 0;
            out.push(l);
        }
        if repeats > 0
            && let Some(p) = out.last_mut()
        {
            p.body
                .push_str(&format!(" [repeated {repeats} more times]"));
        }
        lines = out;
        // 1b. A long output seen before (a file read again) is named, not repeated.
        let mut seen: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for l in lines.iter_mut().filter(|l| !l.user && l.body.len() > 200) {
            match seen.get(&l.body) {
                Some(first) => l.body = format!("[same as #{first}]"),
                None => {
                    seen.insert(l.body.clone(), l.seq);
                }
            }
        }
    }
    // 2. Tool calls and results, 3. agent messages, 4. everything but user turns:
    // shortened, most verbose first.
    let kind = |l: &Line| l.head.split(' ').nth(1).unwrap_or("").to_string();
    let tiers: [(&[&str], usize); 3] = [
        (
            &[
                "tool_result",
                "tool_call",
                "error",
                "context_add",
                "context_remove",
            ],
            48,
        ),
        (&["assistant_message", "agent_message", "thinking"], 48),
        (&[], 12),
    ];
    for (kinds, keep) in tiers {
        if total(&lines) <= budget {
            break;
        }
        for l in lines.iter_mut().filter(|l| !l.user) {
            if kinds.is_empty() || kinds.contains(&kind(l).as_str()) {
                l.body = shorten(&l.body, keep);
            }
        }
    }
    // 5. Whole non-user events from the middle outwards, replaced by one marker.
    // The order of cuts depends only on the lines, so it is worked out first and
    // the fewest cuts that fit are found by bisection: a few exact counts instead
    // of one per cut (removing a line never adds tokens).
    // The bulk goes first; friction evidence only when nothing else is left.
    let mut current: Vec<usize> = (0..lines.len()).collect();
    let mut order: Vec<(usize, usize)> = Vec::new(); // (line removed, position it had)
    for evidence in [false, true] {
        loop {
            let n = current.len();
            let Some(i) = (1..n.saturating_sub(1))
                .filter(|&i| !lines[current[i]].user && (evidence || !lines[current[i]].evidence))
                .min_by_key(|&i| (i as i64 - n as i64 / 2).abs())
            else {
                break;
            };
            order.push((current.remove(i), i));
        }
    }
    let kept = |k: usize| -> Vec<Line> {
        let gone: std::collections::BTreeSet<usize> = order[..k].iter().map(|(l, _)| *l).collect();
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !gone.contains(i))
            .map(|(_, l)| l.clone())
            .collect()
    };
    let (mut lo, mut hi) = (
        0,
        if total(&lines) > budget {
            order.len()
        } else {
            0
        },
    );
    // Room for the cut's own marker line.
    let room = budget.saturating_sub(16);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if total(&kept(mid)) > room {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let cut = lo;
    let at = if cut > 0 { order[cut - 1].1 } else { 0 };
    lines = kept(cut);
    if cut > 0 {
        let seq = lines.get(at).map_or(c.max_seq, |l| l.seq);
        lines.insert(
            at.min(lines.len()),
            Line {
                seq,
                user: false,
                evidence: false,
                head: format!("[… {cut} events cut]"),
                body: String::new(),
            },
        );
    }
    c.text = lines
        .iter()
        .map(Line::render)
        .collect::<Vec<_>>()
        .join("\n");
    c.tokens = count_tokens(&c.text);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use signals_judge::Event;

    fn ev(seq: i64, kind: &str, text: &str) -> Event {
        let mut e = Event {
            seq,
            kind: kind.into(),
            ..Event::default()
        };
        match kind {
            "tool_result" => e.output = Some(text.into()),
            "tool_call" => {
                e.tool = Some("shell".into());
                e.args = Some(text.into());
            }
            _ => e.text = Some(text.into()),
        }
        e
    }

    fn session() -> Session {
        let mut events = vec![ev(
            0,
            "user_message",
            "please make the parser accept trailing commas, mail me at a@b.io",
        )];
        for i in 0..60 {
            events.push(ev(1 + 3 * i, "tool_call", "cargo test --workspace"));
            events.push(ev(
                2 + 3 * i,
                "tool_result",
                &"error: expected `]` at line 3 column 7 ".repeat(40),
            ));
            events.push(ev(
                3 + 3 * i,
                "assistant_message",
                &"Let me look at the tokenizer again. ".repeat(10),
            ));
        }
        events.push(ev(
            200,
            "user_message",
            "this is the third time, just revert it",
        ));
        Session {
            id: "s".into(),
            events,
        }
    }

    #[test]
    fn a_long_session_fits_its_budget_and_keeps_every_user_message() {
        let s = session();
        let c = condense(&s, 2_000);
        assert!(c.full_tokens > 10_000, "{}", c.full_tokens);
        assert!(c.tokens <= 2_000, "{}", c.tokens);
        assert!(
            c.text
                .contains("please make the parser accept trailing commas")
        );
        assert!(c.text.contains("this is the third time, just revert it"));
        assert!(c.text.contains("tokens cut") || c.text.contains("events cut"));
        assert!(!c.text.contains("a@b.io") && c.text.contains("[email]"));
        assert_eq!(c.user_turns, 2);
        assert_eq!(c.max_seq, 200);
    }

    #[test]
    fn friction_evidence_outlasts_the_bulk() {
        let mut s = session();
        // A rejection, an interrupt and a context change deep in the middle.
        let mut rejected = ev(91, "tool_result", "");
        rejected.status = Some("rejected".into());
        let mut cancelled = ev(92, "tool_result", "");
        cancelled.status = Some("cancelled".into());
        let mut added = ev(93, "context_add", "");
        added.path = Some("src/parser.rs".into());
        let interrupt = ev(94, "interrupt", "");
        let undo = ev(95, "slash_command", "/undo");
        s.events
            .splice(90..90, [rejected, cancelled, added, interrupt, undo]);
        let c = condense(&s, 1_500);
        assert!(c.tokens <= 1_500, "{}", c.tokens);
        for needle in [
            "#91 tool_result status=rejected",
            "#92 tool_result status=cancelled",
            "#94 interrupt",
            "#95 slash_command /undo",
            "#93 context_add",
        ] {
            assert!(c.text.contains(needle), "{needle} cut:\n{}", c.text);
        }
        assert!(c.text.contains("events cut"), "{}", c.text);
    }

    #[test]
    fn a_long_output_seen_before_is_named_not_repeated() {
        let body = "fn parse(input: &str) -> Result<Ast, Error> { todo!() }\n".repeat(30);
        let mut events = vec![ev(0, "user_message", "fix the parser")];
        for i in 0..6 {
            events.push(ev(1 + 2 * i, "tool_result", &body));
            events.push(ev(2 + 2 * i, "assistant_message", "Let me check again."));
        }
        let c = condense(
            &Session {
                id: "s".into(),
                events,
            },
            600,
        );
        assert_eq!(c.text.matches("[same as #1]").count(), 5, "{}", c.text);
    }

    #[test]
    fn a_short_session_is_sent_whole() {
        let mut s = session();
        s.events.truncate(4);
        let c = condense(&s, 12_000);
        assert_eq!(c.tokens, c.full_tokens);
        assert!(!c.text.contains("cut"));
        assert_eq!(c.text.lines().count(), 4);
    }
}
