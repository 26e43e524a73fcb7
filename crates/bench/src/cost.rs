//! The LLM judge's cost model on a lake's sessions: the input tokens it would
//! send per session whole and condensed (both passes, with the prompts), the
//! output it would be billed for, and the US dollars per 1,000 analysed
//! sessions at batch prices — judging every session, or only what the cascade
//! sends (the sessions the built-in judge flags plus the calibration sample).
//!
//! Input tokens are counted exactly (o200k, the bodies the judge builds).
//! Output tokens cannot be counted without the model: the visible output is
//! estimated from the reply's shape (a friction reply of ~40 tokens plus ~55 per
//! moment, the built-in judge's moments standing in for the model's; a facet
//! reply of ~120), and reasoning tokens per request are an assumption given on
//! the command line (`judge_usage.reasoning_tokens` has the measured figure after
//! a real run).

use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use serde::Serialize;
use signals_judge::run::{Selection, for_each_session};
use signals_judge::{BuiltinJudge, Judge};
use signals_llm::cascade::draw;
use signals_llm::condense::condense;
use signals_llm::model::Profile;
use signals_llm::request::{body, input_tokens, output_budget};
use signals_llm::{LlmConfig, LlmPass, Mode};

use crate::Result;

/// What the cost model assumes.
#[derive(Debug, Clone, Serialize)]
pub struct CostConfig {
    /// The model (prices and reasoning from its profile).
    pub model: String,
    /// Input tokens a session is condensed to.
    pub input_budget: usize,
    /// Reasoning tokens assumed per request (0 for a model that does not reason).
    pub reasoning_tokens: u32,
    /// The cascade's calibration sample.
    pub sample: f64,
    /// Sessions read at the most.
    pub max_sessions: usize,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            model: signals_llm::model::DEFAULT_MODEL.into(),
            input_budget: LlmConfig::offline(signals_llm::model::DEFAULT_MODEL, Mode::Batch)
                .input_budget,
            reasoning_tokens: 512,
            sample: 0.1,
            max_sessions: 2_000,
        }
    }
}

/// The cost model's figures: per analysed session, both passes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CostModel {
    /// The assumptions.
    pub model: String,
    /// Input budget.
    pub input_budget: usize,
    /// Reasoning tokens assumed per request.
    pub reasoning_tokens: u32,
    /// Batch prices, US$ per million input and output tokens.
    pub batch_prices: (f64, f64),
    /// Sessions read.
    pub sessions: usize,
    /// Of them, sessions over the input budget whole.
    pub over_budget: usize,
    /// Input tokens per session, whole.
    pub input_whole: f64,
    /// Input tokens per session, condensed.
    pub input_condensed: f64,
    /// Input tokens per over-budget session, whole.
    pub over_whole: f64,
    /// Input tokens per over-budget session, condensed.
    pub over_condensed: f64,
    /// The largest session, whole (tokens, one pass's session text).
    pub largest_session: usize,
    /// Visible output tokens per session (estimated).
    pub output_visible: f64,
    /// Output budget per session the judge asks for (visible part; a ceiling).
    pub output_budget: f64,
    /// Reasoning tokens per session (assumed).
    pub output_reasoning: f64,
    /// Share of the sessions the cascade sends to the LLM.
    pub cascade_share: f64,
    /// Of them, the share the built-in judge flagged (the rest: the sample).
    pub cascade_flagged: f64,
    /// Input tokens per analysed session with the cascade (condensed, friction
    /// requests only).
    pub cascade_input: f64,
    /// US$ per 1,000 analysed sessions at batch prices: every session whole.
    pub usd_all_whole: f64,
    /// Every session condensed.
    pub usd_all_condensed: f64,
    /// The cascade, condensed: the LLM judges friction on the sessions it gets,
    /// facets stay the built-in judge's (`cascade_facets = false`, the default).
    pub usd_cascade: f64,
    /// The cascade with the LLM's facets too (`cascade_facets = true`).
    pub usd_cascade_with_facets: f64,
}

impl CostModel {
    /// Input tokens whole / condensed on the sessions over the budget.
    pub fn reduction(&self) -> f64 {
        self.over_whole / self.over_condensed.max(1.0)
    }

    /// The report's section (Markdown).
    pub fn markdown(&self, what: &str) -> String {
        let mut s = format!(
            "## LLM judge cost model ({what}: {} sessions; {} at batch prices ${:.3} / ${:.3} per million tokens in / out; o200k tokens)\n\n",
            self.sessions, self.model, self.batch_prices.0, self.batch_prices.1
        );
        s.push_str(&format!(
            "| per session, both passes | whole | condensed ({} tokens) |\n|---|---:|---:|\n| input tokens, all sessions | {:.0} | {:.0} |\n| input tokens, the {} sessions over the budget | {:.0} | {:.0} ({:.1}x fewer) |\n\n",
            self.input_budget,
            self.input_whole,
            self.input_condensed,
            self.over_budget,
            self.over_whole,
            self.over_condensed,
            self.reduction()
        ));
        s.push_str(&format!(
            "Largest session: {} tokens whole. Output per session: {:.0} visible tokens (estimated; {:.0} budgeted) + {:.0} reasoning tokens (assumed: {} per request).\n\n",
            self.largest_session,
            self.output_visible,
            self.output_budget,
            self.output_reasoning,
            self.reasoning_tokens
        ));
        s.push_str(&format!(
            "| US$ per 1,000 analysed sessions | |\n|---|---:|\n| every session, whole | {:.3} |\n| every session, condensed | {:.3} |\n| the cascade, condensed ({:.1}% of sessions to the LLM: {:.1}% flagged + the sample; friction by the LLM, facets by the built-in judge) | {:.3} |\n| the cascade with the LLM's facets too (`cascade_facets = true`) | {:.3} |\n\nThe cascade sends {:.0} input tokens per analysed session ({:.1}% of judging every session condensed).\n",
            self.usd_all_whole,
            self.usd_all_condensed,
            100.0 * self.cascade_share,
            100.0 * self.cascade_share * self.cascade_flagged,
            self.usd_cascade,
            self.usd_cascade_with_facets,
            self.cascade_input,
            100.0 * self.cascade_input / self.input_condensed.max(1.0)
        ));
        s
    }
}

/// Run the cost model over `dates` (newest first) of `ctx`'s sessions chosen by
/// `selection`, up to `cfg.max_sessions`.
pub async fn cost_model(
    ctx: &SessionContext,
    dates: &[NaiveDate],
    selection: &Selection,
    cfg: &CostConfig,
) -> Result<CostModel> {
    let mut llm = LlmConfig::offline(&cfg.model, Mode::Batch);
    llm.input_budget = cfg.input_budget;
    let reasoning = if Profile::of(&cfg.model).reasoning {
        cfg.reasoning_tokens
    } else {
        0
    };
    let screen = BuiltinJudge::default();
    let mut m = CostModel {
        model: cfg.model.clone(),
        input_budget: cfg.input_budget,
        reasoning_tokens: reasoning,
        batch_prices: (llm.input_usd_per_mtok, llm.output_usd_per_mtok),
        ..CostModel::default()
    };
    // Sums: whole, condensed, output (visible, budget), and the cascade's.
    let (mut whole, mut cond, mut vis, mut budget) = (0f64, 0f64, 0f64, 0f64);
    let (mut over_w, mut over_c) = (0f64, 0f64);
    let (mut cas_in, mut cas_out, mut cas_n, mut cas_flagged) = (0f64, 0f64, 0usize, 0usize);
    // The cascade's friction requests alone (its default).
    let (mut casf_in, mut casf_out) = (0f64, 0f64);
    for d in dates.iter().rev() {
        if m.sessions >= cfg.max_sessions {
            break;
        }
        for_each_session(ctx, *d, selection, |s| {
            if m.sessions >= cfg.max_sessions {
                return;
            }
            let c = condense(s, cfg.input_budget);
            let moments = screen.friction(s).len();
            let (mut w, mut k, mut o) = (0f64, 0f64, 0f64);
            let (mut fk, mut fo) = (0f64, 0f64);
            for pass in [LlmPass::Friction, LlmPass::Facets] {
                let asked = output_budget(pass, &c);
                let b = body(&llm.model, pass, &c, asked, None, &[]);
                let sent = input_tokens(&b) as f64;
                k += sent;
                w += sent - c.tokens as f64 + c.full_tokens as f64;
                budget += f64::from(asked);
                let visible = match pass {
                    // Moments, and an empty delight list or a few delights.
                    LlmPass::Friction | LlmPass::Delight => 50.0 + 55.0 * moments.min(40) as f64,
                    LlmPass::Facets => 125.0,
                };
                vis += visible;
                let out = visible + f64::from(reasoning);
                o += out;
                if pass == LlmPass::Friction {
                    (fk, fo) = (sent, out);
                }
            }
            whole += w;
            cond += k;
            if c.full_tokens > cfg.input_budget {
                m.over_budget += 1;
                over_w += w;
                over_c += k;
            }
            m.largest_session = m.largest_session.max(c.full_tokens);
            let flagged = moments > 0;
            if flagged || draw(&s.id) < cfg.sample {
                cas_n += 1;
                cas_flagged += usize::from(flagged);
                cas_in += k;
                cas_out += o;
                casf_in += fk;
                casf_out += fo;
            }
            m.sessions += 1;
        })
        .await?;
    }
    let n = m.sessions.max(1) as f64;
    m.input_whole = whole / n;
    m.input_condensed = cond / n;
    m.over_whole = over_w / m.over_budget.max(1) as f64;
    m.over_condensed = over_c / m.over_budget.max(1) as f64;
    m.output_visible = vis / n;
    m.output_budget = budget / n;
    m.output_reasoning = 2.0 * f64::from(reasoning);
    m.cascade_share = cas_n as f64 / n;
    m.cascade_flagged = cas_flagged as f64 / cas_n.max(1) as f64;
    m.cascade_input = casf_in / n;
    let usd = |input: f64, output: f64| {
        1000.0 * (input * llm.input_usd_per_mtok + output * llm.output_usd_per_mtok) / 1e6
    };
    let out = m.output_visible + m.output_reasoning;
    m.usd_all_whole = usd(m.input_whole, out);
    m.usd_all_condensed = usd(m.input_condensed, out);
    m.usd_cascade = usd(casf_in / n, casf_out / n);
    m.usd_cascade_with_facets = usd(cas_in / n, cas_out / n);
    Ok(m)
}
