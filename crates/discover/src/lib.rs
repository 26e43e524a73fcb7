//! Facet discovery: the facet schema is not fixed. The `facet_discovery` stage
//! (weekly by default) reads the window's session summaries, keeps what existing
//! facets do not already say ([`text`]), embeds it (hashed TF-IDF offline, or the
//! OpenAI embeddings endpoint), clusters it with HDBSCAN, and writes each sizeable
//! theme that no existing facet value picks out into `facet_proposals`. People
//! decide with `signals facets accept|reject` ([`ledger`]); accepted facets are
//! extracted by both judges from then on.

pub mod ledger;
pub mod stage;
pub mod text;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use chrono::{Duration, NaiveDate};
use datafusion::common::ScalarValue;
use futures::StreamExt;
use hdbscan::{DistanceMetric, Hdbscan, HdbscanHyperParams, NnAlgorithm};
use signals_lake::{Lake, schema, string_column};
use signals_llm::LlmConfig;

pub use ledger::{Decision, accepted, decisions, record};

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
    /// The object store failed.
    #[error("facet ledger: {0}")]
    Store(object_store::Error),
    /// A ledger file is unreadable.
    #[error("facet ledger {file}: {reason}; fix or delete the file")]
    Ledger {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
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
            Error::Store(_) => ErrorClass::External,
            Error::Ledger { .. } | Error::Usage(_) => ErrorClass::User,
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

struct Doc {
    session: String,
    summary: String,
    labels: Vec<String>,
    terms: BTreeSet<String>,
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

fn normalized(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter().map(|x| x / n).collect()
    } else {
        v.to_vec()
    }
}

/// HDBSCAN over cosine distances (unit vectors; identical vectors are set a
/// hair apart, as the algorithm's density needs non-zero distances).
fn cluster(vectors: &[Vec<f32>], min_cluster_size: usize) -> Result<Vec<i32>> {
    let n = vectors.len();
    let mut d = vec![vec![0f32; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let dot: f32 = vectors[i].iter().zip(&vectors[j]).map(|(a, b)| a * b).sum();
            let x = (1.0 - dot).max(1e-4);
            d[i][j] = x;
            d[j][i] = x;
        }
    }
    let hp = HdbscanHyperParams::builder()
        .min_cluster_size(min_cluster_size.max(2))
        .min_samples(min_cluster_size.clamp(1, 5))
        .dist_metric(DistanceMetric::Precalculated)
        .nn_algorithm(NnAlgorithm::BruteForce)
        .allow_single_cluster(true)
        .build();
    Hdbscan::new(&d, hp)
        .cluster()
        .map_err(|e| Error::Cluster(e.to_string()))
}

/// Presence of `term` among `set` and among the rest.
fn presence(docs: &[Doc], set: &BTreeSet<usize>, term: &str) -> (f64, f64) {
    let inside = set
        .iter()
        .filter(|i| docs[**i].terms.contains(term))
        .count();
    let total = docs.iter().filter(|d| d.terms.contains(term)).count();
    let rest = docs.len() - set.len();
    (
        inside as f64 / set.len().max(1) as f64,
        if rest == 0 {
            0.0
        } else {
            (total - inside) as f64 / rest as f64
        },
    )
}

/// The cluster's theme: among phrases in at least 60% of its sessions and at
/// most a third as common elsewhere, the most common (a two-word phrase over
/// its words when as common).
fn theme_of(docs: &[Doc], members: &[usize]) -> Option<String> {
    let set: BTreeSet<usize> = members.iter().copied().collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    for i in members {
        seen.extend(&docs[*i].terms);
    }
    seen.into_iter()
        .filter_map(|t| {
            let (pin, pout) = presence(docs, &set, t);
            (pin >= 0.6 && pout <= pin / 3.0).then_some((pin, t.split(' ').count(), t))
        })
        .max_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
                .then(b.2.cmp(a.2))
        })
        .map(|(_, _, t)| t.clone())
}

/// The existing label closest to the theme's sessions (best F1): label,
/// precision, recall.
fn closest_label(docs: &[Doc], members: &BTreeSet<usize>) -> Option<(String, f64, f64)> {
    let mut all: BTreeMap<&str, usize> = BTreeMap::new();
    let mut inside: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        for l in &d.labels {
            *all.entry(l).or_default() += 1;
            if members.contains(&i) {
                *inside.entry(l).or_default() += 1;
            }
        }
    }
    inside
        .iter()
        .map(|(l, k)| {
            let prec = *k as f64 / members.len() as f64;
            let rec = *k as f64 / all[l] as f64;
            let f1 = 2.0 * prec * rec / (prec + rec);
            (f1, l.to_string(), prec, rec)
        })
        .max_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.1.cmp(&a.1))
        })
        .map(|(_, l, p, r)| (l, p, r))
}

/// Phrases that vary inside the theme: in 10-90% of its sessions and at least
/// three times as common there as elsewhere; a word is dropped when a phrase
/// with it covers it. At most 8, most common first.
fn candidate_values(docs: &[Doc], members: &BTreeSet<usize>, theme: &str) -> Vec<String> {
    let theme_words: BTreeSet<&str> = theme.split(' ').collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    for i in members {
        seen.extend(&docs[*i].terms);
    }
    let mut cands: Vec<(f64, String)> = seen
        .into_iter()
        .filter(|t| !t.split(' ').any(|w| theme_words.contains(w)))
        .filter_map(|t| {
            let (pin, pout) = presence(docs, members, t);
            ((0.1..=0.9).contains(&pin) && (pout == 0.0 || pin / pout >= 3.0))
                .then(|| (pin, t.clone()))
        })
        .collect();
    let phrases: Vec<(f64, String)> = cands
        .iter()
        .filter(|(_, t)| t.contains(' '))
        .cloned()
        .collect();
    cands.retain(|(pin, t)| {
        t.contains(' ')
            || !phrases
                .iter()
                .any(|(pp, p)| p.split(' ').any(|w| w == t) && *pp >= 0.9 * pin)
    });
    cands.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    cands.into_iter().take(8).map(|(_, t)| t).collect()
}

fn evidence(size: usize, total: usize, closest: &Option<(String, f64, f64)>) -> String {
    let mut s = format!(
        "{size} of {total} analysed sessions in the window, {:.1}%",
        size as f64 * 100.0 / total.max(1) as f64
    );
    match closest {
        Some((l, p, r)) => s.push_str(&format!(
            "; no existing facet picks them out: the closest, {l}, has precision {p:.2} and recall {r:.2}"
        )),
        None => s.push_str("; no existing facet value overlaps them"),
    }
    s
}

fn describe(
    theme: &str,
    size: usize,
    total: usize,
    values: &[String],
    closest: &Option<(String, f64, f64)>,
) -> String {
    let mut s = format!("Sessions whose summaries share \"{theme}\"");
    if !values.is_empty() {
        s.push_str(&format!(", varying by {}", values.join(", ")));
    }
    format!("{s} ({}).", evidence(size, total, closest))
}

fn proposals_batch(
    ps: &[Proposal],
    embedder: &str,
    window: usize,
    start: NaiveDate,
) -> Result<RecordBatch> {
    let mut name = StringBuilder::new();
    let mut desc = StringBuilder::new();
    let mut terms = ListBuilder::new(StringBuilder::new());
    let mut values = ListBuilder::new(StringBuilder::new());
    let mut value_terms = ListBuilder::new(StringBuilder::new());
    let mut size = Int64Builder::new();
    let mut clustered = Int64Builder::new();
    let mut win = Int64Builder::new();
    let mut share = Float64Builder::new();
    let mut closest = StringBuilder::new();
    let mut prec = Float64Builder::new();
    let mut rec = Float64Builder::new();
    let mut ex = ListBuilder::new(StringBuilder::new());
    let mut ex_s = ListBuilder::new(StringBuilder::new());
    let mut emb = StringBuilder::new();
    let mut namer = StringBuilder::new();
    let mut ws = StringBuilder::new();
    let list = |b: &mut ListBuilder<StringBuilder>, xs: &mut dyn Iterator<Item = &String>| {
        for x in xs {
            b.values().append_value(x);
        }
        b.append(true);
    };
    for p in ps {
        name.append_value(&p.name);
        desc.append_value(&p.description);
        list(&mut terms, &mut p.terms.iter());
        list(&mut values, &mut p.values.iter().map(|v| &v.0));
        list(&mut value_terms, &mut p.values.iter().map(|v| &v.1));
        size.append_value(p.size as i64);
        clustered.append_value(p.clustered as i64);
        win.append_value(window as i64);
        share.append_value(p.size as f64 / window.max(1) as f64);
        closest.append_option(p.closest.as_ref().map(|c| c.0.clone()));
        prec.append_option(p.closest.as_ref().map(|c| c.1));
        rec.append_option(p.closest.as_ref().map(|c| c.2));
        list(&mut ex, &mut p.examples.iter().map(|e| &e.0));
        list(&mut ex_s, &mut p.examples.iter().map(|e| &e.1));
        emb.append_value(embedder);
        namer.append_value(&p.namer);
        ws.append_value(start.to_string());
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(name.finish()),
        Arc::new(desc.finish()),
        Arc::new(terms.finish()),
        Arc::new(values.finish()),
        Arc::new(value_terms.finish()),
        Arc::new(size.finish()),
        Arc::new(clustered.finish()),
        Arc::new(win.finish()),
        Arc::new(share.finish()),
        Arc::new(closest.finish()),
        Arc::new(prec.finish()),
        Arc::new(rec.finish()),
        Arc::new(ex.finish()),
        Arc::new(ex_s.finish()),
        Arc::new(emb.finish()),
        Arc::new(namer.finish()),
        Arc::new(ws.finish()),
    ];
    Ok(RecordBatch::try_new(
        schema::facet_proposals().file_schema(),
        cols,
    )?)
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

/// A proposal as stored: the latest `facet_proposals` row of its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Discovery date of the row.
    pub date: String,
    /// Facet name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Theme phrases.
    pub terms: Vec<String>,
    /// Candidate values with their phrases.
    pub values: Vec<(String, String)>,
    /// Sessions with the theme, and the window's.
    pub size: i64,
    /// Share of the window.
    pub share: f64,
    /// Closest existing label.
    pub closest: Option<String>,
    /// Example summaries.
    pub examples: Vec<String>,
    /// Who named it.
    pub namer: String,
    /// Dates it was proposed on.
    pub proposed_on: Vec<String>,
}

fn list_column(b: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>> {
    use arrow::array::{Array, AsArray};
    let col = b
        .column_by_name(name)
        .ok_or_else(|| Error::Usage(format!("facet_proposals has no column {name:?}")))?;
    let list = col.as_list::<i32>();
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(Vec::new());
            continue;
        }
        let v = arrow::compute::cast(&list.value(i), &arrow::datatypes::DataType::Utf8)?;
        let s = v.as_string::<i32>();
        out.push(
            (0..s.len())
                .filter(|j| s.is_valid(*j))
                .map(|j| s.value(j).to_string())
                .collect(),
        );
    }
    Ok(out)
}

/// Every proposal in the lake, latest row per name, largest first.
pub async fn proposals(lake: &Lake) -> Result<Vec<Stored>> {
    let ctx = lake.session_context().await?;
    let df = ctx
        .sql(
            "SELECT date, name, description, terms, candidate_values, value_terms, cluster_size,
                    share, closest_facet, example_summaries, namer
             FROM facet_proposals ORDER BY date DESC, cluster_size DESC, name",
        )
        .await?;
    let batches = df.collect().await?;
    let mut out: Vec<Stored> = Vec::new();
    for b in &batches {
        let s = |c: &str| string_column(b, c);
        let (date, name, desc, closest, namer) = (
            s("date")?,
            s("name")?,
            s("description")?,
            s("closest_facet")?,
            s("namer")?,
        );
        let size = s("cluster_size")?;
        let share = s("share")?;
        let terms = list_column(b, "terms")?;
        let values = list_column(b, "candidate_values")?;
        let value_terms = list_column(b, "value_terms")?;
        let examples = list_column(b, "example_summaries")?;
        for i in 0..b.num_rows() {
            let n = name[i].clone().unwrap_or_default();
            let d = date[i].clone().unwrap_or_default();
            if let Some(prev) = out.iter_mut().find(|p| p.name == n) {
                prev.proposed_on.push(d);
                continue;
            }
            out.push(Stored {
                date: d.clone(),
                name: n,
                description: desc[i].clone().unwrap_or_default(),
                terms: terms[i].clone(),
                values: values[i]
                    .iter()
                    .cloned()
                    .zip(value_terms[i].iter().cloned())
                    .collect(),
                size: size[i].as_deref().and_then(|x| x.parse().ok()).unwrap_or(0),
                share: share[i]
                    .as_deref()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0.0),
                closest: closest[i].clone(),
                examples: examples[i].clone(),
                namer: namer[i].clone().unwrap_or_default(),
                proposed_on: vec![d],
            });
        }
    }
    for p in &mut out {
        p.proposed_on.sort();
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Accept (`accept = true`) or reject the proposal `name`, recording who and why.
/// `values` keeps only those candidate values (all when `None`).
pub async fn decide(
    lake: &Lake,
    name: &str,
    accept: bool,
    values: Option<&[String]>,
    by: &str,
    reason: Option<String>,
) -> Result<Decision> {
    let all = proposals(lake).await?;
    let Some(p) = all.iter().find(|p| p.name == name) else {
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "no proposal {name:?}; proposals: {}",
            if names.is_empty() {
                "none yet (the facet_discovery stage of `signals run daily` writes them)"
                    .to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    if accept && RESERVED.contains(&name) {
        return Err(Error::Usage(format!(
            "{name} is a core facet's name; a discovered facet needs its own"
        )));
    }
    let mut kept = p.values.clone();
    if let Some(want) = values {
        for w in want {
            if !p.values.iter().any(|(v, _)| v == w) {
                return Err(Error::Usage(format!(
                    "{name} has no candidate value {w:?}; its values: {}",
                    p.values
                        .iter()
                        .map(|v| v.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        kept.retain(|(v, _)| want.contains(v));
    }
    let d = Decision {
        status: if accept { "accepted" } else { "rejected" }.into(),
        decided_by: by.into(),
        decided_at: chrono::Utc::now(),
        reason,
        proposed_on: p.date.clone(),
        definition: signals_judge::FacetDef {
            name: p.name.clone(),
            description: p.description.clone(),
            terms: p.terms.clone(),
            values: kept
                .into_iter()
                .map(|(value, term)| signals_judge::ValueDef {
                    value,
                    terms: vec![term],
                })
                .collect(),
        },
    };
    ledger::record(lake, &d).await?;
    Ok(d)
}
