//! The friction pass of the built-in judge: the seven types of the spec.
//!
//! Citations are composed only from fixed phrases and counts: never from what the
//! user or the agent wrote, never a path, a tool's own name or an identifier.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::lexicon::*;
use crate::session::{Session, tool_category};
use crate::text::{shouting, strip_quoted};
use crate::{FrictionType, Moment, Severity};

/// Parameters of the friction detectors.
#[derive(Debug, Clone, PartialEq)]
pub struct FrictionParams {
    /// Add->remove cycles of one path that make context churn.
    pub churn_cycles: usize,
    /// Time window (seconds) the cycles must fall in; `None` for no limit.
    pub churn_window_s: Option<i64>,
    /// Consecutive user turns asking for the same thing that make a cascade.
    pub cascade_len: usize,
}

impl Default for FrictionParams {
    fn default() -> Self {
        Self {
            churn_cycles: 3,
            churn_window_s: None,
            cascade_len: 3,
        }
    }
}

impl FrictionParams {
    /// The detector settings from a pipeline's parameters (`churn_cycles`,
    /// `churn_window_s`; 0: no window): what the judge stages and the live hook use.
    pub fn from_params(params: &signals_stage::Params) -> Self {
        use signals_stage::ParamsExt;
        FrictionParams {
            churn_cycles: params.int("churn_cycles", 3).max(1) as usize,
            churn_window_s: Some(params.int("churn_window_s", 0)).filter(|w| *w > 0),
            ..FrictionParams::default()
        }
    }
}

/// Run every detector on a session. `abandoned` raises severities.
pub fn detect(s: &Session, p: &FrictionParams, abandoned: bool) -> Vec<Moment> {
    let mut out = Vec::new();
    out.extend(abandoned_tool(s));
    out.extend(rephrasing_cascade(s, p));
    out.extend(context_churn(s, p));
    out.extend(error_event(s));
    out.extend(tone_escalation(s));
    out.extend(backtracking(s));
    out.extend(platform_confusion(s));
    apply_severity(&mut out, abandoned);
    out
}

/// Only the detectors of friction a live hook can act on while it is under way
/// (rephrasing cascades, context churn), as [`detect`] finds them but without
/// severity rules: the other detectors' lexicons, compiled on first use, were
/// nine tenths of a hook's time.
pub fn under_way(s: &Session, p: &FrictionParams) -> Vec<Moment> {
    let mut out = rephrasing_cascade(s, p);
    out.extend(context_churn(s, p));
    out
}

/// Severity rules (also in `docs/judges.md`):
/// - start from the moment's own level (set by its detector);
/// - one level up when the same type occurs in 3 or more moments of the session;
/// - one level up when the session was abandoned and this is its last moment.
fn apply_severity(moments: &mut [Moment], abandoned: bool) {
    let mut per_type: HashMap<FrictionType, usize> = HashMap::new();
    for m in moments.iter() {
        *per_type.entry(m.friction_type).or_default() += 1;
    }
    let last = moments.iter().map(|m| m.last_seq).max();
    for m in moments.iter_mut() {
        if per_type[&m.friction_type] >= 3 {
            m.severity = m.severity.up();
        }
        if abandoned && Some(m.last_seq) == last {
            m.severity = m.severity.up();
        }
    }
}

/// Signals grouped into moments: consecutive signals not separated by a user turn.
fn group_by_turn<T: Clone>(s: &Session, signals: &[(i64, T)]) -> Vec<Vec<(i64, T)>> {
    let user_seqs: Vec<i64> = s.user_turns().map(|e| e.seq).collect();
    let mut groups: Vec<Vec<(i64, T)>> = Vec::new();
    for sig in signals {
        let split = match groups.last().and_then(|g| g.last()) {
            None => true,
            Some((prev, _)) => user_seqs.iter().any(|u| *u > *prev && *u < sig.0),
        };
        if split {
            groups.push(vec![sig.clone()]);
        } else if let Some(g) = groups.last_mut() {
            g.push(sig.clone());
        }
    }
    groups
}

fn abandoned_tool(s: &Session) -> Vec<Moment> {
    let mut tools: HashMap<&str, Option<&str>> = HashMap::new();
    let mut pending = 0usize;
    let mut tool_since_user = false;
    let mut signals: Vec<(i64, (&'static str, &'static str))> = Vec::new();
    for e in &s.events {
        match e.kind.as_str() {
            "user_message" | "message_edit" => tool_since_user = false,
            "tool_call" => {
                tool_since_user = true;
                pending += 1;
                if let Some(id) = e.call_id.as_deref() {
                    tools.insert(id, e.tool.as_deref());
                }
            }
            "tool_result" => {
                pending = pending.saturating_sub(1);
                let tool = e
                    .call_id
                    .as_deref()
                    .and_then(|id| tools.get(id).copied().flatten());
                match e.status.as_deref() {
                    Some("rejected") => signals.push((e.seq, ("declined", tool_category(tool)))),
                    Some("cancelled") => signals.push((e.seq, ("cancelled", tool_category(tool)))),
                    _ => {}
                }
            }
            "interrupt" if tool_since_user || pending > 0 => {
                signals.push((e.seq, ("interrupted", "tool sequence")));
                pending = 0;
            }
            _ => {}
        }
    }
    group_by_turn(s, &signals)
        .into_iter()
        .map(|g| {
            let n = g.len();
            let (verb, what) = g[0].1;
            let citation = match (verb, n) {
                ("interrupted", 1) => {
                    "user interrupted the agent in the middle of a tool sequence".to_string()
                }
                ("declined", 1) => format!("user declined a proposed {what}"),
                ("cancelled", 1) => format!("user cancelled a running {what}"),
                _ => format!("user declined or interrupted {n} tool calls in a row"),
            };
            Moment::new(
                FrictionType::AbandonedTool,
                if n > 1 {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                g[0].0,
                g[n - 1].0,
                citation,
                0.97,
            )
        })
        .collect()
}

/// The error moments alone (the delight pass's recoveries start from them; no
/// embedding, unlike the whole pass).
pub(crate) fn error_moments(s: &Session) -> Vec<Moment> {
    error_event(s)
}

fn error_event(s: &Session) -> Vec<Moment> {
    let mut tools: HashMap<&str, Option<&str>> = HashMap::new();
    let mut signals: Vec<(i64, String)> = Vec::new();
    for e in &s.events {
        match e.kind.as_str() {
            "tool_call" => {
                if let Some(id) = e.call_id.as_deref() {
                    tools.insert(id, e.tool.as_deref());
                }
            }
            "tool_result" => {
                let tool = e
                    .call_id
                    .as_deref()
                    .and_then(|id| tools.get(id).copied().flatten());
                let category = tool_category(tool);
                // Many logs record a failed step as an ordinary result: only its
                // output says so (an exit code, an error line).
                let failed = e.status.as_deref() == Some("error")
                    || (e.status.as_deref().is_none_or(|s| s == "ok")
                        && e.output
                            .as_deref()
                            .is_some_and(|o| output_failed(o, category == "shell command")));
                if failed {
                    signals.push((e.seq, category.to_string()));
                }
            }
            // The agent's own failures, written into its messages (aider prints
            // edit-format and API errors among its replies).
            "assistant_message" | "agent_message"
                if e.text.as_deref().is_some_and(agent_failed) =>
            {
                signals.push((e.seq, "!execution error".to_string()));
            }
            "error" => {
                let t = format!(
                    "{} {}",
                    e.error_type.as_deref().unwrap_or(""),
                    e.message.as_deref().unwrap_or("")
                )
                .to_lowercase();
                let what = if t.contains("api")
                    || t.contains("overload")
                    || t.contains("rate limit")
                    || t.contains("529")
                    || t.contains("5xx")
                {
                    "API error"
                } else if t.contains("timeout") || t.contains("timed out") {
                    "timeout"
                } else if t.contains("crash") || t.contains("exited") || t.contains("panic") {
                    "crash"
                } else {
                    "execution error"
                };
                signals.push((e.seq, format!("!{what}")));
            }
            _ => {}
        }
    }
    group_by_turn(s, &signals)
        .into_iter()
        .map(|g| {
            let n = g.len();
            let system = g
                .iter()
                .find(|x| x.1.starts_with('!'))
                .map(|x| x.1.trim_start_matches('!').to_string());
            let citation = match (&system, n) {
                (Some(what), 1) => format!("the agent hit an {what}")
                    .replace("an crash", "a crash")
                    .replace("an timeout", "a timeout"),
                (Some(_), _) => {
                    format!("{n} errors in a row, including a failure of the agent itself")
                }
                (None, _) => {
                    let what = &g[0].1;
                    if n == 1 {
                        format!("a {what} failed")
                    } else {
                        format!("{n} tool calls failed in a row")
                    }
                }
            };
            let sev = match (system.is_some(), n) {
                (true, _) | (_, 3..) => Severity::Medium,
                _ => Severity::Low,
            };
            Moment::new(
                FrictionType::ErrorEvent,
                sev,
                g[0].0,
                g[n - 1].0,
                citation,
                0.98,
            )
        })
        .collect()
}

/// A nonzero exit code stated in a command's output (`Process exited with code 2`,
/// `exit code: 1`, `returned non-zero exit status 1`, `failed with status code 1`).
static EXIT_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(process exited with code|exit code:?|exit status:?|exited with (?:status|code)|returned non-zero exit status|(?:failed|exited|returned|error) with (?:exit |status |return )?code:?)\s*([1-9][0-9]*)\b")
        .expect("valid")
});

/// A line that is an error report, not code that mentions one: an unindented
/// `Error: ...`, `error[E0308]: ...`, `fatal: ...`, a Python exception line
/// (`ValueError: ...`, `litellm.RateLimitError: ...`), a traceback's first line, a
/// shell's "command not found" or "No such file or directory", a failed test line,
/// an editor tool's refusal.
static ERROR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ ?(?:(?:error|fatal|ERROR|FATAL|Error)(?:\[[A-Z0-9]+\])?:\s|Traceback \(most recent call last\)|thread '[^']*' panicked|panic: |npm ERR! |FAILED |FAIL\s|--- FAIL|[A-Za-z_][\w.]*(?:Error|Exception): |\S*(?:ba|z)?sh: .*(?:command not found|No such file or directory|Permission denied)|.*: command not found$|\S+: program not found|No file open|No replacement was performed|Your edit was not applied|The LLM did not conform to the edit format)")
        .expect("valid")
});

/// A test run's summary that counts failures (`1 failed, 57 passed`, `Tests: 2
/// failed`, `test result: FAILED`).
static TEST_FAILURES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|[\s,(])[1-9][0-9]* (failed|failing|errors?)\b|test result: FAILED")
        .expect("valid")
});

/// Whether an `ok` result's output says the step failed: a nonzero exit code in
/// its header or its last lines, a failing test summary in its last lines, or an
/// error line. A command's output is read whole (its error line may sit between
/// banner and stack); other tools' output (a file read, a search) only at its first
/// or last line, where a failing tool puts it: a file's text that merely mentions
/// errors has them indented or mid-file.
pub fn output_failed(output: &str, command: bool) -> bool {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let (head, tail) = (
        &lines[..lines.len().min(6)],
        &lines[lines.len().saturating_sub(3)..],
    );
    if head.iter().chain(tail).any(|l| EXIT_CODE.is_match(l)) {
        return true;
    }
    if command {
        return tail.iter().any(|l| TEST_FAILURES.is_match(l))
            || lines.iter().take(200).any(|l| ERROR_LINE.is_match(l));
    }
    [lines.first(), lines.last()]
        .into_iter()
        .flatten()
        .any(|l| ERROR_LINE.is_match(l))
}

/// Whether an agent message reports the agent's own failure (its first line is
/// an error report: an API error, an edit it could not apply).
pub fn agent_failed(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| ERROR_LINE.is_match(l) && !l.starts_with("No file open"))
}

/// One completed add->remove cycle of a path: (add seq, remove seq, remove ts).
type Cycle = (i64, i64, Option<i64>);

fn context_churn(s: &Session, p: &FrictionParams) -> Vec<Moment> {
    // Per path: is it in context, the seq it was last added at, and its cycles.
    let mut state: HashMap<&str, (bool, i64, Vec<Cycle>)> = HashMap::new();
    for e in &s.events {
        let Some(path) = e.path.as_deref() else {
            continue;
        };
        let entry = state.entry(path).or_insert((false, 0, Vec::new()));
        match e.kind.as_str() {
            "context_add" if !entry.0 => {
                entry.0 = true;
                entry.1 = e.seq;
            }
            "context_remove" if entry.0 => {
                entry.0 = false;
                let start = entry.1;
                entry.2.push((start, e.seq, e.ts));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut paths: Vec<_> = state
        .into_values()
        .filter(|v| v.2.len() >= p.churn_cycles)
        .collect();
    paths.sort_by_key(|v| v.2[0].0);
    for (_, _, cycles) in paths {
        // The longest run of cycles inside the window.
        let mut best: Option<(usize, usize)> = None;
        for i in 0..cycles.len() {
            let mut j = i;
            while j + 1 < cycles.len()
                && p.churn_window_s
                    .is_none_or(|w| match (cycles[i].2, cycles[j + 1].2) {
                        (Some(a), Some(b)) => (b - a) <= w * 1_000_000,
                        _ => true,
                    })
            {
                j += 1;
            }
            if j + 1 - i >= p.churn_cycles && best.is_none_or(|(a, b)| j - i > b - a) {
                best = Some((i, j));
            }
        }
        if let Some((i, j)) = best {
            let n = j + 1 - i;
            let sev = if n >= 5 {
                Severity::High
            } else if n >= 4 {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.push(Moment::new(
                FrictionType::ContextChurn,
                sev,
                cycles[i].0,
                cycles[j].1,
                format!(
                    "the same file was added to and removed from the agent's context {n} times"
                ),
                0.97,
            ));
        }
    }
    out
}

fn rephrasing_cascade(s: &Session, p: &FrictionParams) -> Vec<Moment> {
    let turns = crate::rephrase::turns(s);
    crate::rephrase::chains(&turns, p.cascade_len)
        .into_iter()
        .map(|chain| {
            let n = chain.len() - 1;
            let first = turns[chain[0]].event.seq;
            let last = turns[chain[n]].event.seq;
            let edits = chain
                .iter()
                .filter(|i| turns[**i].event.kind == "message_edit")
                .count();
            let sev = if n >= 3 {
                Severity::High
            } else {
                Severity::Medium
            };
            let how = if edits > 0 {
                ", partly by editing the earlier message"
            } else {
                ""
            };
            Moment::new(
                FrictionType::RephrasingCascade,
                sev,
                first,
                last,
                format!("user restated the same request {n} times in other words after unsatisfying attempts{how}"),
                0.8,
            )
        })
        .collect()
}

fn tone_escalation(s: &Session) -> Vec<Moment> {
    let mut signals: Vec<(i64, (bool, bool))> = Vec::new();
    // Capitals in a request before the agent did anything are emphasis of the
    // task ("DO NOT CHANGE THE PUBLIC API"), not shouting at the agent.
    let mut agent_acted = false;
    for e in &s.events {
        if matches!(
            e.kind.as_str(),
            "tool_call" | "assistant_message" | "agent_message"
        ) {
            agent_acted = true;
        }
        if !e.is_user_turn() {
            continue;
        }
        let plain = strip_quoted(e.text.as_deref().unwrap_or(""));
        let to_agent = addressed(&plain);
        // Frustration is a reaction to what the agent did: before it acted, only
        // words aimed at it count (a session resumed after a bad one), never
        // capitals or emphasis in the task itself.
        let counts = agent_acted || (to_agent && plain.split_whitespace().count() <= 60);
        if !counts {
            continue;
        }
        let hits = FRUSTRATION.matches(&plain);
        let words = if hits.is_empty() {
            (INTERJECTION.is_match(&plain) && (to_agent || CORRECTION_CUE.is_match(&plain)))
                || (GROAN.is_match(&plain) && CORRECTION_CUE.is_match(&plain))
        } else {
            !(hits == [0] && FRUSTRATION_EXCLUDE.is_match(&plain))
        };
        let shouting = agent_acted && shouting(&plain);
        if words || shouting {
            signals.push((e.seq, (shouting, words)));
        }
    }
    signals
        .into_iter()
        .map(|(seq, (shouting, words))| {
            let (citation, sev) = match (shouting, words) {
                (true, true) => (
                    "user vented frustration at the agent, in capitals",
                    Severity::High,
                ),
                (true, false) => (
                    "user wrote to the agent in capitals, shouting",
                    Severity::Medium,
                ),
                _ => (
                    "user voiced frustration or annoyance at the agent",
                    Severity::Medium,
                ),
            };
            Moment::new(
                FrictionType::ToneEscalation,
                sev,
                seq,
                seq,
                citation.into(),
                0.85,
            )
        })
        .collect()
}

fn backtracking(s: &Session) -> Vec<Moment> {
    let mut agent_acted = false;
    let mut out = Vec::new();
    for e in &s.events {
        // Agents without tool calls in their logs (aider) act in their replies.
        if matches!(
            e.kind.as_str(),
            "tool_call" | "assistant_message" | "agent_message"
        ) {
            agent_acted = true;
        }
        if !e.is_user_turn() || !agent_acted {
            continue;
        }
        let plain = strip_quoted(e.text.as_deref().unwrap_or(""));
        if BACKTRACK.is_match(&plain) && !BACKTRACK_TASK.is_match(&plain) {
            out.push(Moment::new(
                FrictionType::Backtracking,
                Severity::Medium,
                e.seq,
                e.seq,
                "user asked the agent to undo or revert a change it had made".into(),
                0.85,
            ));
        }
    }
    out
}

fn platform_confusion(s: &Session) -> Vec<Moment> {
    let mut out = Vec::new();
    for e in s.user_turns() {
        let plain = strip_quoted(e.text.as_deref().unwrap_or(""));
        if (PLATFORM.is_match(&plain) || platform_by_concept(&plain))
            && !PLATFORM_EXCLUDE.is_match(&plain)
        {
            out.push(Moment::new(
                FrictionType::PlatformConfusion,
                Severity::Low,
                e.seq,
                e.seq,
                "user was unsure how the agent product itself works (its commands, modes, permissions, memory or what it can see)".into(),
                0.8,
            ));
        }
    }
    out
}
