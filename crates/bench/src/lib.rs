//! `signals bench`: the whole pipeline at scale, measured.
//!
//! 1. Generate sessions with `signals generate`'s generator (cached in the bench
//!    directory for the same parameters).
//! 2. Ingest them and run the daily pipeline with the built-in judge over every
//!    date, each as a child `signals` process: wall time, and peak RSS sampled
//!    from `/proc/<pid>/status` every 20 ms; each stage's time and the process's
//!    peak RSS while it ran come from the run's JSON log events.
//! 3. The pipeline's SQL stages (filter, patterns, before/after) and a full scan
//!    of `events` (the floor), in DataFusion in this process and in DuckDB (the
//!    Python package) on the same Parquet files, median of `reps` runs each.
//! 4. The LLM judge's cost model on a sample of analysed sessions ([`cost`]): the
//!    tokens its requests would carry after condensing (o200k, the real
//!    tokenizer) against sending whole sessions, and the cost per 1,000 sessions
//!    at batch prices, judging every session or with the cascade. `signals bench
//!    cost` runs it alone on any lake (real-size or real sessions).
//!
//! Nothing here is a test: timings are reported, never asserted.

mod cost;
mod engines;
mod hook;
mod proc;
mod report;

use engines::{duckdb, duckdb_job, time_query};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use signals_judge::run::Selection;
use signals_lake::Lake;
use signals_runner::Pipeline;

pub use cost::{CostConfig, CostModel, cost_model};
pub use proc::{Measured, measure};

/// Errors of the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Generating sessions failed.
    #[error(transparent)]
    Generate(#[from] signals_generate::Error),
    /// Lake failure.
    #[error(transparent)]
    Lake(#[from] signals_lake::Error),
    /// A query failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Reading sessions failed.
    #[error(transparent)]
    Judge(#[from] signals_judge::Error),
    /// The pipeline could not be loaded.
    #[error(transparent)]
    Runner(#[from] signals_runner::Error),
    /// A step (child process, file) failed.
    #[error("{0}")]
    Step(String),
    /// I/O failure.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of the benchmark.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Sessions generated.
    pub sessions: u64,
    /// Days they spread over.
    pub days: u32,
    /// Share of long sessions (0.3: about 60 events per session).
    pub long_share: f64,
    /// Generator seed.
    pub seed: u64,
    /// Working directory (sessions, lake, report).
    pub dir: PathBuf,
    /// The `signals` binary (children are run with it).
    pub exe: PathBuf,
    /// Python with the `duckdb` package ("" skips DuckDB).
    pub python: String,
    /// Runs per query (the median counts).
    pub reps: usize,
    /// Rounds of the side-by-side, the engines alternating (the median counts).
    pub rounds: usize,
    /// Dates the SQL stages are compared on (the last ones).
    pub sql_dates: usize,
    /// Sessions in the LLM cost sample.
    pub llm_sample: usize,
    /// Real-size sessions (`signals generate --real-size`) the LLM cost model
    /// also runs on (0 skips it).
    pub real_size_sessions: u64,
}

/// One pipeline stage, summed over dates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageTime {
    /// Seconds, summed over dates.
    pub seconds: f64,
    /// Rows written, summed.
    pub rows: u64,
    /// Peak RSS of the pipeline process while the stage ran (bytes).
    pub peak_rss: u64,
}

/// One SQL stage side by side. Each round runs every query in both engines, ours
/// first; a round's time is the sum over the dates of each date's median of reps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SqlCompare {
    /// Ours (DataFusion), seconds: the median of the rounds.
    pub ours: f64,
    /// Of `ours`, the seconds spent planning (SQL to physical plan: parsing,
    /// optimizing, listing partitions): the median of the rounds.
    pub ours_planning: f64,
    /// DuckDB's seconds, the median of the rounds, when it ran.
    pub duckdb: Option<f64>,
    /// Ours / DuckDB's: the median of the rounds' ratios.
    pub ratio: Option<f64>,
    /// Ours, seconds, per round.
    pub ours_rounds: Vec<f64>,
    /// Ours, planning seconds, per round.
    pub planning_rounds: Vec<f64>,
    /// DuckDB's seconds, per round.
    pub duckdb_rounds: Vec<f64>,
    /// Ours / DuckDB's, per round.
    pub ratios: Vec<f64>,
    /// Result rows per date, ours.
    pub rows: Vec<u64>,
    /// Result rows per date, DuckDB's.
    pub duckdb_rows: Vec<u64>,
}

impl SqlCompare {
    /// Fill in the medians of the rounds (`ours_rounds`, `planning_rounds`,
    /// `duckdb_rounds`) and each round's ratio.
    pub fn summarize(&mut self) {
        self.ours = median(&self.ours_rounds);
        self.ours_planning = median(&self.planning_rounds);
        self.ratios = self
            .ours_rounds
            .iter()
            .zip(&self.duckdb_rounds)
            .map(|(o, d)| o / d.max(1e-9))
            .collect();
        self.duckdb = (!self.duckdb_rounds.is_empty()).then(|| median(&self.duckdb_rounds));
        self.ratio = (!self.ratios.is_empty()).then(|| median(&self.ratios));
    }
}

/// The median of `xs` (the upper one of an even count; 0 for none).
fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Everything measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchReport {
    /// Sessions and events in the lake.
    pub sessions: u64,
    /// Events ingested.
    pub events: u64,
    /// Analysed sessions (>= min_steps) and their events.
    pub analysed: u64,
    /// Events of the analysed sessions.
    pub analysed_events: u64,
    /// Dates.
    pub dates: usize,
    /// Generation seconds (0 when reused).
    pub generate_s: f64,
    /// Ingest: seconds and peak RSS.
    pub ingest: Measured,
    /// The pipeline over every date: seconds and peak RSS.
    pub pipeline: Measured,
    /// Per stage.
    pub stages: BTreeMap<String, StageTime>,
    /// SQL side by side, with `scan` the floor.
    pub sql: BTreeMap<String, SqlCompare>,
    /// DuckDB's version, or why it did not run.
    pub duckdb: String,
    /// The LLM cost model.
    pub llm: CostModel,
    /// The LLM cost model on real-size sessions, when they were generated.
    pub llm_real_size: Option<CostModel>,
    /// The next day as a team runs it: a day's sessions land in a landing zone,
    /// and `signals run daily` for that date ingests them (only them) and runs
    /// the pipeline on the lake of every earlier day.
    pub incremental_day: Measured,
    /// Sessions of that day.
    pub incremental_sessions: u64,
    /// The live hook on a 2,000-line transcript.
    pub hook: hook::HookLatency,
}

/// Run the benchmark, printing progress to stderr.
pub async fn run(cfg: &BenchConfig) -> Result<BenchReport> {
    std::fs::create_dir_all(&cfg.dir)?;
    let sessions_dir = cfg.dir.join("sessions");
    let lake_dir = cfg.dir.join("lake");
    let mut r = BenchReport::default();

    // 1. Sessions, reused when generated with the same parameters.
    let stamp = format!(
        "sessions={} days={} long_share={} seed={}",
        cfg.sessions, cfg.days, cfg.long_share, cfg.seed
    );
    let marker = cfg.dir.join("sessions.generated");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(stamp.as_str()) {
        eprintln!("bench: generating {}", stamp);
        let _ = std::fs::remove_dir_all(&sessions_dir);
        let mut g = signals_generate::GenConfig::new(&sessions_dir);
        g.sessions = cfg.sessions;
        g.days = cfg.days;
        g.seed = cfg.seed;
        g.long_share = cfg.long_share;
        g.labels = Some(cfg.dir.join("labels.jsonl"));
        let t = Instant::now();
        signals_generate::generate(&g)?;
        r.generate_s = t.elapsed().as_secs_f64();
        std::fs::write(&marker, &stamp)?;
    } else {
        eprintln!("bench: reusing the sessions in {}", sessions_dir.display());
    }

    // 2. Ingest and the pipeline, as a user runs them.
    let _ = std::fs::remove_dir_all(&lake_dir);
    let lake_url = lake_dir.display().to_string();
    eprintln!("bench: ingest");
    r.ingest = measure(
        &cfg.exe,
        &[
            "--lake",
            &lake_url,
            "ingest",
            &sessions_dir.display().to_string(),
        ],
        &cfg.dir,
        |_| {},
    )?;
    eprintln!(
        "bench: ingest took {:.1}s; running the daily pipeline over every date",
        r.ingest.seconds
    );
    let mut running: BTreeMap<String, Instant> = BTreeMap::new();
    let mut stages: BTreeMap<String, StageTime> = BTreeMap::new();
    let mut peaks: BTreeMap<String, u64> = BTreeMap::new();
    r.pipeline = measure(
        &cfg.exe,
        &[
            "--lake",
            &lake_url,
            "backfill",
            "daily",
            "--all",
            "--log-format",
            "json",
        ],
        &cfg.dir,
        |ev| match ev {
            proc::Event::Line(l) => {
                let Ok(v) = serde_json::from_str::<Value>(l) else {
                    return;
                };
                let key = format!("{}|{}", v["date"], v["stage"]);
                let stage = v["stage"].as_str().unwrap_or("").to_string();
                match v["event"].as_str() {
                    Some("stage_started") => {
                        running.insert(key, Instant::now());
                    }
                    Some("stage_finished") => {
                        running.remove(&key);
                        let st = stages.entry(stage.clone()).or_default();
                        st.seconds += v["duration_ms"].as_f64().unwrap_or(0.0) / 1000.0;
                        st.rows += v["rows"].as_u64().unwrap_or(0);
                        st.peak_rss = st.peak_rss.max(peaks.get(&stage).copied().unwrap_or(0));
                    }
                    _ => {}
                }
            }
            proc::Event::Rss(bytes) => {
                for k in running.keys() {
                    let stage = k.split_once('|').map_or("", |x| x.1).trim_matches('"');
                    let p = peaks.entry(stage.to_string()).or_default();
                    *p = (*p).max(bytes);
                }
            }
        },
    )?;
    for (name, st) in &mut stages {
        st.peak_rss = st.peak_rss.max(peaks.get(name).copied().unwrap_or(0));
    }
    r.stages = stages;
    eprintln!("bench: pipeline took {:.1}s", r.pipeline.seconds);

    // Sizes (before the incremental day below adds its sessions).
    let lake = Lake::open(&lake_url)?;
    let ctx = lake.session_context().await?;
    let one = |sql: &'static str| {
        let ctx = ctx.clone();
        async move {
            #[derive(serde::Deserialize)]
            struct N {
                n: Option<i64>,
            }
            let rows: Vec<N> = signals_lake::query_rows(&ctx, sql, vec![]).await?;
            Ok::<u64, Error>(rows.first().and_then(|r| r.n).unwrap_or(0).max(0) as u64)
        }
    };
    r.sessions = one("SELECT count(*) AS n FROM sessions").await?;
    r.events = one("SELECT sum(event_count) AS n FROM sessions").await?;
    r.analysed = one("SELECT count(*) AS n FROM analysed_sessions").await?;
    r.analysed_events = one(
        "SELECT sum(s.event_count) AS n FROM sessions s JOIN analysed_sessions a ON a.date = s.date AND a.session_id = s.session_id",
    )
    .await?;
    let dates = lake.partitions("sessions").await?;
    r.dates = dates.len();

    // The incremental day: one more day of sessions lands as an object in a
    // landing zone; the daily run for it ingests that object and runs the stages.
    if let Some(last) = dates.last().copied() {
        let next = last + chrono::Duration::days(1);
        let landing = cfg.dir.join("landing");
        let _ = std::fs::remove_dir_all(&landing);
        let mut g = signals_generate::GenConfig::new(&landing);
        g.sessions = (cfg.sessions / u64::from(cfg.days.max(1))).max(1);
        g.days = 1;
        g.seed = cfg.seed.wrapping_add(1);
        g.long_share = cfg.long_share;
        g.start = next;
        g.labels = Some(cfg.dir.join("landing-labels.jsonl"));
        signals_generate::generate(&g)?;
        r.incremental_sessions = g.sessions;
        let url = format!("file://{}/", landing.display());
        eprintln!("bench: the next day ({next}) through the landing zone");
        r.incremental_day = measure(
            &cfg.exe,
            &[
                "--lake",
                &lake_url,
                "run",
                "daily",
                "--date",
                &next.to_string(),
                "--param",
                &format!("landing={url}"),
                "--log-format",
                "quiet",
            ],
            &cfg.dir,
            |_| {},
        )?;
        eprintln!("bench: the next day took {:.1}s", r.incremental_day.seconds);
    }

    // 3. SQL side by side.
    let pipeline = Pipeline::load("daily")?;
    let chosen: Vec<NaiveDate> = dates
        .iter()
        .rev()
        .take(cfg.sql_dates.max(1))
        .rev()
        .copied()
        .collect();
    let mut queries: Vec<(String, String)> = Vec::new();
    for (stage, file) in [
        ("filter", "stages/filter.sql"),
        ("patterns", "stages/patterns.sql"),
        ("remeasure", "stages/remeasure.sql"),
    ] {
        queries.push((stage.into(), pipeline.read_sql(file)?));
    }
    queries.push((
        "scan".into(),
        "SELECT * FROM events WHERE date = $date".into(),
    ));
    // Rounds alternate the engines, so that a drift of the machine's speed (this
    // machine's moves by 20-70% between stretches) falls on both of them.
    let rounds = cfg.rounds.max(1);
    let job = if cfg.python.is_empty() {
        r.duckdb = "skipped (--python \"\")".into();
        None
    } else {
        match duckdb_job(cfg, &lake_dir, &pipeline, &queries, &chosen) {
            Ok(job) => Some(job),
            Err(e) => {
                r.duckdb = format!("not run: {e}");
                None
            }
        }
    };
    for round in 1..=rounds {
        eprintln!("bench: SQL stages in DataFusion (round {round} of {rounds})");
        for (stage, sql) in &queries {
            let c = r.sql.entry(stage.clone()).or_default();
            let (mut ours, mut planning) = (0.0, 0.0);
            c.rows.clear();
            for d in &chosen {
                let params = pipeline.resolve_params(&[], &d.to_string())?;
                let (secs, plan, rows) = time_query(&ctx, sql, &params, cfg.reps).await?;
                ours += secs;
                planning += plan;
                c.rows.push(rows);
            }
            c.ours_rounds.push(ours);
            c.planning_rounds.push(planning);
        }
        let Some((script, job)) = &job else {
            continue;
        };
        eprintln!("bench: SQL stages in DuckDB (round {round} of {rounds})");
        match duckdb(cfg, script, job) {
            Ok(v) => {
                r.duckdb = format!("duckdb {}", v["duckdb"].as_str().unwrap_or("?"));
                for (stage, c) in &mut r.sql {
                    if let Some(secs) = v["stages"][stage]["seconds"].as_f64() {
                        c.duckdb_rounds.push(secs);
                    }
                    c.duckdb_rows = v["stages"][stage]["rows"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_u64).collect())
                        .unwrap_or_default();
                }
            }
            Err(e) => {
                r.duckdb = format!("not run: {e}");
                break;
            }
        }
    }
    for c in r.sql.values_mut() {
        c.summarize();
    }

    // 4. The live hook, as the agent runs it.
    eprintln!("bench: the live hook on a 2,000-line transcript");
    r.hook = hook::measure(&cfg.exe, &cfg.dir, 2000, 20)?;

    // 5. The LLM cost model.
    eprintln!("bench: LLM cost model");
    let cc = CostConfig {
        max_sessions: cfg.llm_sample,
        ..CostConfig::default()
    };
    r.llm = cost_model(
        &ctx,
        &dates,
        &Selection::Table("analysed_sessions".into()),
        &cc,
    )
    .await?;
    if cfg.real_size_sessions > 0 {
        eprintln!(
            "bench: LLM cost model on {} real-size sessions",
            cfg.real_size_sessions
        );
        r.llm_real_size = Some(real_size_cost(cfg, &cc).await?);
    }
    Ok(r)
}

/// The cost model on real-size sessions: generated with long-tailed tool outputs
/// (kept for the same parameters, like the bench's sessions), ingested into a
/// lake of their own, every session of 30+ steps.
async fn real_size_cost(cfg: &BenchConfig, cc: &CostConfig) -> Result<CostModel> {
    let dir = cfg.dir.join("real-size");
    let gen_dir = dir.join("sessions");
    let stamp = format!("sessions={} seed={}", cfg.real_size_sessions, cfg.seed);
    let marker = dir.join("sessions.generated");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(stamp.as_str()) {
        let _ = std::fs::remove_dir_all(&dir);
        let mut g = signals_generate::GenConfig::new(&gen_dir);
        g.sessions = cfg.real_size_sessions;
        g.days = 1;
        g.seed = cfg.seed;
        g.real_size = true;
        g.labels = Some(dir.join("labels.jsonl"));
        signals_generate::generate(&g)?;
        std::fs::write(&marker, &stamp)?;
    }
    let lake_dir = dir.join("lake");
    let _ = std::fs::remove_dir_all(&lake_dir);
    let lake_url = lake_dir.display().to_string();
    measure(
        &cfg.exe,
        &[
            "--lake",
            &lake_url,
            "ingest",
            &gen_dir.display().to_string(),
        ],
        &dir,
        |_| {},
    )?;
    let lake = Lake::open(&lake_url)?;
    let ctx = lake.session_context().await?;
    let dates = lake.partitions("sessions").await?;
    let cc = CostConfig {
        max_sessions: cfg.real_size_sessions as usize,
        ..cc.clone()
    };
    cost_model(&ctx, &dates, &Selection::MinSteps(30), &cc).await
}
