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

pub mod cost;
pub mod hook;
mod proc;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use signals_judge::run::Selection;
use signals_lake::{Lake, schema, string_column};
use signals_runner::{Param, Pipeline};

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
            let b = ctx.sql(sql).await?.collect().await?;
            let v = b
                .first()
                .map(|b| string_column(b, "n"))
                .transpose()?
                .and_then(|c| c.into_iter().next().flatten())
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            Ok::<u64, Error>(v)
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

/// Median seconds of `reps` runs of a query in `ctx` (all batches read), the
/// median of their planning, and its rows.
async fn time_query(
    ctx: &SessionContext,
    sql: &str,
    params: &BTreeMap<String, Param>,
    reps: usize,
) -> Result<(f64, f64, u64)> {
    let used = Pipeline::placeholders(sql);
    let values: Vec<(String, datafusion::scalar::ScalarValue)> = params
        .iter()
        .filter(|(k, _)| used.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.scalar()))
        .collect();
    let mut times = Vec::new();
    let mut planning = Vec::new();
    let mut rows = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        // Planning apart from execution: at this scale DataFusion's planning is a
        // sizeable share of a query, and the report says how much.
        let p = Instant::now();
        let plan = ctx
            .sql(sql)
            .await?
            .with_param_values(values.clone())?
            .create_physical_plan()
            .await?;
        planning.push(p.elapsed().as_secs_f64());
        let mut s = datafusion::physical_plan::execute_stream(plan, ctx.task_ctx())?;
        let mut n = 0u64;
        while let Some(b) = s.next().await {
            n += b?.num_rows() as u64;
        }
        times.push(t.elapsed().as_secs_f64());
        rows = n;
    }
    Ok((median(&times), median(&planning), rows))
}

fn duck_type(t: &arrow::datatypes::DataType) -> &'static str {
    use arrow::datatypes::DataType as D;
    match t {
        D::Int64 | D::Int32 => "BIGINT",
        D::Float64 => "DOUBLE",
        D::Boolean => "BOOLEAN",
        D::Timestamp(_, _) => "TIMESTAMPTZ",
        D::List(_) => "VARCHAR[]",
        _ => "VARCHAR",
    }
}

/// The DuckDB side's script (`duckdb_stages.py`) and its job, the same files and
/// queries as ours, written once into the working directory.
fn duckdb_job(
    cfg: &BenchConfig,
    lake_dir: &Path,
    pipeline: &Pipeline,
    queries: &[(String, String)],
    dates: &[NaiveDate],
) -> Result<(PathBuf, String)> {
    let script = cfg.dir.join("duckdb_stages.py");
    std::fs::write(&script, include_str!("../duckdb_stages.py"))?;
    let tables: serde_json::Map<String, Value> = schema::all_tables()
        .iter()
        .map(|t| {
            let cols: Vec<Value> = t
                .columns
                .iter()
                .map(|c| json!([c.name, duck_type(&c.data_type)]))
                .collect();
            (t.name.to_string(), Value::Array(cols))
        })
        .collect();
    let views: Vec<&str> = schema::VIEWS.iter().map(|(_, sql)| *sql).collect();
    let qs: Vec<Value> = queries
        .iter()
        .map(|(stage, sql)| {
            let used = Pipeline::placeholders(sql);
            let runs: Vec<Value> = dates
                .iter()
                .map(|d| {
                    let p = pipeline
                        .resolve_params(&[], &d.to_string())
                        .unwrap_or_default();
                    let params: serde_json::Map<String, Value> = p
                        .iter()
                        .filter(|(k, _)| used.contains(k.as_str()))
                        .map(|(k, v)| {
                            let v = match v {
                                Param::Int(i) => json!(i),
                                Param::Float(f) => json!(f),
                                Param::Bool(b) => json!(b),
                                Param::Str(s) => json!(s),
                            };
                            (k.clone(), v)
                        })
                        .collect();
                    json!({"date": d.to_string(), "params": params})
                })
                .collect();
            json!({"stage": stage, "sql": sql, "runs": runs})
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let job = json!({"lake": lake_dir.canonicalize()?.display().to_string(), "tables": tables, "views": views, "queries": qs, "reps": cfg.reps.max(1), "threads": threads});
    // Kept beside the script, to rerun the DuckDB side by hand:
    // python3 duckdb_stages.py < duckdb_job.json
    let job = job.to_string();
    std::fs::write(cfg.dir.join("duckdb_job.json"), &job)?;
    Ok((script, job))
}

/// Run one round of the DuckDB side: its stages' seconds and rows (JSON).
fn duckdb(cfg: &BenchConfig, script: &Path, job: &str) -> Result<Value> {
    let mut child = std::process::Command::new(&cfg.python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::Step(format!("{}: {e}", cfg.python)))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(job.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        return Err(Error::Step(format!(
            "{} {}: {last} (pip install -r notebooks/requirements.txt)",
            cfg.python,
            script.display()
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::Step(format!("duckdb output: {e}")))
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

impl BenchReport {
    /// The report as Markdown, with the targets and where they are missed.
    pub fn markdown(&self, cfg: &BenchConfig) -> String {
        let mut s = String::new();
        let per_s = |n: u64, secs: f64| {
            if secs >= 0.05 {
                format!("{:.0}", n as f64 / secs)
            } else {
                "-".into()
            }
        };
        s.push_str(&format!(
            "# signals bench\n\n{} sessions ({} events, {:.1} per session) over {} days; {} analysed (>= 30 steps, {} events). Machine: {} cores.\n\n",
            self.sessions,
            self.events,
            self.events as f64 / self.sessions.max(1) as f64,
            self.dates,
            self.analysed,
            self.analysed_events,
            std::thread::available_parallelism().map_or(0, |n| n.get())
        ));
        s.push_str("## Stages\n\n| stage | wall s | rows | sessions/s | events/s | peak RSS |\n|---|---:|---:|---:|---:|---:|\n");
        s.push_str(&format!(
            "| generate | {:.1} | | {} | | |\n",
            self.generate_s,
            per_s(self.sessions, self.generate_s)
        ));
        s.push_str(&format!(
            "| ingest | {:.1} | {} | {} | {} | {} |\n",
            self.ingest.seconds,
            self.events,
            per_s(self.sessions, self.ingest.seconds),
            per_s(self.events, self.ingest.seconds),
            gib(self.ingest.peak_rss)
        ));
        let mut order: Vec<(&String, &StageTime)> = self.stages.iter().collect();
        order.sort_by(|a, b| b.1.seconds.total_cmp(&a.1.seconds));
        for (name, st) in &order {
            // Sessions a stage works on: all for filter, the analysed ones after.
            let (n, ev) = match name.as_str() {
                "filter" => (self.sessions, self.events),
                _ => (self.analysed, self.analysed_events),
            };
            s.push_str(&format!(
                "| {name} | {:.1} | {} | {} | {} | {} |\n",
                st.seconds,
                st.rows,
                per_s(n, st.seconds),
                per_s(ev, st.seconds),
                gib(st.peak_rss)
            ));
        }
        s.push_str(&format!(
            "| **pipeline (all dates)** | {:.1} | | {} | {} | {} |\n\n",
            self.pipeline.seconds,
            per_s(self.sessions, self.pipeline.seconds),
            per_s(self.events, self.pipeline.seconds),
            gib(self.pipeline.peak_rss)
        ));
        s.push_str("Stage seconds are summed over dates; friction and facets run side by side, so stage times add up to more than the pipeline's wall time. Peak RSS is the pipeline process's while the stage ran.\n\n");
        s.push_str(&format!(
            "## SQL stages side by side ({} dates, median of {} runs, median of {} rounds; {})\n\n| query | ours s | of which planning s | DuckDB s | ours / DuckDB | per round | ours / full scan | rows equal |\n|---|---:|---:|---:|---:|---|---:|---|\n",
            cfg.sql_dates, cfg.reps, cfg.rounds.max(1), self.duckdb
        ));
        let scan = self.sql.get("scan").map_or(0.0, |c| c.ours);
        for (name, c) in &self.sql {
            s.push_str(&format!(
                "| {} | {:.3} | {:.3} | {} | {} | {} | {:.2} | {} |\n",
                if name == "scan" {
                    "full scan of events (floor)"
                } else {
                    name
                },
                c.ours,
                c.ours_planning,
                c.duckdb.map_or("-".into(), |d| format!("{d:.3}")),
                c.ratio.map_or("-".into(), |x| format!("{x:.2}")),
                c.ratios
                    .iter()
                    .map(|x| format!("{x:.2}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                c.ours / scan.max(1e-9),
                if c.duckdb_rows.is_empty() {
                    "-".to_string()
                } else {
                    (c.duckdb_rows == c.rows).to_string()
                }
            ));
        }
        s.push_str("\nOurs is the whole query, planning and execution; planning is SQL to physical plan (parsing, optimizing, listing the partitions). DuckDB's time includes its own planning. Each round runs every query in both engines, ours first; the ratio is the median of the rounds' ratios.\n");
        s.push('\n');
        s.push_str(&self.llm.markdown("analysed sessions of the last dates"));
        s.push('\n');
        if let Some(real) = &self.llm_real_size {
            s.push_str(
                &real.markdown("real-size sessions (`signals generate --real-size`), 30+ steps"),
            );
            s.push('\n');
        }
        s.push_str("## Targets\n\n");
        let mut check = |ok: bool, what: String| {
            s.push_str(&format!("- {} {what}\n", if ok { "PASS" } else { "MISS" }));
        };
        check(
            self.ingest.seconds + self.pipeline.seconds < 600.0,
            format!(
                "ingest + pipeline under 10 minutes: {:.0} s",
                self.ingest.seconds + self.pipeline.seconds
            ),
        );
        check(
            self.incremental_day.seconds < 30.0,
            format!(
                "the next day ({} sessions landing, ingested and run through the pipeline on the lake of the {} days before) under 30 s: {:.1} s",
                self.incremental_sessions, self.dates, self.incremental_day.seconds
            ),
        );
        check(
            self.hook.fired && self.hook.median_ms < 200.0,
            format!(
                "the live hook (`signals hook claude-code`, a process per prompt) on a {}-line transcript with a cascade under way under 200 ms: median {:.0} ms, slowest {:.0} ms of {} runs{}",
                self.hook.lines,
                self.hook.median_ms,
                self.hook.max_ms,
                self.hook.runs,
                if self.hook.fired {
                    ""
                } else {
                    " (it did not answer)"
                }
            ),
        );
        let peak = self.ingest.peak_rss.max(self.pipeline.peak_rss);
        check(
            peak < 4 << 30,
            format!("peak memory under 4 GiB: {}", gib(peak)),
        );
        let eps = self.events as f64 / self.ingest.seconds.max(1e-9);
        check(
            eps >= 300_000.0,
            format!("ingest at >= 300k events/s: {eps:.0}"),
        );
        for (name, c) in &self.sql {
            if name == "scan" {
                continue;
            }
            if let (Some(d), Some(ratio)) = (c.duckdb, c.ratio) {
                // A miss says how much of it is planning, our fixed cost per query.
                let why = if ratio > 1.0 {
                    format!(
                        "; execution alone {:.2}×, planning {:.3} s of ours",
                        (c.ours - c.ours_planning) / d.max(1e-9),
                        c.ours_planning
                    )
                } else {
                    String::new()
                };
                check(
                    ratio <= 1.0,
                    format!(
                        "{name} no slower than DuckDB: {ratio:.2}× ({:.3} s vs {:.3} s{why})",
                        c.ours, d
                    ),
                );
            }
        }
        if let Some((name, st)) = order.first() {
            s.push_str(&format!(
                "\nThe slowest stage is `{name}` ({:.0}% of the summed stage time); see docs/benchmarks.md for profiles.\n",
                100.0 * st.seconds / order.iter().map(|(_, x)| x.seconds).sum::<f64>().max(1e-9)
            ));
        }
        s
    }
}
