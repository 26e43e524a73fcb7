//! The facet pass of the built-in judge.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::Facet;
use crate::lexicon::{APPROVAL, BACKTRACK, CORRECTION_CUE, FRUSTRATION};
use crate::session::Session;
use crate::text::strip_quoted;

fn ext_language(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "rs" => "rust",
        "py" | "pyi" => "python",
        "ts" | "tsx" | "mts" => "typescript",
        "js" | "jsx" | "mjs" | "cjs" => "javascript",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "rb" => "ruby",
        "php" => "php",
        "cs" => "csharp",
        "cpp" | "cc" | "cxx" | "hpp" | "hh" => "cpp",
        "c" | "h" => "c",
        "swift" => "swift",
        "scala" => "scala",
        "sh" | "bash" | "zsh" => "shell",
        "sql" => "sql",
        "ex" | "exs" => "elixir",
        "dart" => "dart",
        _ => return None,
    })
}

fn manifest_language(name: &str) -> Option<&'static str> {
    Some(match name {
        "Cargo.toml" | "Cargo.lock" => "rust",
        "pyproject.toml" | "requirements.txt" | "setup.py" | "Pipfile" => "python",
        "go.mod" | "go.sum" => "go",
        "pom.xml" | "build.gradle" => "java",
        "Gemfile" => "ruby",
        "composer.json" => "php",
        _ => return None,
    })
}

static PATHISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s/\x22'(=:])([A-Za-z0-9_./-]*?)([A-Za-z0-9_-]+)\.([A-Za-z]{1,5})\b")
        .expect("valid regex")
});
static FENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"```([A-Za-z+#]+)").expect("valid regex"));

/// Known frameworks and libraries, matched as whole words.
const FRAMEWORKS: &[&str] = &[
    "tokio",
    "axum",
    "actix",
    "rocket",
    "serde",
    "clap",
    "diesel",
    "django",
    "fastapi",
    "flask",
    "pandas",
    "numpy",
    "pytest",
    "pydantic",
    "sqlalchemy",
    "react",
    "next.js",
    "nextjs",
    "vue",
    "angular",
    "svelte",
    "express",
    "nestjs",
    "vitest",
    "jest",
    "gin",
    "echo",
    "grpc",
    "cobra",
    "spring",
    "junit",
    "hibernate",
    "rails",
    "laravel",
    "tailwind",
    "terraform",
    "kubernetes",
];

/// Languages with their evidence weight, from paths in tool args and context events,
/// code fences, and manifests (manifests weigh less: a TypeScript repo has a
/// package.json too).
pub fn languages(s: &Session) -> BTreeMap<&'static str, f64> {
    let mut w: BTreeMap<&'static str, f64> = BTreeMap::new();
    let add_text = |text: &str, w: &mut BTreeMap<&'static str, f64>| {
        for c in PATHISH.captures_iter(text) {
            let file = format!("{}.{}", &c[2], &c[3]);
            if let Some(l) = manifest_language(&file) {
                *w.entry(l).or_default() += 0.5;
            } else if let Some(l) = ext_language(&c[3].to_lowercase()) {
                *w.entry(l).or_default() += 1.0;
            }
        }
    };
    for e in &s.events {
        if let Some(p) = &e.path {
            add_text(p, &mut w);
        }
        if e.kind == "tool_call"
            && let Some(a) = &e.args
        {
            add_text(a, &mut w);
        }
        for t in [&e.text, &e.output].into_iter().flatten() {
            for c in FENCE.captures_iter(t) {
                let l = c[1].to_lowercase();
                let l = match l.as_str() {
                    "rust" | "rs" => Some("rust"),
                    "python" | "py" => Some("python"),
                    "ts" | "typescript" | "tsx" => Some("typescript"),
                    "js" | "javascript" | "jsx" => Some("javascript"),
                    "go" | "golang" => Some("go"),
                    "java" => Some("java"),
                    _ => None,
                };
                if let Some(l) = l {
                    *w.entry(l).or_default() += 1.0;
                }
            }
        }
    }
    w
}

/// The facet rows of a session. `outcome` is computed once by the judge (it also
/// drives severities).
pub fn facets(s: &Session, outcome: &(String, &'static str)) -> Vec<Facet> {
    let mut out = Vec::new();
    let langs = languages(s);
    let total: f64 = langs.values().sum();
    for (l, weight) in &langs {
        if *weight >= 1.0 && *weight / total >= 0.2 {
            out.push(Facet::new("language", l, "paths"));
        }
    }
    let mut found: Vec<&str> = Vec::new();
    for e in &s.events {
        for t in [&e.text, &e.output, &e.args].into_iter().flatten() {
            let lower = t.to_lowercase();
            for f in FRAMEWORKS {
                if !found.contains(f) && contains_word(&lower, f) {
                    found.push(f);
                }
            }
        }
    }
    found.sort();
    for f in found {
        out.push(Facet::new("framework", f, "mentions"));
    }
    if let Some(first) = s.user_turns().next() {
        out.push(Facet::new(
            "intent",
            intent(first.text.as_deref().unwrap_or("")),
            "first_message",
        ));
    }
    let count = |status: &str| {
        s.events
            .iter()
            .filter(|e| e.kind == "tool_result" && e.status.as_deref() == Some(status))
            .count()
    };
    out.push(Facet::new(
        "tool_confirmed",
        &count("ok").to_string(),
        "events",
    ));
    out.push(Facet::new(
        "tool_rejected",
        &count("rejected").to_string(),
        "events",
    ));
    out.push(Facet::new(
        "tool_cancelled",
        &count("cancelled").to_string(),
        "events",
    ));
    out.push(Facet::new("outcome", &outcome.0, outcome.1));
    out.push(Facet::new(
        "step_count",
        &s.step_count().to_string(),
        "events",
    ));
    out
}

fn contains_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

static INTENTS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("refactor", r"\b(refactor\w*|clean ?up|split \w+ into|rename|extract|simplify|restructure|dead code|duplicat\w*)\b"),
        ("tests", r"\b((write|add|increase|improve)\b.{0,30}\btests?|unit tests?|integration tests?|property tests?|test coverage)\b"),
        ("docs", r"\b(document\w*|docs|readme|docstrings?|design note|changelog)\b"),
        ("ops_config", r"\b(ci|workflow|dockerfile|docker|helm|kubernetes|k8s|deploy\w*|pipeline|dependencies|bump|logger|terraform|env vars?)\b"),
        ("bug_fix", r"\b(fix\w*|bugs?|broken|crash\w*|fails?|failing|errors?|wrong|hangs?|throws?|regression|double counts|doesn'?t work|investigate)\b"),
        ("feature", r"\b(add|implement|support|create|build|introduce|enable|allow|let the)\b"),
        ("question", r"(^\s*(how|what|why|where|when|which|can you explain|explain|walk me)\b)|\?\s*$"),
    ]
    .into_iter()
    .map(|(k, p)| (k, Regex::new(&format!("(?i){p}")).expect("valid regex")))
    .collect()
});

/// Intent category of a request.
pub fn intent(text: &str) -> &'static str {
    let plain = strip_quoted(text);
    INTENTS
        .iter()
        .find(|(_, re)| re.is_match(&plain))
        .map_or("other", |(k, _)| k)
}

/// Outcome and how it was known: the `session_end` status when it says `completed`
/// or `abandoned`, else inferred (real agents' logs rarely have an end event):
/// 1. the user's last turn approves of the result (short "thanks", "works", ...) → completed;
/// 2. the session ends on an interrupt, a declined/cancelled/failed step or an
///    error, or the user's last turn is frustration, an undo request or a
///    restatement → abandoned;
/// 3. the agent's reply is the last thing said (the user read it and left content)
///    → completed;
/// 4. otherwise it stops mid-work, with no answer the user saw → abandoned.
pub fn outcome(s: &Session) -> (String, &'static str) {
    if let Some(end) = s.events.iter().rev().find(|e| e.kind == "session_end")
        && let Some(st) = end.status.as_deref()
        && (st == "completed" || st == "abandoned")
    {
        return (st.to_string(), "session_end");
    }
    let v = if inferred_completed(s) {
        "completed"
    } else {
        "abandoned"
    };
    (v.to_string(), "inferred")
}

fn inferred_completed(s: &Session) -> bool {
    let last_user = s
        .user_turns()
        .last()
        .map(|u| strip_quoted(u.text.as_deref().unwrap_or("")));
    if let Some(plain) = &last_user {
        if APPROVAL.is_match(plain) && plain.split_whitespace().count() <= 12 {
            return true;
        }
        if FRUSTRATION.is_match(plain)
            || BACKTRACK.is_match(plain)
            || CORRECTION_CUE.is_match(plain)
        {
            return false;
        }
    }
    let last = s
        .events
        .iter()
        .rev()
        .find(|e| !matches!(e.kind.as_str(), "session_end" | "other" | "session_start"));
    match last {
        Some(e) if e.kind == "assistant_message" => true,
        // A last user turn that got no answer, a stop or a failure, or work cut off.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Event;

    /// A session from (kind, text-or-status) pairs.
    fn s(evs: &[(&str, &str)]) -> Session {
        let events = evs
            .iter()
            .enumerate()
            .map(|(i, (kind, x))| Event {
                seq: i as i64,
                kind: kind.to_string(),
                text: matches!(*kind, "user_message" | "assistant_message").then(|| x.to_string()),
                status: matches!(*kind, "tool_result" | "session_end").then(|| x.to_string()),
                tool: (*kind == "tool_call").then(|| "bash".to_string()),
                ..Default::default()
            })
            .collect();
        Session {
            id: "s".into(),
            events,
        }
    }

    #[test]
    fn a_repeated_facet_value_is_kept_once() {
        use crate::Facet;
        let facets = vec![
            Facet::new("language", "rust", "paths"),
            Facet::new("language", "rust", "mentions"),
            Facet::new("language", "go", "paths"),
            Facet::new("framework", "rust", "mentions"),
        ];
        assert_eq!(
            crate::unique_facets(facets),
            vec![
                Facet::new("language", "rust", "paths"),
                Facet::new("language", "go", "paths"),
                Facet::new("framework", "rust", "mentions"),
            ]
        );
    }

    #[test]
    fn outcome_is_inferred_without_an_end_event() {
        let work = [
            ("user_message", "add a retry to the client"),
            ("tool_call", ""),
            ("tool_result", "ok"),
        ];
        let with = |tail: &[(&'static str, &'static str)]| {
            let mut v = work.to_vec();
            v.extend_from_slice(tail);
            outcome(&s(&v))
        };
        assert_eq!(
            with(&[("session_end", "abandoned")]),
            ("abandoned".into(), "session_end")
        );
        assert_eq!(
            with(&[
                ("session_end", "unknown"),
                ("user_message", "perfect, thanks")
            ])
            .0,
            "completed"
        );
        assert_eq!(
            with(&[("user_message", "gracias, funciona")]),
            ("completed".into(), "inferred")
        );
        assert_eq!(
            with(&[("assistant_message", "Added the retry.")]).0,
            "completed"
        );
        assert_eq!(with(&[("interrupt", "")]).0, "abandoned");
        assert_eq!(
            with(&[("tool_call", ""), ("tool_result", "rejected")]).0,
            "abandoned"
        );
        assert_eq!(with(&[]).0, "abandoned", "cut off mid-work");
        assert_eq!(
            with(&[
                ("user_message", "why do you keep ignoring me"),
                ("assistant_message", "Sorry!")
            ])
            .0,
            "abandoned"
        );
    }
}
