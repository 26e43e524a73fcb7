//! The delight pass of the built-in judge: the moments a session went well for
//! its user, beside the friction.
//!
//! Four types: `gratitude` (the user thanks the agent), `praise` (the user praises
//! its work), `success_confirmed` (the user says the agent's change works) and
//! `recovery` (the agent failed, then the task was completed). A user turn counts
//! only after the agent has acted, and not when the same turn corrects, reproaches
//! or undoes ("thanks, but it still fails" is friction, not delight), asks a
//! question, or says that nothing works. Citations are fixed phrases, as the
//! friction pass's: never a quote, a path or a name.

use std::sync::LazyLock;

use regex::Regex;

use crate::facets;
use crate::lexicon::{BACKTRACK, CORRECTION_CUE, FRUSTRATION, GIVE_UP};
use crate::session::Session;
use crate::text::strip_quoted;
use crate::{Result, Severity};

/// A kind of delight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DelightType {
    /// The user thanks the agent.
    Gratitude,
    /// The user praises the agent's work.
    Praise,
    /// The user confirms that the agent's change works.
    SuccessConfirmed,
    /// The agent failed (a tool error, an error event), then the task was completed.
    Recovery,
}

/// Every delight type, in the order of their identifiers' documentation.
pub const DELIGHT_TYPES: [DelightType; 4] = [
    DelightType::Gratitude,
    DelightType::Praise,
    DelightType::SuccessConfirmed,
    DelightType::Recovery,
];

impl DelightType {
    /// The identifier stored in `delights.delight_type`.
    pub fn id(self) -> &'static str {
        match self {
            DelightType::Gratitude => "gratitude",
            DelightType::Praise => "praise",
            DelightType::SuccessConfirmed => "success_confirmed",
            DelightType::Recovery => "recovery",
        }
    }

    /// The type of an identifier.
    pub fn from_id(id: &str) -> Option<Self> {
        DELIGHT_TYPES.into_iter().find(|t| t.id() == id)
    }

    /// Whether the user said it (the satisfaction score reads only these; a
    /// recovery is what happened, not what the user showed).
    pub fn expressed(self) -> bool {
        !matches!(self, DelightType::Recovery)
    }
}

/// One moment of delight.
#[derive(Debug, Clone, PartialEq)]
pub struct Delight {
    /// Type.
    pub delight_type: DelightType,
    /// How strong: low (a plain thanks), medium, high (praise, or several at once).
    pub strength: Severity,
    /// First event of the moment.
    pub first_seq: i64,
    /// Last event of the moment.
    pub last_seq: i64,
    /// Abstracted description of what happened.
    pub citation: String,
    /// Confidence 0..1.
    pub confidence: f64,
}

fn re(p: &str) -> Regex {
    Regex::new(&format!("(?i){p}")).expect("valid delight pattern")
}

/// Thanks, in the eight languages of the lexicon.
static GRATITUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(thanks|thank you|thx|ty|cheers|much appreciated|appreciate it|danke|vielen dank|gracias|merci|obrigad[oa]|valeu)\b|спасибо|благодарю|谢谢|多谢|感谢|ありがとう|🙏",
    )
});

/// Praise of the agent's work.
static PRAISE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(great|nice|good|excellent|amazing|awesome|brilliant|superb|impressive|beautiful|solid|clean) (job|work|catch|one|call|fix)\b|\b(well done|nailed it|you rock|you'?re (a star|the best|a legend)|love (it|this)|awesome|excellent|brilliant|impressive|fantastic|superb|flawless|bravo|kudos|genial|excelente|buen trabajo|gute arbeit|gut gemacht|klasse|hervorragend|super arbeit|génial|excellent travail|bien joué|bravo|ótimo|excelente|mandou bem|muito bom)\b|отлично|супер|молодец|太好了|完美|厉害|很棒|干得好|素晴らしい|完璧|すごい|🎉|🙌|🚀",
    )
});

/// The user saying the agent's change works.
static SUCCESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\W*(works|worked|working|fixed)\b|\b((it|that|this|everything|all) (works|worked|is working)|works now|working now|much better|way better|better now|works perfectly|fixed it|that did it|that did the trick|problem solved|all green|all tests pass(ing)?|tests? (pass|passes|are passing) now|builds? (fine|cleanly) now|funciona( ahora| perfecto)?|ya funciona|funcionou|es funktioniert|läuft jetzt|jetzt läuft|ça marche|ça fonctionne|c'est bon)\b|работает|заработало|可以了|成功了|搞定|動いた|直った|✅",
    )
});

/// Words that turn the turn against the agent: a contrast that goes on, or a
/// failure report ("thanks but", "still fails", "not working", "no thanks").
static SPOILER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(but|however|still|except|although|no thanks|not (working|work|quite|yet|really)|doesn'?t work|didn'?t work|isn'?t working|broke|broken|fails?|failing|aber|trotzdem|noch nicht|pero|todav[ií]a|sin embargo|mais|encore|toujours pas|mas|ainda|porém)\b|但是|不过|还是|но |всё ещё|все еще|けど|でも|まだ",
    )
});

/// The source of every delight pattern (the lexicon's phrase test reads them).
pub fn pattern_sources() -> Vec<String> {
    [&*GRATITUDE, &*PRAISE, &*SUCCESS, &*SPOILER]
        .iter()
        .map(|r| r.as_str().to_string())
        .collect()
}

/// The delight moments of a session.
pub fn detect(s: &Session) -> Vec<Delight> {
    let mut out = Vec::new();
    // A turn counts once the agent has acted (a tool call or a reply): thanks in a
    // first request ("thanks in advance") is politeness, not delight.
    let mut acted = false;
    for e in &s.events {
        match e.kind.as_str() {
            "tool_call" | "assistant_message" | "agent_message" => acted = true,
            _ if e.is_user_turn() && acted => {
                if let Some(d) = from_turn(e.seq, e.text.as_deref().unwrap_or("")) {
                    out.extend(d);
                }
            }
            _ => {}
        }
    }
    out.extend(recovery(s));
    out
}

/// The delight one user turn shows, if any.
fn from_turn(seq: i64, text: &str) -> Option<Vec<Delight>> {
    let plain = strip_quoted(text);
    let plain = plain.trim();
    // Delight is said briefly: a long turn with a thanks in it is a new request.
    if plain.is_empty() || plain.split_whitespace().count() > 40 {
        return None;
    }
    if plain.ends_with('?') || plain.ends_with('？') {
        return None;
    }
    if SPOILER.is_match(plain)
        || CORRECTION_CUE.is_match(plain)
        || FRUSTRATION.is_match(plain)
        || BACKTRACK.is_match(plain)
        || GIVE_UP.is_match(plain)
    {
        return None;
    }
    let found: Vec<DelightType> = [
        (DelightType::Praise, &*PRAISE),
        (DelightType::SuccessConfirmed, &*SUCCESS),
        (DelightType::Gratitude, &*GRATITUDE),
    ]
    .into_iter()
    .filter(|(_, r)| r.is_match(plain))
    .map(|(t, _)| t)
    .collect();
    if found.is_empty() {
        return None;
    }
    // Several kinds at once ("that fixed it, great work, thanks!") are stronger.
    let bump = found.len() > 1;
    Some(
        found
            .into_iter()
            .map(|t| {
                let (base, citation) = match t {
                    DelightType::Praise => (
                        Severity::Medium,
                        "The user praised the agent's work on the task.",
                    ),
                    DelightType::SuccessConfirmed => (
                        Severity::Medium,
                        "The user confirmed that the agent's change worked.",
                    ),
                    _ => (Severity::Low, "The user thanked the agent for its work."),
                };
                Delight {
                    delight_type: t,
                    strength: if bump { base.up() } else { base },
                    first_seq: seq,
                    last_seq: seq,
                    citation: citation.into(),
                    confidence: 0.8,
                }
            })
            .collect(),
    )
}

/// A recovery: the agent failed at least once, a later tool step succeeded, and
/// the session was completed.
fn recovery(s: &Session) -> Option<Delight> {
    if facets::outcome(s).0 != "completed" {
        return None;
    }
    let errors = crate::friction::error_moments(s);
    let last_error = errors.iter().map(|m| m.last_seq).max()?;
    let first_error = errors.iter().map(|m| m.first_seq).min()?;
    let ok_after = s
        .events
        .iter()
        .filter(|e| {
            e.seq > last_error
                && e.kind == "tool_result"
                && e.status.as_deref().is_none_or(|st| st == "ok")
        })
        .map(|e| e.seq)
        .max()?;
    Some(Delight {
        delight_type: DelightType::Recovery,
        strength: if errors.len() > 1 {
            Severity::High
        } else {
            Severity::Medium
        },
        first_seq: first_error,
        last_seq: ok_after,
        citation: format!(
            "The agent recovered from {} failure(s) and the task was completed.",
            errors.len()
        ),
        confidence: 0.7,
    })
}

/// A session's satisfaction, 1 (worst) to 5 (best), from what its user showed and
/// how it ended (docs/judges.md): 2, plus 1 if the session was completed and minus
/// 1 if it was abandoned, plus 1 for delight the user expressed (thanks, praise,
/// "it works") and 1 more for praise or a confirmed success, minus 1 for tone
/// escalation; at most 5, at least 1. Errors and recoveries are not in it: they
/// are what happened, and analyses compare satisfaction across them.
pub fn satisfaction(completed: bool, abandoned: bool, delights: &[Delight], tone: bool) -> i64 {
    let expressed: Vec<DelightType> = delights
        .iter()
        .map(|d| d.delight_type)
        .filter(|t| t.expressed())
        .collect();
    let mut score = 2i64;
    score += i64::from(completed) - i64::from(abandoned);
    score += i64::from(!expressed.is_empty());
    score += i64::from(
        expressed
            .iter()
            .any(|t| matches!(t, DelightType::Praise | DelightType::SuccessConfirmed)),
    );
    score -= i64::from(tone);
    score.clamp(1, 5)
}

/// Parse a delight type identifier (for label files and the LLM's replies).
pub fn parse_type(id: &str) -> Result<DelightType> {
    DelightType::from_id(id).ok_or_else(|| crate::Error::UnknownDelight(id.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Event;

    fn ev(seq: i64, kind: &str, text: Option<&str>) -> Event {
        Event {
            seq,
            kind: kind.into(),
            text: text.map(String::from),
            ..Event::default()
        }
    }

    fn session(turns: &[&str]) -> Session {
        let mut events = vec![ev(0, "user_message", Some("add a retry to the client"))];
        let mut seq = 1;
        for t in turns {
            events.push(ev(seq, "assistant_message", Some("Done.")));
            events.push(ev(seq + 1, "user_message", Some(t)));
            seq += 2;
        }
        Session {
            id: "s".into(),
            events,
        }
    }

    fn types(turns: &[&str]) -> Vec<&'static str> {
        detect(&session(turns))
            .iter()
            .map(|d| d.delight_type.id())
            .collect()
    }

    #[test]
    fn thanks_praise_and_success_in_several_languages() {
        assert_eq!(types(&["thx!"]), ["gratitude"]);
        assert_eq!(types(&["nailed it"]), ["praise"]);
        assert_eq!(types(&["ok it works now"]), ["success_confirmed"]);
        assert_eq!(
            types(&["worked, thanks"]),
            ["success_confirmed", "gratitude"]
        );
        assert_eq!(types(&["much better"]), ["success_confirmed"]);
        // "works" further on is a description, not a confirmation.
        assert!(types(&["the parser works on bytes; make it read chars"]).is_empty());
        assert_eq!(
            types(&["genial, ya funciona"]),
            ["praise", "success_confirmed"]
        );
        assert_eq!(
            types(&["спасибо, работает"]),
            ["success_confirmed", "gratitude"]
        );
        assert_eq!(types(&["完美，谢谢"]), ["praise", "gratitude"]);
        let d = detect(&session(&["clean fix, thank you"]));
        assert!(
            d.iter()
                .all(|d| d.strength == Severity::Medium || d.strength == Severity::High)
        );
    }

    #[test]
    fn politeness_contrasts_and_questions_are_not_delight() {
        assert!(types(&["thanks, but it still fails on windows"]).is_empty());
        assert!(types(&["great, now it's broken"]).is_empty());
        assert!(types(&["does it work now?"]).is_empty());
        assert!(types(&["no thanks, revert that"]).is_empty());
        assert!(types(&["danke, aber das geht noch nicht"]).is_empty());
        // Before the agent acted: "thanks in advance".
        let s = Session {
            id: "s".into(),
            events: vec![ev(
                0,
                "user_message",
                Some("fix the flaky test please, thanks!"),
            )],
        };
        assert!(detect(&s).is_empty());
    }

    #[test]
    fn citations_never_quote_the_user() {
        for d in detect(&session(&[
            "awesome work on the parser_v2.rs refactor, thanks",
        ])) {
            assert!(!d.citation.contains("parser"), "{}", d.citation);
        }
    }

    #[test]
    fn a_failure_then_a_completed_task_is_a_recovery() {
        let mut events = vec![
            ev(0, "user_message", Some("run the tests")),
            Event {
                seq: 1,
                kind: "tool_call".into(),
                call_id: Some("c1".into()),
                tool: Some("bash".into()),
                ..Event::default()
            },
            Event {
                seq: 2,
                kind: "tool_result".into(),
                call_id: Some("c1".into()),
                status: Some("error".into()),
                output: Some("error: build failed".into()),
                ..Event::default()
            },
            Event {
                seq: 3,
                kind: "tool_call".into(),
                call_id: Some("c2".into()),
                tool: Some("bash".into()),
                ..Event::default()
            },
            Event {
                seq: 4,
                kind: "tool_result".into(),
                call_id: Some("c2".into()),
                status: Some("ok".into()),
                output: Some("ok".into()),
                ..Event::default()
            },
        ];
        events.push(Event {
            seq: 5,
            kind: "session_end".into(),
            status: Some("completed".into()),
            ..Event::default()
        });
        let s = Session {
            id: "s".into(),
            events: events.clone(),
        };
        let d = detect(&s);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].delight_type, d[0].first_seq, d[0].last_seq),
            (DelightType::Recovery, 2, 4)
        );
        // Abandoned: no recovery.
        events.last_mut().unwrap().status = Some("abandoned".into());
        assert!(
            detect(&Session {
                id: "s".into(),
                events
            })
            .is_empty()
        );
    }

    #[test]
    fn satisfaction_reads_what_the_user_showed() {
        let thanks = detect(&session(&["thanks"]));
        let praise = detect(&session(&["excellent, that did it"]));
        // 2 + completed + delight + praise or success; a plain thanks has no praise.
        assert_eq!(satisfaction(true, false, &praise, false), 5);
        assert_eq!(satisfaction(true, false, &thanks, false), 4);
        assert_eq!(satisfaction(true, false, &[], false), 3);
        assert_eq!(satisfaction(true, false, &thanks, true), 3);
        // Abandoned with tone: 2 - 1 - 1 = 0, kept at 1.
        assert_eq!(satisfaction(false, true, &[], true), 1);
        assert_eq!(satisfaction(false, false, &[], false), 2);
    }
}
