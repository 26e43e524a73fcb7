//! How the LLM judge runs: the API, the model and its budgets, retries, the
//! failure rule and the cascade. One parser ([`LlmConfig::from_params`]) reads
//! the `llm_*` and `cascade_*` parameters for the pipeline's stages and for
//! `signals judge` alike, with the defaults written here once.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use signals_judge::{FacetDef, Judge};

use crate::model::{DEFAULT_MODEL, Effort, Price, Profile, default_price};
use crate::{Error, Result};

/// Batch API: at most this many requests per input file.
pub const MAX_REQUESTS_PER_FILE: usize = 50_000;
/// Batch API: at most this many bytes per input file.
pub const MAX_BYTES_PER_FILE: usize = 200 * 1024 * 1024;

/// Batch API or plain Chat Completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The Batch API (OpenAI; 24 h window, half price).
    Batch,
    /// Chat Completions, a few at a time (vLLM, llama.cpp, Ollama, ...).
    Sync,
}

/// The cascade: a free judge screens every session, the LLM judges what it
/// flags plus a calibration sample of the rest.
#[derive(Clone)]
pub struct Cascade {
    /// The screening judge (the built-in judge).
    pub screen: Arc<dyn Judge>,
    /// Share of the sessions the screen did not flag that the LLM judges too.
    pub sample: f64,
    /// The LLM's facets too (a second request per judged session); otherwise
    /// the LLM judges friction only and facets stay the screen's.
    pub facets: bool,
}

impl Cascade {
    /// The passes the LLM runs.
    pub fn passes(&self) -> &'static [crate::LlmPass] {
        if self.facets {
            &[crate::LlmPass::Friction, crate::LlmPass::Facets]
        } else {
            &[crate::LlmPass::Friction]
        }
    }
}

/// The passes the LLM runs under `cfg`: both, or what its cascade asks for.
pub fn llm_passes(cfg: &LlmConfig) -> &'static [crate::LlmPass] {
    match &cfg.cascade {
        Some(c) => c.passes(),
        None => &[crate::LlmPass::Friction, crate::LlmPass::Facets],
    }
}

/// How the LLM judge runs.
#[derive(Clone)]
pub struct LlmConfig {
    /// API base URL (`OPENAI_BASE_URL`, default `https://api.openai.com/v1`).
    pub api_base: String,
    /// API key (`OPENAI_API_KEY`); never printed or logged.
    pub api_key: String,
    /// Model.
    pub model: String,
    /// Batch or sync.
    pub mode: Mode,
    /// Input tokens per request the session is condensed to.
    pub input_budget: usize,
    /// Requests per session and pass before it goes to `judge_failures`.
    pub max_attempts: u32,
    /// Sync mode: requests at once.
    pub concurrency: usize,
    /// Batch mode: poll until done instead of returning "waiting".
    pub wait: bool,
    /// Batch mode: time between polls when waiting (doubles up to 16x).
    pub poll_interval: Duration,
    /// Requests per batch input file.
    pub max_requests_per_file: usize,
    /// Bytes per batch input file.
    pub max_bytes_per_file: usize,
    /// US dollars per million input tokens (batch price in batch mode).
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens, reasoning tokens included.
    pub output_usd_per_mtok: f64,
    /// Retries of 429 and 5xx per HTTP call (Retry-After is honoured).
    pub http_retries: usize,
    /// Accepted discovered facets the facet pass asks for too.
    pub discovered: Vec<FacetDef>,
    /// The reasoning effort asked of a reasoning model (the nearest it takes).
    pub reasoning_effort: Effort,
    /// Visible output tokens per request; `None`: sized per pass and session.
    pub output_budget: Option<u32>,
    /// The most `max_completion_tokens` ever sent (truncated retries double up to it).
    pub max_completion_tokens: u32,
    /// A pass fails when more than this share of the day's sessions failed.
    pub max_failure_share: f64,
    /// Judge only what a screen flags, plus a sample (`judge = "cascade"`).
    pub cascade: Option<Cascade>,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("mode", &self.mode)
            .field("reasoning_effort", &self.reasoning_effort)
            .field("cascade", &self.cascade.as_ref().map(|c| c.sample))
            .finish_non_exhaustive()
    }
}

impl LlmConfig {
    /// Defaults for `model`, with the key and base URL from the environment.
    pub fn from_env(model: &str, mode: Mode) -> Result<Self> {
        let api_key = std::env::var("OPENAI_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::Config("OPENAI_API_KEY is not set (the LLM judge needs it; --judge builtin needs none)".into()))?;
        let mut cfg = Self::offline(model, mode);
        cfg.api_key = api_key;
        if let Some(base) = std::env::var("OPENAI_BASE_URL")
            .ok()
            .filter(|k| !k.is_empty())
        {
            cfg.api_base = base;
        }
        Ok(cfg)
    }

    /// The defaults without a key (for cost models and tests): the OpenAI URL,
    /// the model's list prices ([`crate::model::PRICES`]; the default model's
    /// for one not listed), halved in batch mode.
    pub fn offline(model: &str, mode: Mode) -> Self {
        let mut cfg = Self {
            api_base: "https://api.openai.com/v1".into(),
            api_key: String::new(),
            model: model.into(),
            mode,
            input_budget: 12_000,
            max_attempts: 3,
            concurrency: 4,
            wait: false,
            poll_interval: Duration::from_secs(30),
            max_requests_per_file: MAX_REQUESTS_PER_FILE,
            max_bytes_per_file: MAX_BYTES_PER_FILE,
            input_usd_per_mtok: 0.0,
            output_usd_per_mtok: 0.0,
            http_retries: 4,
            discovered: Vec::new(),
            reasoning_effort: Effort::Low,
            output_budget: None,
            max_completion_tokens: 65_536,
            max_failure_share: 0.2,
            cascade: None,
        };
        cfg.set_price(Profile::of(model).price_or(default_price()));
        cfg
    }

    /// Price requests at `list` (standard prices; halved in batch mode).
    pub fn set_price(&mut self, list: Price) {
        let half = if self.mode == Mode::Batch { 0.5 } else { 1.0 };
        self.input_usd_per_mtok = list.input * half;
        self.output_usd_per_mtok = list.output * half;
    }

    /// What the judge knows of the model.
    pub fn profile(&self) -> Profile {
        Profile::of(&self.model)
    }

    /// A request's first `max_completion_tokens` for a visible output of
    /// `output` tokens (reasoning headroom added for a reasoning model, within
    /// the cap), and the `reasoning_effort` to send (none for other models).
    pub fn completion(&self, output: u32) -> (u32, Option<crate::model::Effort>) {
        let p = self.profile();
        (
            p.completion_budget(output, self.reasoning_effort, self.max_completion_tokens),
            p.effort(self.reasoning_effort),
        )
    }

    /// The configuration the `llm_*` parameters describe (`get` returns a
    /// parameter's value as text), with the key and base URL from the
    /// environment. Every default is the one written here; a value that does not
    /// parse is a configuration error that names the parameter.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let text = |k: &str| get(k).filter(|v| !v.is_empty());
        let num = |k: &str| -> Result<Option<f64>> {
            text(k)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| Error::Config(format!("{k} = {v:?} is not a number")))
                })
                .transpose()
        };
        let int =
            |k: &str, min: f64| -> Result<Option<u64>> { Ok(num(k)?.map(|x| x.max(min) as u64)) };
        let mode = match text("llm_mode").as_deref().unwrap_or("batch") {
            "batch" => Mode::Batch,
            "sync" => Mode::Sync,
            other => {
                return Err(Error::Config(format!(
                    "llm_mode = {other:?}: use \"batch\" (OpenAI Batch API) or \"sync\" (any OpenAI-compatible server)"
                )));
            }
        };
        let model = text("llm_model").unwrap_or_else(|| DEFAULT_MODEL.into());
        let mut cfg = Self::from_env(&model, mode)?;
        if let Some(base) = text("llm_base_url") {
            cfg.api_base = base;
        }
        cfg.wait = text("llm_wait").as_deref() == Some("true");
        if let Some(v) = int("llm_input_budget", 500.0)? {
            cfg.input_budget = v as usize;
        }
        if let Some(v) = int("llm_max_attempts", 1.0)? {
            cfg.max_attempts = v as u32;
        }
        if let Some(v) = int("llm_concurrency", 1.0)? {
            cfg.concurrency = v as usize;
        }
        if let Some(v) = int("llm_poll_ms", 1.0)? {
            cfg.poll_interval = Duration::from_millis(v);
        }
        if let Some(v) = int("llm_batch_max_requests", 1.0)? {
            cfg.max_requests_per_file = (v as usize).min(MAX_REQUESTS_PER_FILE);
        }
        if let Some(e) = text("llm_reasoning_effort") {
            cfg.reasoning_effort = Effort::from_id(&e).ok_or_else(|| {
                Error::Config(format!(
                    "llm_reasoning_effort = {e:?}: use none, minimal, low, medium or high (the nearest one the model takes is sent)"
                ))
            })?;
        }
        // 0 (the pipeline's default) sizes the output per pass and session.
        cfg.output_budget = int("llm_output_budget", 0.0)?
            .filter(|v| *v > 0)
            .map(|v| v.min(u64::from(u32::MAX)) as u32);
        if let Some(v) = int("llm_max_completion_tokens", 64.0)? {
            cfg.max_completion_tokens = v.min(u64::from(u32::MAX)) as u32;
        }
        if let Some(x) = num("llm_max_failure_share")? {
            if !(0.0..=1.0).contains(&x) {
                return Err(Error::Config(format!(
                    "llm_max_failure_share = {x}: a share from 0 to 1 (1 never fails the pass)"
                )));
            }
            cfg.max_failure_share = x;
        }
        let list = cfg.profile().price_or(default_price());
        let price = Price {
            input: num("llm_input_usd_per_mtok")?
                .filter(|x| *x >= 0.0)
                .unwrap_or(list.input),
            output: num("llm_output_usd_per_mtok")?
                .filter(|x| *x >= 0.0)
                .unwrap_or(list.output),
        };
        cfg.set_price(price);
        Ok(cfg)
    }

    /// The configuration of judge `judge` (`openai`, or `cascade` with `screen`
    /// screening) from the `llm_*` and `cascade_*` parameters: what the pipeline's
    /// judge stages and `signals judge` both run.
    pub fn for_judge(
        judge: &str,
        get: impl Fn(&str) -> Option<String>,
        screen: Arc<dyn Judge>,
    ) -> Result<Self> {
        let mut cfg = Self::from_params(&get)?;
        if judge == "cascade" {
            cfg.cascade = Some(Cascade {
                screen,
                sample: Self::cascade_sample(&get)?,
                facets: Self::cascade_facets(&get)?,
            });
        }
        Ok(cfg)
    }

    /// Whether the cascade's LLM also gives facets (`cascade_facets`, default false).
    fn cascade_facets(get: impl Fn(&str) -> Option<String>) -> Result<bool> {
        match get("cascade_facets").filter(|v| !v.is_empty()).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(Error::Config(format!(
                "cascade_facets = {v:?}: true (the LLM's facets and summaries for the sessions it judges) or false (the built-in judge's)"
            ))),
        }
    }

    /// The cascade's sample share from `cascade_sample` (default 10%).
    fn cascade_sample(get: impl Fn(&str) -> Option<String>) -> Result<f64> {
        match get("cascade_sample").filter(|v| !v.is_empty()) {
            None => Ok(0.1),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| {
                    Error::Config(format!(
                        "cascade_sample = {v:?}: a share from 0 to 1 of the sessions the screen did not flag"
                    ))
                }),
        }
    }

    pub(crate) fn client(&self) -> async_openai::Client<async_openai::config::OpenAIConfig> {
        use async_openai::middleware::ReqwestService;
        use async_openai::middleware::retry::OpenAIRetryLayer;
        // The client's TLS uses ring (see the workspace manifest); installing it
        // twice is harmless, so every client build makes sure of it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let service = tower::ServiceBuilder::new()
            .layer(OpenAIRetryLayer::new(self.http_retries))
            .service(ReqwestService::default());
        async_openai::Client::with_config(
            async_openai::config::OpenAIConfig::new()
                .with_api_base(self.api_base.trim_end_matches('/'))
                .with_api_key(self.api_key.clone()),
        )
        .with_http_service(service)
    }
}
