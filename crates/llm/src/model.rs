//! What each model family accepts and spends, in one place: whether it reasons
//! (hidden reasoning tokens paid out of `max_completion_tokens`), which
//! `reasoning_effort` values it takes, and its list prices.
//!
//! Reasoning models (`gpt-5*`, `o1`/`o3`/`o4*`) are sent `reasoning_effort` and a
//! completion budget of reasoning headroom + the visible output budget; never
//! `max_tokens` or a `temperature` (they refuse anything but 1). Every other
//! model (GPT-4o/4.1 and OpenAI-compatible servers: vLLM, llama.cpp, Ollama) is
//! sent `max_completion_tokens` alone, as before.

/// US dollars per million tokens, standard (not batch) list prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Input tokens.
    pub input: f64,
    /// Output tokens (reasoning tokens are billed as output).
    pub output: f64,
}

/// The list prices the judge knows (OpenAI's pricing page, standard tier, per
/// million tokens; the Batch API halves them). The longest matching prefix wins,
/// so `gpt-5-mini-2025-08-07` is priced as `gpt-5-mini`. A model not listed is
/// estimated at the default model's prices unless `llm_input_usd_per_mtok` /
/// `llm_output_usd_per_mtok` say otherwise (a local server costs what you set).
pub const PRICES: &[(&str, Price)] = &[
    (
        "gpt-5-nano",
        Price {
            input: 0.05,
            output: 0.40,
        },
    ),
    (
        "gpt-5-mini",
        Price {
            input: 0.25,
            output: 2.00,
        },
    ),
    (
        "gpt-5",
        Price {
            input: 1.25,
            output: 10.00,
        },
    ),
    (
        "gpt-4.1-nano",
        Price {
            input: 0.10,
            output: 0.40,
        },
    ),
    (
        "gpt-4.1-mini",
        Price {
            input: 0.40,
            output: 1.60,
        },
    ),
    (
        "gpt-4.1",
        Price {
            input: 2.00,
            output: 8.00,
        },
    ),
    (
        "gpt-4o-mini",
        Price {
            input: 0.15,
            output: 0.60,
        },
    ),
    (
        "gpt-4o",
        Price {
            input: 2.50,
            output: 10.00,
        },
    ),
    (
        "o4-mini",
        Price {
            input: 1.10,
            output: 4.40,
        },
    ),
    (
        "o3-mini",
        Price {
            input: 1.10,
            output: 4.40,
        },
    ),
    (
        "o3",
        Price {
            input: 2.00,
            output: 8.00,
        },
    ),
    (
        "o1-mini",
        Price {
            input: 1.10,
            output: 4.40,
        },
    ),
    (
        "o1",
        Price {
            input: 15.00,
            output: 60.00,
        },
    ),
];

/// The judge's default model.
pub const DEFAULT_MODEL: &str = "gpt-5-mini";

/// How hard a reasoning model thinks (`reasoning_effort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effort {
    /// No reasoning (gpt-5.1 and later).
    None,
    /// A few reasoning tokens (gpt-5).
    Minimal,
    /// The judge's default.
    Low,
    /// OpenAI's default.
    Medium,
    /// The most.
    High,
}

impl Effort {
    /// Every effort, least first.
    pub const ALL: [Effort; 5] = [
        Effort::None,
        Effort::Minimal,
        Effort::Low,
        Effort::Medium,
        Effort::High,
    ];

    /// The API's name.
    pub fn id(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }

    /// Parse an API name.
    pub fn from_id(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.id() == s)
    }

    /// Completion tokens kept for hidden reasoning at this effort. Generous on
    /// purpose: only the tokens used are billed, and a budget spent on reasoning
    /// returns nothing at all (`finish_reason: "length"`, empty content).
    pub fn headroom(self) -> u32 {
        match self {
            Effort::None => 0,
            Effort::Minimal => 1_024,
            Effort::Low => 4_096,
            Effort::Medium => 12_288,
            Effort::High => 32_768,
        }
    }
}

/// What the judge knows about a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The model's name as sent.
    pub model: String,
    /// Spends hidden reasoning tokens out of the completion budget.
    pub reasoning: bool,
    /// The `reasoning_effort` values it takes (empty for non-reasoning models).
    pub efforts: &'static [Effort],
    /// List prices, when the model is in [`PRICES`].
    pub price: Option<Price>,
}

const GPT5: &[Effort] = &[Effort::Minimal, Effort::Low, Effort::Medium, Effort::High];
const GPT51: &[Effort] = &[Effort::None, Effort::Low, Effort::Medium, Effort::High];
const O_SERIES: &[Effort] = &[Effort::Low, Effort::Medium, Effort::High];

impl Profile {
    /// The profile of `model` (a name, optionally with a provider prefix such as
    /// `openai/`). Names are matched by family; anything else is a plain chat
    /// model.
    pub fn of(model: &str) -> Profile {
        let name = model.rsplit('/').next().unwrap_or(model).to_lowercase();
        let is_o = |p: &str| {
            name.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        };
        let efforts: &'static [Effort] = if name.starts_with("gpt-5.") {
            GPT51
        } else if name.starts_with("gpt-5") && !name.starts_with("gpt-5-chat") {
            GPT5
        } else if ["o1", "o3", "o4-mini", "o3-mini", "o1-mini"]
            .iter()
            .any(|p| is_o(p))
        {
            O_SERIES
        } else {
            &[]
        };
        let price = PRICES
            .iter()
            .filter(|(p, _)| name.starts_with(p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, price)| *price);
        Profile {
            model: model.to_string(),
            reasoning: !efforts.is_empty(),
            efforts,
            price,
        }
    }

    /// The effort actually sent for a wanted one: the wanted effort if the model
    /// takes it, else the nearest it takes (ties go to the lower effort, the
    /// cheaper). `None` for a model that does not reason.
    pub fn effort(&self, wanted: Effort) -> Option<Effort> {
        self.efforts
            .iter()
            .copied()
            .min_by_key(|e| ((*e as i32 - wanted as i32).abs(), *e as i32))
    }

    /// The first request's completion budget for a visible output of `output`
    /// tokens at effort `wanted`: reasoning headroom + output, within `cap`.
    pub fn completion_budget(&self, output: u32, wanted: Effort, cap: u32) -> u32 {
        let headroom = self.effort(wanted).map_or(0, Effort::headroom);
        (headroom + output).min(cap.max(output))
    }

    /// The price the judge costs requests at: the list price, else `fallback`.
    pub fn price_or(&self, fallback: Price) -> Price {
        self.price.unwrap_or(fallback)
    }
}

/// The default model's list prices: what a model not in [`PRICES`] is estimated at.
pub fn default_price() -> Price {
    Profile::of(DEFAULT_MODEL)
        .price
        .expect("the default model is priced")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_told_apart() {
        for m in [
            "gpt-5-mini",
            "gpt-5",
            "gpt-5-nano-2025-08-07",
            "openai/gpt-5-mini",
        ] {
            let p = Profile::of(m);
            assert!(p.reasoning, "{m}");
            assert_eq!(p.effort(Effort::Minimal), Some(Effort::Minimal), "{m}");
            assert_eq!(p.effort(Effort::None), Some(Effort::Minimal), "{m}");
        }
        let p = Profile::of("gpt-5.1");
        assert!(p.reasoning);
        assert_eq!(p.effort(Effort::None), Some(Effort::None));
        assert_eq!(p.effort(Effort::Minimal), Some(Effort::None));
        for m in ["o3", "o4-mini", "o1", "o3-mini-2025-01-31"] {
            let p = Profile::of(m);
            assert!(p.reasoning, "{m}");
            assert_eq!(p.effort(Effort::Minimal), Some(Effort::Low), "{m}");
            assert_eq!(p.effort(Effort::High), Some(Effort::High), "{m}");
        }
        for m in [
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-5-chat-latest",
            "llama3.1:8b",
            "Qwen/Qwen2.5-7B-Instruct",
            "gpt-test",
            "omni",
        ] {
            let p = Profile::of(m);
            assert!(!p.reasoning, "{m}");
            assert_eq!(p.effort(Effort::Low), None, "{m}");
            assert_eq!(p.completion_budget(400, Effort::High, 65_536), 400, "{m}");
        }
    }

    #[test]
    fn budgets_leave_room_for_reasoning_within_the_cap() {
        let p = Profile::of("gpt-5-mini");
        assert_eq!(p.completion_budget(400, Effort::Low, 65_536), 4_496);
        assert_eq!(p.completion_budget(400, Effort::Medium, 65_536), 12_688);
        assert_eq!(p.completion_budget(400, Effort::High, 8_000), 8_000);
        // The cap never cuts the visible output itself.
        assert_eq!(p.completion_budget(9_000, Effort::High, 8_000), 9_000);
    }

    #[test]
    fn prices_match_the_longest_prefix() {
        assert_eq!(
            Profile::of("gpt-5-mini-2025-08-07").price.unwrap().input,
            0.25
        );
        assert_eq!(Profile::of("gpt-5").price.unwrap().output, 10.0);
        assert_eq!(Profile::of("gpt-4o-mini").price.unwrap().output, 0.60);
        assert_eq!(Profile::of("o3-mini").price.unwrap().input, 1.10);
        assert_eq!(Profile::of("llama3.1").price, None);
        assert_eq!(
            default_price(),
            Price {
                input: 0.25,
                output: 2.0
            }
        );
    }
}
