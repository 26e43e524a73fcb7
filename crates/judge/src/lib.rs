//! Judges: the friction and facet passes over sessions, and their evaluation.
//!
//! A [`Judge`] reads one session's events and returns friction moments and facets;
//! [`run`] applies a judge's passes to a date partition of the lake and writes the
//! `frictions` and `session_facets` tables; [`eval`] scores what is in the lake
//! against a label file.

pub mod delight;
pub mod discovered;
pub mod eval;
mod facets;
pub mod friction;
pub mod lexicon;
mod rephrase;
pub mod rows;
pub mod run;
mod session;
pub mod stage;
mod summary;
mod text;

use std::fmt;

pub use discovered::{Decision, FacetDef, ValueDef, accepted, decisions};
pub use friction::FrictionParams;
pub use session::{Event, Session};
pub use stage::{JudgeSource, PassJudge, Progress};

/// Errors of the judge crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake failure.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// DataFusion failure.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failure.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A label file problem, with file and line.
    #[error("{file}{}: {reason}", line_suffix(*.line))]
    Labels {
        /// Label file.
        file: String,
        /// 1-based line (0: the whole file).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// I/O failure.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// An unknown judge name.
    #[error("unknown judge {0:?}; available: builtin, openai, cascade")]
    UnknownJudge(String),
    /// The lake's store failed (reading facet decisions).
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    /// A facet decision file that cannot be read.
    #[error(
        "facet decision {file}: {reason}; fix or remove the file (signals facets accept|reject writes it)"
    )]
    Decision {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// An unknown delight type identifier.
    #[error("unknown delight type {0:?}; one of gratitude, praise, success_confirmed, recovery")]
    UnknownDelight(String),
}

/// Result alias of the judge crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The seven friction types of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrictionType {
    /// A tool call declined or interrupted by the user.
    AbandonedTool,
    /// Three or more restatements of the same request.
    RephrasingCascade,
    /// The same path added and removed from context repeatedly.
    ContextChurn,
    /// A tool or agent error.
    ErrorEvent,
    /// Frustration aimed at the agent.
    ToneEscalation,
    /// A request to undo what the agent did.
    Backtracking,
    /// Confusion about the agent product itself.
    PlatformConfusion,
}

impl FrictionType {
    /// All types, in spec order.
    pub const ALL: [FrictionType; 7] = [
        FrictionType::AbandonedTool,
        FrictionType::RephrasingCascade,
        FrictionType::ContextChurn,
        FrictionType::ErrorEvent,
        FrictionType::ToneEscalation,
        FrictionType::Backtracking,
        FrictionType::PlatformConfusion,
    ];

    /// The spec identifier.
    pub fn id(self) -> &'static str {
        match self {
            FrictionType::AbandonedTool => "abandoned_tool",
            FrictionType::RephrasingCascade => "rephrasing_cascade",
            FrictionType::ContextChurn => "context_churn",
            FrictionType::ErrorEvent => "error_event",
            FrictionType::ToneEscalation => "tone_escalation",
            FrictionType::Backtracking => "backtracking",
            FrictionType::PlatformConfusion => "platform_confusion",
        }
    }

    /// Parse a spec identifier.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }
}

impl fmt::Display for FrictionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Severity of a friction moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Minor.
    Low,
    /// Noticeable.
    Medium,
    /// Severe.
    High,
}

impl Severity {
    /// One level higher (high stays high).
    pub fn up(self) -> Self {
        match self {
            Severity::Low => Severity::Medium,
            _ => Severity::High,
        }
    }

    /// `low`, `medium` or `high`.
    pub fn id(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One friction moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Type.
    pub friction_type: FrictionType,
    /// Severity.
    pub severity: Severity,
    /// First event of the moment.
    pub first_seq: i64,
    /// Last event of the moment.
    pub last_seq: i64,
    /// Abstracted description of what happened.
    pub citation: String,
    /// Confidence 0..1.
    pub confidence: f64,
}

impl Moment {
    /// A new moment.
    pub fn new(
        friction_type: FrictionType,
        severity: Severity,
        first_seq: i64,
        last_seq: i64,
        citation: String,
        confidence: f64,
    ) -> Self {
        Self {
            friction_type,
            severity,
            first_seq,
            last_seq,
            citation,
            confidence,
        }
    }
}

/// One facet value of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    /// Facet name.
    pub facet: String,
    /// Value.
    pub value: String,
    /// Evidence source.
    pub source: String,
}

impl Facet {
    /// A new facet row.
    pub fn new(facet: &str, value: &str, source: &str) -> Self {
        Self {
            facet: facet.into(),
            value: value.into(),
            source: source.into(),
        }
    }
}

/// `facets` without repeated (facet, value) pairs, the first of each kept:
/// `session_facets` holds one row per session, facet and value, and the patterns
/// SQL counts sessions per facet value on that.
pub fn unique_facets(facets: impl IntoIterator<Item = Facet>) -> Vec<Facet> {
    let mut seen = std::collections::HashSet::new();
    facets
        .into_iter()
        .filter(|f| seen.insert((f.facet.clone(), f.value.clone())))
        .collect()
}

/// A judge: the two passes over one session.
pub trait Judge: Send + Sync {
    /// Name recorded in `judge` columns.
    fn name(&self) -> &str;
    /// Version recorded in `judge_version` columns.
    fn version(&self) -> &str;
    /// The friction pass.
    fn friction(&self, session: &Session) -> Vec<Moment>;
    /// The facet pass.
    fn facets(&self, session: &Session) -> Vec<Facet>;
    /// The delight pass.
    fn delights(&self, session: &Session) -> Vec<delight::Delight>;
}

/// The deterministic built-in judge: offline, free, no key.
#[derive(Debug, Clone, Default)]
pub struct BuiltinJudge {
    /// Detector parameters.
    pub params: FrictionParams,
    /// Accepted discovered facets, extracted from each session's summary.
    pub discovered: Vec<FacetDef>,
}

impl Judge for BuiltinJudge {
    fn name(&self) -> &str {
        "builtin"
    }

    fn version(&self) -> &str {
        concat!("builtin-", env!("CARGO_PKG_VERSION"))
    }

    fn friction(&self, session: &Session) -> Vec<Moment> {
        let abandoned = facets::outcome(session).0 == "abandoned";
        friction::detect(session, &self.params, abandoned)
    }

    fn facets(&self, session: &Session) -> Vec<Facet> {
        let outcome = facets::outcome(session);
        let mut out = facets::facets(session, &outcome);
        // The summary names the session's friction types too. The friction pass
        // is another stage, so it is detected here once more; not free since it
        // embeds user turns and reads the larger lexicons.
        let moments = friction::detect(session, &self.params, outcome.0 == "abandoned");
        let text = summary::summary(session, &out, &moments);
        let tone = moments
            .iter()
            .any(|m| m.friction_type == FrictionType::ToneEscalation);
        let score = delight::satisfaction(
            outcome.0 == "completed",
            outcome.0 == "abandoned",
            &delight::detect(session),
            tone,
        );
        out.push(Facet::new("satisfaction", &score.to_string(), "composed"));
        for def in &self.discovered {
            if let Some(v) = def.extract(&text) {
                out.push(Facet::new(&def.name, &v, "discovered"));
            }
        }
        out.push(Facet::new("summary", &text, "composed"));
        out
    }

    fn delights(&self, session: &Session) -> Vec<delight::Delight> {
        delight::detect(session)
    }
}

/// A judge by name, with the accepted discovered facets it extracts.
pub fn judge_by_name(
    name: &str,
    params: FrictionParams,
    discovered: Vec<FacetDef>,
) -> Result<Box<dyn Judge>> {
    match name {
        "builtin" => Ok(Box::new(BuiltinJudge { params, discovered })),
        other => Err(Error::UnknownJudge(other.into())),
    }
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> signals_lake::ErrorClass {
        use signals_lake::ErrorClass;
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::UnknownJudge(_) | Error::Labels { .. } | Error::Decision { .. } => {
                ErrorClass::User
            }
            Error::Store(_) | Error::Io(_) => ErrorClass::External,
            Error::Arrow(_) | Error::UnknownDelight(_) => ErrorClass::Internal,
        }
    }
}

impl From<Error> for signals_stage::StageError {
    fn from(e: Error) -> Self {
        signals_stage::StageError::new(e.class(), e)
    }
}

fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
