//! What is sent per session and pass: the versioned prompt, the session as data,
//! a strict JSON schema derived from the judge's own types, and a completion
//! budget sized to the session.

use serde_json::{Value, json};
use signals_judge::delight::DELIGHT_TYPES;
use signals_judge::{FacetDef, FrictionType};

use crate::condense::{Condensed, count_tokens};
use crate::model::Effort;

/// The prompts' version, recorded on every output row (`judge_version`). v2: the
/// friction reply carries the session's delights, the facet reply a satisfaction.
pub const PROMPT_VERSION: &str = "v2";
/// The friction pass's prompt (`crates/llm/prompts/friction.v2.md`).
pub const FRICTION_PROMPT: &str = include_str!("../prompts/friction.v2.md");
/// The facet pass's prompt (`crates/llm/prompts/facets.v2.md`).
pub const FACETS_PROMPT: &str = include_str!("../prompts/facets.v2.md");
/// Severities, as in `frictions.severity`.
pub const SEVERITIES: [&str; 3] = ["low", "medium", "high"];
/// Intents, as the built-in judge's `intent` facet.
pub const INTENTS: [&str; 8] = [
    "refactor",
    "tests",
    "docs",
    "ops_config",
    "bug_fix",
    "feature",
    "question",
    "other",
];

/// A pass of the LLM judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LlmPass {
    /// Friction moments -> `frictions`.
    Friction,
    /// Facets -> `session_facets`.
    Facets,
    /// Delights -> `delights`. Not a request of its own: the friction reply
    /// carries them (one request per session finds both), and this pass writes
    /// them out.
    Delight,
}

impl LlmPass {
    /// `friction` or `facets`.
    pub fn id(self) -> &'static str {
        match self {
            LlmPass::Friction => "friction",
            LlmPass::Facets => "facets",
            LlmPass::Delight => "delight",
        }
    }

    /// Parse `friction`, `facets` or `delight`.
    pub fn from_id(s: &str) -> Option<Self> {
        match s {
            "friction" => Some(LlmPass::Friction),
            "facets" => Some(LlmPass::Facets),
            "delight" => Some(LlmPass::Delight),
            _ => None,
        }
    }

    /// The pass's prompt (delights come in the friction request's reply).
    pub fn prompt(self) -> &'static str {
        match self {
            LlmPass::Friction | LlmPass::Delight => FRICTION_PROMPT,
            LlmPass::Facets => FACETS_PROMPT,
        }
    }

    /// The pass whose request carries this pass's answer.
    pub fn request(self) -> LlmPass {
        match self {
            LlmPass::Delight => LlmPass::Friction,
            p => p,
        }
    }
}

/// The strict JSON schema of the friction reply (from [`FrictionType::ALL`] and
/// the delight types).
pub fn friction_schema() -> Value {
    let types: Vec<&str> = FrictionType::ALL.iter().map(|t| t.id()).collect();
    let delight_types: Vec<&str> = DELIGHT_TYPES.iter().map(|t| t.id()).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["moments", "delights"],
        "properties": {
            "delights": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["delight_type", "strength", "first_seq", "last_seq", "citation", "confidence"],
                    "properties": {
                        "delight_type": {"type": "string", "enum": delight_types},
                        "strength": {"type": "string", "enum": SEVERITIES},
                        "first_seq": {"type": "integer"},
                        "last_seq": {"type": "integer"},
                        "citation": {"type": "string"},
                        "confidence": {"type": "number"}
                    }
                }
            },
            "moments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["friction_type", "severity", "first_seq", "last_seq", "citation", "confidence"],
                    "properties": {
                        "friction_type": {"type": "string", "enum": types},
                        "severity": {"type": "string", "enum": SEVERITIES},
                        "first_seq": {"type": "integer"},
                        "last_seq": {"type": "integer"},
                        "citation": {"type": "string"},
                        "confidence": {"type": "number"}
                    }
                }
            }
        }
    })
}

/// The strict JSON schema of the facet reply: the core facets, the summary, and
/// one enum field per accepted discovered facet (its values, `other`, `none`).
pub fn facets_schema(discovered: &[FacetDef]) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["languages", "frameworks", "intent", "outcome", "satisfaction", "summary"],
        "properties": {
            "satisfaction": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
            "languages": {"type": "array", "items": {"type": "string"}},
            "frameworks": {"type": "array", "items": {"type": "string"}},
            "intent": {"type": "string", "enum": INTENTS},
            "outcome": {"type": "string", "enum": ["completed", "abandoned"]},
            "summary": {"type": "string"}
        }
    });
    for d in discovered {
        schema["required"]
            .as_array_mut()
            .expect("array")
            .push(json!(d.name));
        schema["properties"][&d.name] = json!({
            "type": "string",
            "enum": d.choices(),
            "description": d.description,
        });
    }
    schema
}

/// The facet prompt: the versioned file, plus a line per accepted discovered facet.
pub fn facets_prompt(discovered: &[FacetDef]) -> String {
    let mut p = FACETS_PROMPT.to_string();
    if !discovered.is_empty() {
        p.push_str("\nAlso give these facets, each one of its listed values (\"other\" when the session has the theme but none of the values, \"none\" when it does not have the theme):\n");
        for d in discovered {
            p.push_str(&format!(
                "- {}: {} Values: {}.\n",
                d.name,
                d.description.trim(),
                d.choices().join(", ")
            ));
        }
    }
    p
}

/// The visible output budget of a pass over a session: room for a moment per user
/// turn (friction), or a fixed small object (facets). A reasoning model's
/// completion budget adds its reasoning headroom to this
/// ([`crate::model::Profile::completion_budget`]).
pub fn output_budget(pass: LlmPass, c: &Condensed) -> u32 {
    match pass {
        // Room for a moment per user turn (delights are fewer than turns).
        LlmPass::Friction | LlmPass::Delight => (256 + 96 * c.user_turns.min(40)) as u32,
        LlmPass::Facets => 400,
    }
}

/// The Chat Completions body for `pass` over a condensed session. The session goes
/// in as a JSON string (data), after the system prompt. `effort` is sent as
/// `reasoning_effort` (reasoning models only); the budget always goes as
/// `max_completion_tokens`, never `max_tokens`, and no `temperature` is sent.
pub fn body(
    model: &str,
    pass: LlmPass,
    c: &Condensed,
    max_tokens: u32,
    effort: Option<Effort>,
    discovered: &[FacetDef],
) -> Value {
    let (schema, prompt) = match pass {
        LlmPass::Friction | LlmPass::Delight => (friction_schema(), pass.prompt().to_string()),
        LlmPass::Facets => (facets_schema(discovered), facets_prompt(discovered)),
    };
    let data = json!({"session": c.text}).to_string();
    let mut body = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": prompt},
            {"role": "user", "content": data}
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": format!("signals_{}", pass.id()), "strict": true, "schema": schema}
        },
        "max_completion_tokens": max_tokens
    });
    set_effort(&mut body, effort);
    body
}

/// Ask a reasoning model for `effort` (`reasoning_effort`); nothing for `None`.
pub fn set_effort(body: &mut Value, effort: Option<Effort>) {
    if let Some(e) = effort {
        body["reasoning_effort"] = json!(e.id());
    }
}

/// Input tokens of a body (messages' contents plus a few per message).
pub fn input_tokens(body: &Value) -> usize {
    body["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| 4 + count_tokens(m["content"].as_str().unwrap_or("")))
                .sum()
        })
        .unwrap_or(0)
}
