//! `signals generate`: realistic synthetic agent sessions in the interchange format,
//! with a ground-truth label file, for development, demos and benchmarks.
//!
//! Deterministic for a seed (each session has its own RNG derived from the seed and
//! its index) and streaming: sessions are written as they are made, so a million
//! sessions take no more memory than one.

mod text;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use text::*;

/// The seven friction types (spec identifiers).
pub const FRICTION_TYPES: [&str; 7] = [
    "abandoned_tool",
    "rephrasing_cascade",
    "context_churn",
    "error_event",
    "tone_escalation",
    "backtracking",
    "platform_confusion",
];

/// Base share of sessions that get each friction type (long sessions more, short less).
const BASE_RATES: [f64; 7] = [0.12, 0.10, 0.06, 0.16, 0.08, 0.08, 0.07];

/// Agent versions released over the generated period, in order.
/// The chance that a cascade goes on after 2, 3, 4, 5 restatements.
const CASCADE_GOES_ON: [f64; 4] = [0.4, 0.5, 0.6, 0.7];
/// The chance that a session with context churn escalates in tone (when it
/// did not already).
const TONE_AFTER_CHURN: f64 = 0.3;
const VERSIONS: [&str; 3] = ["1.4.2", "1.5.0", "1.6.0"];
const MODELS: [&str; 4] = ["gpt-5", "gpt-5-mini", "claude-sonnet-4.5", "gemini-2.5-pro"];

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the output failed.
    #[error("writing {path}: {source}")]
    Io {
        /// File being written.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
}

/// Result alias of the generator.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A planted change: from `version` on, `friction` happens `factor` times as often.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedChange {
    /// Friction type id.
    pub friction: String,
    /// First agent version with the change.
    pub version: String,
    /// Multiplier of the type's rate (0.4 = a 60% drop).
    pub factor: f64,
}

/// A planted theme that no core facet describes: a share of sessions are about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedTheme {
    /// Theme: `ci_pipeline` (sessions configuring CI pipelines: GitHub Actions,
    /// GitLab CI, Jenkins, CircleCI files and commands, across intents).
    pub name: String,
    /// Share of sessions (0..1).
    pub share: f64,
}

/// Themes `PlantedTheme::name` can be.
pub const THEMES: [&str; 1] = ["ci_pipeline"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// Number of sessions.
    pub sessions: u64,
    /// Number of days they spread over.
    pub days: u32,
    /// RNG seed.
    pub seed: u64,
    /// First day.
    pub start: NaiveDate,
    /// Output directory.
    pub out: PathBuf,
    /// Planted changes of friction rates after version bumps. Changes of one
    /// type compound: `x@1.5.0*3` and `x@1.6.0*0.2` give 1.5.0 three times the
    /// rate and 1.6.0 0.6 times.
    pub changes: Vec<PlantedChange>,
    /// Where the labels go (default: `out/labels.jsonl`).
    pub labels: Option<PathBuf>,
    /// A planted theme (none by default; sessions without it are unchanged).
    pub theme: Option<PlantedTheme>,
    /// Share of long sessions (30-200 steps, long-tailed; the rest 3-25 steps).
    /// 0.6 by default (about 100 events per session); 0.3 gives about 60.
    pub long_share: f64,
    /// Real-size tool outputs: file reads and command runs return long-tailed
    /// bodies (Pareto, a median of ~70 lines, up to 8,000), a file read again
    /// returns the same text, as real sessions do (a long session is 100k+
    /// tokens). Off by default: the same seed then gives the same sessions as
    /// before this existed.
    pub real_size: bool,
}

impl GenConfig {
    /// Defaults: 300 sessions over 14 days from 2026-11-01, seed 42, and rephrasing
    /// cascades dropping by 60% from version 1.6.0 on.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            sessions: 300,
            days: 14,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
            out: out.into(),
            changes: vec![PlantedChange {
                friction: "rephrasing_cascade".into(),
                version: "1.6.0".into(),
                factor: 0.4,
            }],
            labels: None,
            theme: None,
            long_share: 0.6,
            real_size: false,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct GenReport {
    /// Sessions written.
    pub sessions: u64,
    /// Events written.
    pub events: u64,
    /// Sessions with >= 30 tool calls.
    pub long_sessions: u64,
    /// Sessions without friction.
    pub clean_sessions: u64,
    /// Sessions per planted friction type.
    pub by_type: BTreeMap<String, u64>,
    /// Files written (one per day, plus labels.jsonl).
    pub files: Vec<PathBuf>,
}

/// Generate sessions and `labels.jsonl` into `cfg.out`.
pub fn generate(cfg: &GenConfig) -> Result<GenReport> {
    if cfg.days == 0 {
        return Err(Error::Config("--days must be at least 1".into()));
    }
    if let Some(t) = &cfg.theme
        && (!THEMES.contains(&t.name.as_str()) || !(0.0..=1.0).contains(&t.share))
    {
        return Err(Error::Config(format!(
            "theme {:?} with share {}: themes are {} and the share is 0..1",
            t.name,
            t.share,
            THEMES.join(", ")
        )));
    }
    if let Some(c) = cfg
        .changes
        .iter()
        .find(|c| !FRICTION_TYPES.contains(&c.friction.as_str()))
    {
        return Err(Error::Config(format!(
            "unknown friction type {:?}; one of {}",
            c.friction,
            FRICTION_TYPES.join(", ")
        )));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(&cfg.out).map_err(io(&cfg.out))?;
    let labels_path = cfg
        .labels
        .clone()
        .unwrap_or_else(|| cfg.out.join("labels.jsonl"));
    if let Some(parent) = labels_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mut labels = BufWriter::new(File::create(&labels_path).map_err(io(&labels_path))?);
    let mut report = GenReport::default();
    let users = (cfg.sessions / 15).clamp(8, 5000);
    let mut index = 0u64;
    for day in 0..cfg.days {
        let date = cfg.start + Duration::days(i64::from(day));
        let n = cfg.sessions / u64::from(cfg.days)
            + u64::from(u64::from(day) < cfg.sessions % u64::from(cfg.days));
        let path = cfg.out.join(format!("sessions-{date}.jsonl"));
        let mut out = BufWriter::new(File::create(&path).map_err(io(&path))?);
        for _ in 0..n {
            let mut rng =
                ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index);
            let s = make_session(&mut rng, cfg, day, date, users);
            for line in &s.lines {
                serde_json::to_writer(&mut out, line).map_err(|e| Error::Io {
                    path: path.display().to_string(),
                    source: e.into(),
                })?;
                out.write_all(b"\n").map_err(io(&path))?;
            }
            let mut label = json!({
                "session_id": s.id,
                "frictions": s.frictions,
                "outcome": s.outcome,
                "languages": [s.language],
            });
            if let Some(t) = s.theme {
                // An extra key (the spec's label readers ignore unknown keys).
                label["theme"] = json!(t);
            }
            serde_json::to_writer(&mut labels, &label).map_err(|e| Error::Io {
                path: labels_path.display().to_string(),
                source: e.into(),
            })?;
            labels.write_all(b"\n").map_err(io(&labels_path))?;
            report.sessions += 1;
            report.events += s.lines.len() as u64;
            report.long_sessions += u64::from(s.steps >= 30);
            report.clean_sessions += u64::from(s.frictions.is_empty());
            for f in &s.frictions {
                *report.by_type.entry(f.clone()).or_default() += 1;
            }
            index += 1;
        }
        out.flush().map_err(io(&path))?;
        report.files.push(path);
    }
    labels.flush().map_err(io(&labels_path))?;
    report.files.push(labels_path);
    Ok(report)
}

struct Session {
    id: String,
    lines: Vec<Value>,
    frictions: Vec<String>,
    outcome: &'static str,
    language: &'static str,
    steps: u32,
    theme: Option<&'static str>,
}

/// Builds one session's events with increasing seq and time.
struct Builder<'a> {
    id: String,
    seq: i64,
    ts: DateTime<Utc>,
    lines: Vec<Value>,
    steps: u32,
    call: u32,
    rng: &'a mut ChaCha8Rng,
    /// Real-size outputs ([`GenConfig::real_size`]).
    real_size: bool,
    /// Restatements of the session's rephrasing cascade (0: none).
    restatements: usize,
}

impl Builder<'_> {
    fn push(&mut self, kind: &str, fields: Value, max_gap_s: i64) {
        let gap = self.rng.random_range(1..=max_gap_s.max(1));
        self.ts += Duration::seconds(gap);
        let mut obj = json!({
            "session_id": self.id,
            "seq": self.seq,
            "ts": self.ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "kind": kind,
        });
        if let (Value::Object(o), Value::Object(f)) = (&mut obj, fields) {
            o.extend(f);
        }
        self.lines.push(obj);
        self.seq += 1;
    }

    fn user(&mut self, text: &str) -> i64 {
        self.push("user_message", json!({"text": text}), 90);
        self.seq - 1
    }

    fn assistant(&mut self, text: &str) {
        self.push("assistant_message", json!({"text": text}), 20);
    }

    fn tool(&mut self, tool: &str, args: Value, status: &str, output: &str) {
        let bulk;
        let output = if self.real_size && !output.is_empty() {
            // Its own draws, so that the session's events are the same with or
            // without real-size outputs: only the bodies grow.
            let seed = fnv1a_from(u64::from(self.call), &self.id);
            bulk = real_size_output(&mut ChaCha8Rng::seed_from_u64(seed), tool, &args, output);
            bulk.as_str()
        } else {
            output
        };
        self.call += 1;
        let call_id = format!("c{}", self.call);
        self.push(
            "tool_call",
            json!({"call_id": call_id, "tool": tool, "args": args}),
            15,
        );
        self.steps += 1;
        self.push(
            "tool_result",
            json!({"call_id": call_id, "status": status, "output": output}),
            30,
        );
    }
}

struct Topic {
    lang: &'static Lang,
    obj: &'static str,
    stem: &'static str,
    goal: usize,
    /// The planted CI theme's variant, for a themed session.
    ci: Option<&'static CiVariant>,
}

impl Topic {
    fn fill(&self, t: &str) -> String {
        t.replace("{obj}", self.obj)
            .replace("{stem}", self.stem)
            .replace("{goal}", GOALS[self.goal])
    }

    fn path(&self, rng: &mut ChaCha8Rng) -> String {
        if let Some(ci) = self.ci
            && rng.random_bool(0.35)
        {
            return pick(rng, ci.paths).to_string();
        }
        let dir = self.lang.dirs.choose(rng).copied().unwrap_or("src");
        let stem = if rng.random_bool(0.6) {
            self.stem
        } else {
            self.lang.stems.choose(rng).copied().unwrap_or(self.stem)
        };
        format!("{dir}/{stem}.{}", self.lang.ext)
    }
}

/// Some ordinary agent work: reads, searches, edits, test runs, all succeeding.
fn work(b: &mut Builder<'_>, topic: &Topic, steps: u32) {
    for _ in 0..steps {
        let path = topic.path(b.rng);
        match b.rng.random_range(0..10) {
            0..=2 => b.tool(
                "read_file",
                json!({"path": path}),
                "ok",
                "fn main() {\n    // 120 lines\n}",
            ),
            3 => b.tool(
                "search",
                json!({"query": topic.stem, "path": topic.lang.dirs[0]}),
                "ok",
                "3 matches",
            ),
            4 => b.tool(
                "list_dir",
                json!({"path": topic.lang.dirs[0]}),
                "ok",
                "mod.rs\nlib.rs",
            ),
            5..=7 => b.tool(
                "edit_file",
                json!({"path": path, "old": "let x = 1;", "new": "let x = 2;"}),
                "ok",
                "applied 1 hunk",
            ),
            8 => {
                let out = *[
                    "all tests passed; 0 errors, 0 warnings",
                    "ok. 42 passed; 0 failed",
                    "build finished, error handling paths covered",
                    "lint: 0 problems",
                ]
                .choose(b.rng)
                .unwrap_or(&"ok");
                let cmd = match topic.ci {
                    Some(ci) if !ci.command.is_empty() && b.rng.random_bool(0.5) => ci.command,
                    _ => topic.lang.test_cmd,
                };
                b.tool("run_command", json!({"command": cmd}), "ok", out)
            }
            _ => {
                // Manifests name the frameworks in use, as real ones do.
                let deps = topic.lang.frameworks.join("\n");
                b.tool(
                    "read_file",
                    json!({"path": topic.lang.manifest}),
                    "ok",
                    &format!("dependencies:\n{deps}"),
                )
            }
        }
    }
}

/// FNV-1a of `text` from the start value `h` (the standard offset basis, or a
/// counter to tell calls apart): stable across runs and machines.
fn fnv1a_from(h: u64, text: &str) -> u64 {
    text.bytes()
        .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A real-size body for a tool's short `output`: a file's text for a read (the
/// same path always reads the same), a long log for a command, the short output
/// itself for anything else. Line counts are Pareto-distributed (xm 40, alpha
/// 1.2: median ~70, a long tail cut at 8,000): most outputs are short, a few are
/// whole files and full test logs.
fn real_size_output(rng: &mut ChaCha8Rng, tool: &str, args: &Value, output: &str) -> String {
    let pareto = |u: f64| ((40.0 / u.max(1e-9).powf(1.0 / 1.2)) as usize).min(8_000);
    match tool {
        "read_file" => {
            let path = args["path"].as_str().unwrap_or("");
            let h = fnv1a_from(0xcbf2_9ce4_8422_2325, path);
            let mut file = ChaCha8Rng::seed_from_u64(h);
            let lines = pareto(file.random::<f64>());
            let mut text = String::from(output);
            for i in 0..lines {
                let k = file.random_range(0..97);
                text.push_str(&match i % 7 {
                    0 => format!("\n/// Returns the {k}th entry of the table, or none when out of range."),
                    1 => format!("\nfn step_{i}(input: &Input, state: &mut State) -> Result<Value, Error> {{"),
                    2 => format!("\n    let value_{k} = state.lookup(input.key_{k}).ok_or(Error::Missing({i}))?;"),
                    3 => format!("\n    if value_{k}.len() > {} {{ return Err(Error::TooLong(value_{k}.len())); }}", k * 8),
                    4 => format!("\n    state.cache.insert(input.key_{k}.clone(), value_{k}.clone());"),
                    5 => format!("\n    Ok(value_{k})"),
                    _ => "\n}".to_string(),
                });
            }
            text
        }
        "run_command" => {
            let lines = pareto(rng.random::<f64>());
            let mut text = String::new();
            for i in 0..lines {
                let ms = rng.random_range(0..900);
                text.push_str(&match i % 5 {
                    0 => format!("   Compiling module_{i} v0.{}.{}\n", i % 9, ms % 13),
                    1 => format!("test suite::case_{i}_handles_input_{ms} ... ok\n"),
                    2 => format!("test suite::case_{i}_round_trips ... ok ({ms} ms)\n"),
                    3 => format!("warning: unused variable `tmp_{i}` at line {ms}\n"),
                    _ => format!(
                        "[{:>4}.{:03}s] step {i}: {ms} records processed\n",
                        i / 10,
                        ms
                    ),
                });
            }
            text.push_str(output);
            text
        }
        _ => output.to_string(),
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs.choose(rng).copied().unwrap_or("")
}

fn restatement(rng: &mut ChaCha8Rng, topic: &Topic, used: &mut Vec<usize>) -> String {
    if rng.random_bool(0.2) {
        let (lang, forms) = RESTATE_OTHER
            .choose(rng)
            .copied()
            .unwrap_or(RESTATE_OTHER[0]);
        let goal = match lang {
            "es" => GOALS_ES[topic.goal],
            "de" => GOALS_DE[topic.goal],
            "fr" => GOALS_FR[topic.goal],
            _ => GOALS_PT[topic.goal],
        };
        let t = pick(rng, forms);
        let key = format!("{{goal_{lang}}}");
        return t.replace("{obj}", topic.obj).replace(&key, goal);
    }
    let mut i = rng.random_range(0..RESTATE_FORMS.len());
    while used.contains(&i) && used.len() < RESTATE_FORMS.len() {
        i = (i + 1) % RESTATE_FORMS.len();
    }
    used.push(i);
    let prefix = pick(rng, RESTATE_PREFIX);
    let body = topic.fill(RESTATE_FORMS[i]);
    let mut s = format!("{prefix}{body}");
    if rng.random_bool(0.3) {
        s = s.to_lowercase();
    }
    s
}

fn make_session(
    rng: &mut ChaCha8Rng,
    cfg: &GenConfig,
    day: u32,
    date: NaiveDate,
    users: u64,
) -> Session {
    let id = format!("sess-{:016x}", rng.random::<u64>());
    let lang = LANGS.choose(rng).unwrap_or(&LANGS[0]);
    let intent = INTENTS.choose(rng).unwrap_or(&INTENTS[0]);
    // Random draws for a theme only when one is planted: without it, a seed
    // gives the same sessions as before themes existed.
    let ci = match &cfg.theme {
        Some(t) if rng.random_bool(t.share) => CI_VARIANTS.choose(rng),
        _ => None,
    };
    let topic = Topic {
        lang,
        obj: pick(rng, OBJECTS),
        stem: pick(rng, lang.stems),
        goal: rng.random_range(0..GOALS.len()),
        ci,
    };
    // Versions roll out over the period; some users lag one version behind.
    let phase = ((u64::from(day) * VERSIONS.len() as u64) / u64::from(cfg.days)) as usize;
    let vi = if phase > 0 && rng.random_bool(0.2) {
        phase - 1
    } else {
        phase
    };
    let version = VERSIONS[vi.min(VERSIONS.len() - 1)];

    let long = rng.random_bool(cfg.long_share.clamp(0.0, 1.0));
    let target_steps: u32 = if long {
        // Long-tailed: most 30-70, some up to 200.
        let x: f64 = rng.random::<f64>();
        30 + (x * x * x * 170.0) as u32
    } else {
        rng.random_range(3..=25)
    };
    let mut frictions: Vec<&'static str> = Vec::new();
    for (i, t) in FRICTION_TYPES.iter().enumerate() {
        let mut p = BASE_RATES[i] * if long { 1.4 } else { 0.5 };
        for c in &cfg.changes {
            if c.friction == *t && version_ge(version, &c.version) {
                p *= c.factor;
            }
        }
        if rng.random_bool(p.clamp(0.0, 1.0)) {
            frictions.push(t);
        }
    }
    // Context churn leads to frustration (the seed's finding): a session with
    // churn escalates in tone more often, and later than the churn (below).
    if frictions.contains(&"context_churn")
        && !frictions.contains(&"tone_escalation")
        && rng.random_bool(TONE_AFTER_CHURN)
    {
        frictions.push("tone_escalation");
    }
    let abandoned = rng.random_bool(if frictions.is_empty() { 0.05 } else { 0.3 });

    let start = date
        .and_hms_opt(
            rng.random_range(6..22),
            rng.random_range(0..60),
            rng.random_range(0..60),
        )
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let user = format!("u-{:04x}", rng.random_range(0..users));
    let repo = format!("r-{:04x}", rng.random_range(0..users / 2 + 1));
    let model = pick(rng, &MODELS);
    let mut b = Builder {
        id: id.clone(),
        seq: 0,
        ts: start,
        lines: Vec::new(),
        steps: 0,
        call: 0,
        rng,
        real_size: cfg.real_size,
        restatements: 0,
    };
    b.push("session_start", json!({"agent": "droid", "agent_version": version, "model": model, "user": user, "repo": repo}), 1);

    // Friction moments are placed into "slots" between chunks of ordinary work.
    let mut order: Vec<&'static str> = frictions.clone();
    order.shuffle_with(b.rng);
    if let (Some(c), Some(t)) = (
        order.iter().position(|f| *f == "context_churn"),
        order.iter().position(|f| *f == "tone_escalation"),
    ) && t < c
    {
        order.swap(c, t);
    }
    let chunks = order.len() as u32 + 1 + b.rng.random_range(0..3);
    let per_chunk = (target_steps / chunks).max(1);

    let opener = if topic.ci.is_some() {
        topic.fill(pick(b.rng, CI_TASKS))
    } else if matches!(intent.id, "bug_fix") && b.rng.random_bool(0.3) {
        topic.fill(pick(b.rng, CALM_NEGATIVES))
    } else {
        topic.fill(pick(b.rng, intent.tasks))
    };
    b.user(&opener);
    let reply = topic.fill(pick(b.rng, ASSISTANT));
    b.assistant(&reply);
    let mut opened: Vec<String> = (0..b.rng.random_range(1..4))
        .map(|_| topic.path(b.rng))
        .collect();
    opened.sort();
    opened.dedup();
    for path in opened {
        b.push("context_add", json!({"path": path}), 5);
    }
    // A hard negative for context churn: one or two add/remove cycles.
    if b.rng.random_bool(0.25) && !order.contains(&"context_churn") {
        let p = topic.path(b.rng);
        for _ in 0..b.rng.random_range(1..=2) {
            b.push("context_add", json!({"path": p}), 10);
            b.push("context_remove", json!({"path": p}), 30);
        }
    }

    for slot in 0..chunks {
        work(&mut b, &topic, per_chunk);
        if let Some(f) = order.get(slot as usize).copied() {
            plant(&mut b, &topic, f);
        } else if slot + 1 < chunks {
            ordinary_turn(&mut b, &topic);
        }
    }
    let remaining = target_steps.saturating_sub(b.steps);
    work(&mut b, &topic, remaining);

    // A longer cascade ends in giving up more often (the seed's "cascades
    // compound"): from the third restatement on, each adds 15 points.
    let abandoned = abandoned
        || (b.restatements > 2
            && b.rng
                .random_bool((0.15 * (b.restatements - 2) as f64).min(0.6)));
    let outcome = if abandoned {
        if b.rng.random_bool(0.7) {
            b.push("session_end", json!({"status": "abandoned"}), 60);
        }
        "abandoned"
    } else {
        // Recovery beats perfection (the seed's finding): a user whose agent
        // fixed its own failure thanks it warmly and nearly always; others
        // thank it about half the time.
        if frictions.contains(&"error_event") && b.rng.random_bool(0.85) {
            let t = pick(b.rng, THANKS_AFTER_FIX);
            b.user(t);
        } else if b.rng.random_bool(0.55) {
            let t = pick(b.rng, THANKS);
            b.user(t);
        } else {
            let t = pick(b.rng, WRAP_UPS);
            b.assistant(t);
        }
        if b.rng.random_bool(0.88) {
            b.push("session_end", json!({"status": "completed"}), 30);
        }
        "completed"
    };
    let steps = b.steps;
    let mut fr: Vec<String> = frictions.iter().map(|s| s.to_string()).collect();
    fr.sort();
    Session {
        id,
        lines: b.lines,
        frictions: fr,
        outcome,
        language: lang.id,
        steps,
        theme: topic.ci.map(|_| "ci_pipeline"),
    }
}

/// An ordinary user turn: a follow-up request, a single restatement, or a
/// hard negative; never friction by the spec's definitions.
fn ordinary_turn(b: &mut Builder<'_>, topic: &Topic) {
    match b.rng.random_range(0..10) {
        0..=4 => {
            let t = pick(b.rng, FOLLOW_UPS);
            b.user(t);
        }
        5 => {
            // A new request and one restatement of it: not a cascade.
            let mut used = Vec::new();
            let lead = pick(b.rng, NEW_REQUEST);
            let first = format!(
                "{lead}{}",
                topic.fill(RESTATE_FORMS[b.rng.random_range(0..RESTATE_FORMS.len())])
            );
            b.user(&first);
            work(b, topic, 2);
            let again = restatement(b.rng, topic, &mut used);
            b.user(&again);
            let ok = pick(b.rng, FOLLOW_UPS);
            work(b, topic, 1);
            b.user(ok);
        }
        6 => {
            let t = topic.fill(pick(b.rng, CALM_NEGATIVES));
            b.user(&t);
        }
        7 => {
            let t = topic.fill(pick(b.rng, PLATFORM_NEGATIVES));
            b.user(&t);
        }
        _ => {
            let t = topic.fill(pick(b.rng, ASSISTANT));
            b.assistant(&t);
        }
    }
}

fn plant(b: &mut Builder<'_>, topic: &Topic, friction: &str) {
    match friction {
        "abandoned_tool" => {
            let path = topic.path(b.rng);
            match b.rng.random_range(0..3) {
                0 => b.tool("edit_file", json!({"path": path}), "rejected", ""),
                1 => b.tool(
                    "run_command",
                    json!({"command": topic.lang.build_cmd}),
                    "cancelled",
                    "^C",
                ),
                _ => {
                    b.call += 1;
                    let id = format!("c{}", b.call);
                    b.push("tool_call", json!({"call_id": id, "tool": "run_command", "args": {"command": topic.lang.test_cmd}}), 10);
                    b.steps += 1;
                    b.push("interrupt", json!({}), 20);
                }
            }
            if b.rng.random_bool(0.5) {
                let t = pick(b.rng, FOLLOW_UPS);
                b.user(t);
            }
        }
        "rephrasing_cascade" => {
            // The cascade is about a request of its own (another goal, on
            // another object than the session's first request), so that its
            // original is the turn below and its length is what was planted.
            let mut obj = pick(b.rng, OBJECTS);
            while obj == topic.obj {
                obj = pick(b.rng, OBJECTS);
            }
            let other = Topic {
                goal: (topic.goal + 1 + b.rng.random_range(0..GOALS.len() - 1)) % GOALS.len(),
                obj,
                ..*topic
            };
            let topic = &other;
            let mut used = Vec::new();
            let first = topic.fill(pick(b.rng, ORIGINAL_FORMS));
            let first_seq = b.user(&first);
            // Cascades compound (the seed's finding): each restatement makes the
            // next more likely. Two at least (the spec's cascade), then one more
            // with probability 0.4, 0.5, 0.6, 0.7.
            let mut n = 2;
            while n < 6 && b.rng.random_bool(CASCADE_GOES_ON[n - 2]) {
                n += 1;
            }
            b.restatements = n;
            for _ in 0..n {
                let n = b.rng.random_range(1..4);
                work(b, topic, n);
                let reply = topic.fill(pick(b.rng, ASSISTANT));
                b.assistant(&reply);
                let again = restatement(b.rng, topic, &mut used);
                if b.rng.random_bool(0.2) {
                    b.push(
                        "message_edit",
                        json!({"text": again, "edits_seq": first_seq}),
                        40,
                    );
                } else {
                    b.user(&again);
                }
            }
        }
        "context_churn" => {
            let path = topic.path(b.rng);
            for _ in 0..b.rng.random_range(3..=5) {
                b.push("context_add", json!({"path": path}), 20);
                work(b, topic, 1);
                b.push("context_remove", json!({"path": path}), 20);
            }
        }
        "error_event" => {
            if b.rng.random_bool(0.75) {
                let out = pick(b.rng, topic.lang.errors).replace("{stem}", topic.stem);
                b.tool(
                    "run_command",
                    json!({"command": topic.lang.test_cmd}),
                    "error",
                    &out,
                );
            } else {
                let (t, m) = *[
                    ("api_error", "upstream model returned 529 overloaded"),
                    ("timeout", "tool execution timed out after 120s"),
                    ("crash", "agent process exited unexpectedly"),
                ]
                .choose(b.rng)
                .unwrap_or(&("api_error", "error"));
                b.push("error", json!({"error_type": t, "message": m}), 30);
            }
        }
        "tone_escalation" => {
            let mut t = pick(b.rng, FRUSTRATION).to_string();
            if b.rng.random_bool(0.5) {
                // An instruction unrelated to the session's request, so that the
                // message never restates it (which would plant a cascade unlabelled).
                let rest = topic.fill(pick(b.rng, TONE_TAILS));
                t = format!("{t} {rest}");
            }
            b.user(&t);
        }
        "backtracking" => {
            let t = topic.fill(pick(b.rng, BACKTRACK));
            b.user(&t);
            let path = topic.path(b.rng);
            b.tool("edit_file", json!({"path": path}), "ok", "reverted 1 hunk");
            b.assistant("I've reverted the change.");
        }
        "platform_confusion" => {
            let t = pick(b.rng, PLATFORM);
            b.user(t);
            b.assistant("Here is how that works in this tool.");
        }
        _ => {}
    }
}

fn version_ge(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parse(a) >= parse(b)
}

trait ShuffleWith {
    fn shuffle_with(&mut self, rng: &mut ChaCha8Rng);
}

impl<T> ShuffleWith for Vec<T> {
    fn shuffle_with(&mut self, rng: &mut ChaCha8Rng) {
        use rand::seq::SliceRandom;
        self.shuffle(rng);
    }
}

/// Every phrase the generator can put in a user's mouth (task templates, follow-ups,
/// thanks, restatements, frustration, undo, confusion and their hard negatives),
/// for the test that the built-in judge's lexicon shares no phrase with them: a
/// judge whose lexicon was copied from the templates would score well on generated
/// sessions and learn nothing about real ones.
pub fn user_phrases() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for i in text::INTENTS {
        out.extend(i.tasks.iter().copied());
    }
    for list in [
        text::FOLLOW_UPS,
        text::THANKS,
        text::THANKS_AFTER_FIX,
        text::ORIGINAL_FORMS,
        text::WRAP_UPS,
        text::RESTATE_PREFIX,
        text::RESTATE_FORMS,
        text::GOALS,
        text::GOALS_ES,
        text::GOALS_DE,
        text::GOALS_FR,
        text::GOALS_PT,
        text::FRUSTRATION,
        text::CALM_NEGATIVES,
        text::BACKTRACK,
        text::PLATFORM,
        text::PLATFORM_NEGATIVES,
        text::TONE_TAILS,
        text::NEW_REQUEST,
        text::CI_TASKS,
    ] {
        out.extend(list.iter().copied());
    }
    for (_, forms) in text::RESTATE_OTHER {
        out.extend(forms.iter().copied());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed_and_plants_every_type() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let mut cfg = GenConfig::new(a.path());
        cfg.sessions = 400;
        let ra = generate(&cfg).unwrap();
        cfg.out = b.path().to_path_buf();
        generate(&cfg).unwrap();
        for f in &ra.files {
            let name = f.file_name().unwrap();
            assert_eq!(
                std::fs::read(f).unwrap(),
                std::fs::read(b.path().join(name)).unwrap(),
                "{name:?} differs between two runs with the same seed"
            );
        }
        for t in FRICTION_TYPES {
            assert!(
                ra.by_type.get(t).copied().unwrap_or(0) >= 5,
                "{t}: {:?}",
                ra.by_type
            );
        }
        assert!(ra.clean_sessions > 50);
        assert!(ra.long_sessions > 100 && ra.long_sessions < 350);
        assert_eq!(ra.sessions, 400);
    }

    #[test]
    fn real_size_sessions_keep_their_labels_and_read_files_alike() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut cfg = GenConfig::new(a.path());
        cfg.sessions = 40;
        cfg.days = 1;
        generate(&cfg).unwrap();
        cfg.out = b.path().to_path_buf();
        cfg.real_size = true;
        generate(&cfg).unwrap();
        let read = |d: &std::path::Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        // The same sessions and labels, only bigger.
        assert_eq!(
            read(a.path(), "labels.jsonl"),
            read(b.path(), "labels.jsonl")
        );
        let (small, big) = (
            read(a.path(), "sessions-2026-11-01.jsonl"),
            read(b.path(), "sessions-2026-11-01.jsonl"),
        );
        assert_eq!(small.lines().count(), big.lines().count());
        assert!(
            big.len() > 5 * small.len(),
            "{} vs {}",
            big.len(),
            small.len()
        );
        // A path reads the same every time; outputs are long-tailed.
        let mut by_path: BTreeMap<String, String> = BTreeMap::new();
        let mut sizes = Vec::new();
        let mut calls: BTreeMap<String, String> = BTreeMap::new();
        for l in big.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            let key = format!("{}{}", v["session_id"], v["call_id"]);
            if v["kind"] == "tool_call" && v["tool"] == "read_file" {
                calls.insert(key, v["args"]["path"].as_str().unwrap().to_string());
            } else if v["kind"] == "tool_result"
                && let Some(path) = calls.get(&key)
                && v["status"] == "ok"
            {
                let out = v["output"].as_str().unwrap().to_string();
                sizes.push(out.lines().count());
                if let Some(prev) = by_path.insert(path.clone(), out.clone()) {
                    assert_eq!(prev, out, "{path} read differently");
                }
            }
        }
        sizes.sort();
        let median = sizes[sizes.len() / 2];
        assert!((40..200).contains(&median), "median {median} lines");
        assert!(
            *sizes.last().unwrap() > 10 * median,
            "a long tail: {sizes:?}"
        );
    }

    #[test]
    fn a_cascade_has_at_least_three_user_turns() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = GenConfig::new(d.path());
        cfg.sessions = 200;
        generate(&cfg).unwrap();
        let labels = std::fs::read_to_string(d.path().join("labels.jsonl")).unwrap();
        let cascade: Vec<String> = labels
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| {
                v["frictions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == "rephrasing_cascade")
            })
            .map(|v| v["session_id"].as_str().unwrap().to_string())
            .collect();
        assert!(!cascade.is_empty());
        let mut users: BTreeMap<String, usize> = BTreeMap::new();
        for f in std::fs::read_dir(d.path()).unwrap() {
            let f = f.unwrap().path();
            if !f
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sessions-")
            {
                continue;
            }
            for l in std::fs::read_to_string(&f).unwrap().lines() {
                let v: Value = serde_json::from_str(l).unwrap();
                let k = v["kind"].as_str().unwrap();
                if k == "user_message" || k == "message_edit" {
                    *users
                        .entry(v["session_id"].as_str().unwrap().into())
                        .or_default() += 1;
                }
            }
        }
        for s in cascade {
            assert!(users[&s] >= 4, "{s} has {} user turns", users[&s]);
        }
    }
}
