//! Facet discovery: the facet schema is not fixed. The `facet_discovery` stage
//! (weekly by default) reads the window's session summaries, keeps what existing
//! facets do not already say ([`text`]), embeds it (hashed TF-IDF offline, or the
//! OpenAI embeddings endpoint), clusters it with HDBSCAN, and writes each sizeable
//! theme that no existing facet value picks out into `facet_proposals`. People
//! decide with `signals facets accept|reject` ([`ledger`]); accepted facets are
//! extracted by both judges from then on.

mod ledger;
mod proposals;
pub mod stage;
mod text;
mod themes;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Duration, NaiveDate};
use datafusion::common::ScalarValue;
use futures::StreamExt;
use signals_lake::{Lake, schema, string_column};
use signals_llm::LlmConfig;

pub use ledger::{Decision, accepted, decisions, record};
use proposals::proposals_batch;
pub use proposals::{Stored, decide, proposals};
use themes::{candidate_values, closest_label, cluster, describe, evidence, normalized, theme_of};

/// The stage's input query (`sql/stages/discovery.sql`).
pub const WINDOW_SQL: &str = include_str!("../../../sql/stages/discovery.sql");

/// Errors of facet discovery.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Lake access failed.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Building the output failed.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// The embeddings API failed (after its retries).
    #[error(transparent)]
    Llm(#[from] signals_llm::Error),
    /// Reading the facet decisions failed.
    #[error(transparent)]
    Judge(#[from] signals_judge::Error),
    /// Clustering refused its input.
    #[error("clustering: {0}")]
    Cluster(String),
    /// Bad usage (unknown proposal, bad parameter).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Whose problem it is.
    pub fn class(&self) -> signals_lake::ErrorClass {
        use signals_lake::ErrorClass;
        match self {
            Error::Lake(e) => e.class(),
            Error::DataFusion(e) => signals_lake::datafusion_class(e),
            Error::Llm(e) => e.class(),
            Error::Judge(e) => e.class(),
            Error::Usage(_) => ErrorClass::User,
            Error::Arrow(_) | Error::Cluster(_) => ErrorClass::Internal,
        }
    }
}

/// Result alias of facet discovery.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How summaries become vectors.
#[derive(Debug, Clone, PartialEq)]
pub enum Embedder {
    /// Offline: hashed TF-IDF of the residual's terms, `dims` buckets.
    Hashed {
        /// Buckets.
        dims: usize,
    },
    /// The OpenAI embeddings endpoint (the judge's client, key and base URL).
    OpenAi {
        /// Embedding model.
        model: String,
        /// Inputs per request.
        batch: usize,
    },
}

impl Embedder {
    /// As recorded in `facet_proposals.embedder`.
    pub fn id(&self) -> String {
        match self {
            Embedder::Hashed { dims } => format!("hashed-tfidf-{dims}"),
            Embedder::OpenAi { model, .. } => format!("openai:{model}"),
        }
    }
}

/// The stage's parameters (pipeline `discovery_*` parameters).
#[derive(Debug, Clone)]
pub struct DiscoveryParams {
    /// Days in the window, ending on the run's date.
    pub days: i64,
    /// A theme needs at least this many sessions...
    pub min_sessions: usize,
    /// ... and at least this share of the window's sessions.
    pub min_share: f64,
    /// A theme in more than this share of sessions is the norm, not a theme.
    pub max_share: f64,
    /// Sessions clustered at most (a deterministic sample above it).
    pub max_sessions: usize,
    /// A theme is explained when an existing value has both precision and recall
    /// against it at least this high.
    pub max_overlap: f64,
    /// How summaries become vectors.
    pub embedder: Embedder,
    /// Name themes with the LLM (else by their phrases).
    pub llm_namer: bool,
}

impl Default for DiscoveryParams {
    fn default() -> Self {
        Self {
            days: 7,
            min_sessions: 10,
            min_share: 0.05,
            max_share: 0.5,
            max_sessions: 2000,
            max_overlap: 0.8,
            embedder: Embedder::Hashed { dims: 512 },
            llm_namer: false,
        }
    }
}

/// One proposed facet (a `facet_proposals` row).
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Facet name.
    pub name: String,
    /// What it records, with the evidence.
    pub description: String,
    /// The theme's phrases.
    pub terms: Vec<String>,
    /// Values and the phrase that selects each.
    pub values: Vec<(String, String)>,
    /// Sessions with the theme.
    pub size: usize,
    /// Sessions in the clusters it was found in.
    pub clustered: usize,
    /// Closest existing label, its precision and recall.
    pub closest: Option<(String, f64, f64)>,
    /// Example summaries and their sessions.
    pub examples: Vec<(String, String)>,
    /// Who named it.
    pub namer: String,
}

/// What a discovery run did.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryReport {
    /// Sessions read.
    pub sessions: usize,
    /// HDBSCAN clusters found.
    pub clusters: usize,
    /// Proposals written.
    pub proposals: Vec<Proposal>,
    /// Why the other themes were not proposed, one line each.
    pub skipped: Vec<String>,
    /// Embedding tokens the API reported (OpenAI embedder).
    pub embedding_tokens: u64,
}

impl DiscoveryReport {
    /// One line for the run's stage note.
    pub fn note(&self) -> String {
        let names: Vec<&str> = self.proposals.iter().map(|p| p.name.as_str()).collect();
        let mut s = format!(
            "{} sessions, {} clusters, {} proposed",
            self.sessions,
            self.clusters,
            names.len()
        );
        if !names.is_empty() {
            s.push_str(&format!(" ({})", names.join(", ")));
        }
        if !self.skipped.is_empty() {
            s.push_str(&format!("; not proposed: {}", self.skipped.join("; ")));
        }
        s
    }
}

pub(crate) struct Doc {
    pub(crate) session: String,
    pub(crate) summary: String,
    pub(crate) labels: Vec<String>,
    pub(crate) terms: BTreeSet<String>,
}

/// Run discovery for the window ending on `date` and replace that partition of
/// `facet_proposals`. `llm` is needed by the OpenAI embedder and the LLM namer.
pub async fn discover(
    lake: &Lake,
    sql: &str,
    date: NaiveDate,
    p: &DiscoveryParams,
    llm: Option<&LlmConfig>,
) -> Result<DiscoveryReport> {
    let start = date - Duration::days(p.days.max(1) - 1);
    let ctx = lake.session_context().await?;
    let df = ctx.sql(sql).await?.with_param_values(vec![
        ("window_start", ScalarValue::from(start.to_string())),
        ("date", ScalarValue::from(date.to_string())),
        (
            "discovery_max_sessions",
            ScalarValue::from(p.max_sessions.max(1) as i64),
        ),
    ])?;
    let mut stream = df.execute_stream().await?;
    let mut raw: Vec<(String, String, Vec<String>)> = Vec::new();
    while let Some(b) = stream.next().await {
        let b = b?;
        let ids = string_column(&b, "session_id")?;
        let sums = string_column(&b, "summary")?;
        let labels = string_column(&b, "labels")?;
        for i in 0..b.num_rows() {
            let l = labels[i].clone().unwrap_or_default();
            raw.push((
                ids[i].clone().unwrap_or_default(),
                sums[i].clone().unwrap_or_default(),
                l.split('|')
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect(),
            ));
        }
    }
    raw.sort_by(|a, b| a.0.cmp(&b.0));
    let mask = text::mask_words(raw.iter().flat_map(|r| r.2.iter().map(String::as_str)));
    let residuals: Vec<Vec<Vec<String>>> =
        raw.iter().map(|r| text::residual(&r.1, &mask)).collect();
    let term_counts: Vec<BTreeMap<String, u32>> =
        residuals.iter().map(|r| text::terms(r)).collect();
    let docs: Vec<Doc> = raw
        .into_iter()
        .zip(&term_counts)
        .map(|((session, summary, labels), t)| Doc {
            session,
            summary,
            labels,
            terms: t.keys().cloned().collect(),
        })
        .collect();
    let mut report = DiscoveryReport {
        sessions: docs.len(),
        ..Default::default()
    };
    let decided: HashSet<String> = ledger::decisions(lake)
        .await?
        .into_iter()
        .map(|d| d.definition.name)
        .collect();

    let min_size = p
        .min_sessions
        .max((p.min_share * docs.len() as f64).ceil() as usize)
        .max(2);
    let points: Vec<usize> = (0..docs.len())
        .filter(|i| !docs[*i].terms.is_empty())
        .collect();
    let mut proposals = Vec::new();
    if points.len() >= min_size {
        let vectors = match &p.embedder {
            Embedder::Hashed { dims } => {
                let ts: Vec<BTreeMap<String, u32>> =
                    points.iter().map(|i| term_counts[*i].clone()).collect();
                text::hashed_tfidf(&ts, (*dims).max(8))
            }
            Embedder::OpenAi { model, batch } => {
                let cfg = llm.ok_or_else(|| {
                    Error::Usage("discovery_embedder = \"openai\" needs OPENAI_API_KEY".into())
                })?;
                // Each distinct residual is embedded once.
                let texts: Vec<String> = points
                    .iter()
                    .map(|i| text::residual_text(&residuals[*i]))
                    .collect();
                let uniq: Vec<String> = texts
                    .iter()
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let (vs, tokens) = signals_llm::discovery::embed(cfg, model, &uniq, *batch).await?;
                report.embedding_tokens = tokens;
                let by: BTreeMap<&String, &Vec<f32>> = uniq.iter().zip(&vs).collect();
                texts.iter().map(|t| normalized(by[t])).collect()
            }
        };
        let labels = cluster(&vectors, (min_size / 2).max(3))?;
        let mut clusters: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for (k, l) in labels.iter().enumerate() {
            if *l >= 0 {
                clusters.entry(*l).or_default().push(points[k]);
            }
        }
        report.clusters = clusters.len();
        // Each cluster's theme: its most common characteristic phrase.
        let mut themes: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for members in clusters.values() {
            match theme_of(&docs, members) {
                Some(t) => themes.entry(t).or_default().extend(members),
                None => report.skipped.push(format!(
                    "a cluster of {} without a characteristic phrase",
                    members.len()
                )),
            }
        }
        let mut taken: Vec<BTreeSet<usize>> = Vec::new();
        let mut ordered: Vec<(String, Vec<usize>)> = themes.into_iter().collect();
        ordered.sort_by_key(|(t, c)| (std::cmp::Reverse(c.len()), t.clone()));
        for (theme, clustered) in ordered {
            let members: BTreeSet<usize> = (0..docs.len())
                .filter(|i| docs[*i].terms.contains(&theme))
                .collect();
            let name = text::slug(&theme);
            let share = members.len() as f64 / docs.len() as f64;
            if decided.contains(&name) {
                report.skipped.push(format!("{name}: already decided"));
                continue;
            }
            if members.len() < p.min_sessions || share < p.min_share {
                report.skipped.push(format!(
                    "{name}: {} sessions ({:.1}%), below the size threshold",
                    members.len(),
                    share * 100.0
                ));
                continue;
            }
            if share > p.max_share {
                report.skipped.push(format!(
                    "{name}: in {:.0}% of sessions, the norm rather than a theme",
                    share * 100.0
                ));
                continue;
            }
            if taken
                .iter()
                .any(|t| t.intersection(&members).count() as f64 >= 0.8 * members.len() as f64)
            {
                report
                    .skipped
                    .push(format!("{name}: the same sessions as a larger theme"));
                continue;
            }
            let closest = closest_label(&docs, &members);
            if let Some((l, prec, rec)) = &closest
                && *prec >= p.max_overlap
                && *rec >= p.max_overlap
            {
                report.skipped.push(format!(
                    "{name}: explained by {l} (precision {prec:.2}, recall {rec:.2})"
                ));
                continue;
            }
            taken.push(members.clone());
            let values = candidate_values(&docs, &members, &theme);
            let mut examples: Vec<(String, String)> = clustered
                .iter()
                .take(5)
                .map(|i| (docs[*i].summary.clone(), docs[*i].session.clone()))
                .collect();
            examples.sort_by(|a, b| a.1.cmp(&b.1));
            let mut prop = Proposal {
                description: describe(&theme, members.len(), docs.len(), &values, &closest),
                name,
                terms: vec![theme.clone()],
                values: values.iter().map(|v| (text::slug(v), v.clone())).collect(),
                size: members.len(),
                clustered: clustered.len(),
                closest,
                examples,
                namer: "terms".into(),
            };
            if p.llm_namer
                && let Some(cfg) = llm
            {
                let ex: Vec<String> = prop.examples.iter().map(|e| e.0.clone()).collect();
                match signals_llm::discovery::name_theme(cfg, &theme, &values, &ex).await {
                    Ok(n) if !decided.contains(&n.name) => {
                        prop.description = format!(
                            "{} ({})",
                            n.description,
                            evidence(members.len(), docs.len(), &prop.closest)
                        );
                        prop.name = n.name;
                        prop.values = n.values;
                        prop.namer = format!("openai:{}", cfg.model);
                    }
                    Ok(n) => {
                        report.skipped.push(format!(
                            "{} (the model's name for {}): already decided",
                            n.name, prop.name
                        ));
                        continue;
                    }
                    Err(e) => report.skipped.push(format!(
                        "naming {} by the model failed ({e}); named by its phrase",
                        prop.name
                    )),
                }
            }
            proposals.push(prop);
        }
    }
    let batch = proposals_batch(&proposals, &p.embedder.id(), docs.len(), start)?;
    lake.write_partition_batches(&schema::facet_proposals(), date, vec![batch])
        .await?;
    report.proposals = proposals;
    Ok(report)
}

/// Names of the core facets (and the summary): never a discovered facet's name.
pub const RESERVED: &[&str] = &[
    "language",
    "framework",
    "intent",
    "outcome",
    "summary",
    "step_count",
    "tool_confirmed",
    "tool_rejected",
    "tool_cancelled",
    "friction",
];
