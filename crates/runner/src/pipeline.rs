//! Pipeline files: parsing, parameters, and validation before anything runs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use chrono::Weekday;
use datafusion::prelude::SessionContext;
use serde::Deserialize;
use signals_lake::schema;
use signals_stage::{Check, Factory, SqlFiles};

pub use signals_stage::Param;

use crate::{Error, Result};

/// Every stage kind and the function that builds it from its `[[stage]]`
/// fields, in the crate that owns it. A new kind is a line here.
pub const KINDS: &[(&str, Factory)] = &[
    ("ingest", signals_ingest::landing_stage::parse),
    ("sql", signals_stage::sql::parse),
    ("judge", signals_llm::judge_stage),
    ("tickets", signals_tickets::stage::tickets),
    ("alerts", signals_digest::stage::alerts),
    ("resolve", signals_tickets::stage::resolve),
    ("remeasure", signals_deploy::stage::parse),
    ("discover", signals_discover::stage::parse),
    ("digest", signals_digest::stage::digest),
    ("command", signals_stage::command::parse),
];

/// The daily pipeline and the SQL it runs, built in so that `signals run daily`
/// works outside a checkout too.
const EMBEDDED_PIPELINES: &[(&str, &str)] =
    &[("daily", include_str!("../../../pipelines/daily.toml"))];
const EMBEDDED_SQL: &[(&str, &str)] = &[
    (
        "stages/filter.sql",
        include_str!("../../../sql/stages/filter.sql"),
    ),
    (
        "stages/session_frictions.sql",
        include_str!("../../../sql/stages/session_frictions.sql"),
    ),
    (
        "stages/patterns.sql",
        include_str!("../../../sql/stages/patterns.sql"),
    ),
    (
        "stages/remeasure.sql",
        include_str!("../../../sql/stages/remeasure.sql"),
    ),
    (
        "stages/discovery.sql",
        include_str!("../../../sql/stages/discovery.sql"),
    ),
];

/// One stage of a pipeline.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Unique name.
    pub name: String,
    /// What it does: its kind, configured by its fields.
    pub kind: Arc<dyn signals_stage::Stage>,
    /// Stages that must succeed first.
    pub after: Vec<String>,
    /// One line for `dag show`.
    pub doc: Option<String>,
    /// Retries of external failures (default: the pipeline's).
    pub retries: Option<u32>,
    /// Longest a single attempt may take.
    pub timeout: Option<Duration>,
    /// A boolean parameter that switches the stage on; when it is false the stage
    /// succeeds without doing anything.
    pub when: Option<String>,
    /// Days of the week the stage is due on (empty: every day); on other dates it
    /// succeeds without doing anything.
    pub weekdays: Vec<Weekday>,
}

/// Where a pipeline's SQL files come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlRoot {
    /// A `sql/` directory on disk.
    Dir(PathBuf),
    /// The SQL built into the binary.
    Embedded,
}

/// A parsed pipeline file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Pipeline name (runs and state are keyed by it).
    pub name: String,
    /// The file it came from (`<built-in>` for the embedded one).
    pub file: String,
    /// What it is for.
    pub description: Option<String>,
    /// Cron expression (UTC) for `signals schedule`; each firing runs the previous day.
    pub schedule: Option<String>,
    /// How many missed days `signals schedule` catches up.
    pub catchup_days: u32,
    /// Stages run at once (default 2).
    pub concurrency: usize,
    /// Retries of external failures per stage (default 2).
    pub retries: u32,
    /// Declared parameters and their defaults (`date` is always there).
    pub params: BTreeMap<String, Param>,
    /// Stages, in file order.
    pub stages: Vec<Stage>,
    /// Where `sql` stages' files are read from.
    pub sql_root: SqlRoot,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    name: Option<String>,
    description: Option<String>,
    schedule: Option<String>,
    catchup_days: Option<u32>,
    concurrency: Option<usize>,
    retries: Option<u32>,
    #[serde(default)]
    params: BTreeMap<String, Param>,
    #[serde(default, rename = "stage")]
    stages: Vec<StageFile>,
}

/// A `[[stage]]` table: the fields every stage has; the rest are its kind's.
#[derive(Deserialize)]
struct StageFile {
    name: String,
    kind: String,
    doc: Option<String>,
    #[serde(default)]
    after: Vec<String>,
    retries: Option<u32>,
    timeout_s: Option<u64>,
    when: Option<String>,
    weekdays: Option<Vec<String>>,
    #[serde(flatten)]
    fields: toml::Table,
}

impl Pipeline {
    /// Find a pipeline by path (`pipelines/daily.toml`), by name in `./pipelines/`
    /// (`daily`), or built in (`daily`).
    pub fn load(spec: &str) -> Result<Pipeline> {
        let path = Path::new(spec);
        let candidates = [
            path.to_path_buf(),
            Path::new("pipelines").join(format!("{spec}.toml")),
        ];
        for c in &candidates {
            if c.is_file() {
                let text = std::fs::read_to_string(c).map_err(|e| Error::UnknownPipeline {
                    name: spec.into(),
                    reason: format!("{}: {e}", c.display()),
                })?;
                // `sql/` beside `pipelines/` (the repository layout), else built in.
                let root = c
                    .parent()
                    .and_then(|d| d.parent())
                    .map(|d| {
                        if d.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            d
                        }
                    })
                    .map(|d| d.join("sql"))
                    .filter(|d| d.is_dir())
                    .map_or(SqlRoot::Embedded, SqlRoot::Dir);
                return Pipeline::parse(&text, &c.display().to_string(), root);
            }
        }
        if let Some((_, text)) = EMBEDDED_PIPELINES.iter().find(|(n, _)| *n == spec) {
            return Pipeline::parse(text, "<built-in daily.toml>", SqlRoot::Embedded);
        }
        let mut known: Vec<String> = EMBEDDED_PIPELINES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        if let Ok(dir) = std::fs::read_dir("pipelines") {
            for f in dir.flatten() {
                let n = f.file_name().to_string_lossy().to_string();
                if let Some(stem) = n.strip_suffix(".toml") {
                    known.push(format!("pipelines/{n} ({stem})"));
                }
            }
        }
        Err(Error::UnknownPipeline {
            name: spec.into(),
            reason: format!(
                "not a file, not pipelines/{spec}.toml, not built in; known: {}",
                known.join(", ")
            ),
        })
    }

    /// Parse a pipeline file's text. Structural problems (unknown kinds, missing
    /// fields, unknown or cyclic dependencies) are all reported at once.
    pub fn parse(text: &str, file: &str, sql_root: SqlRoot) -> Result<Pipeline> {
        let raw: PipelineFile = toml::from_str(text).map_err(|e| Error::Invalid {
            file: file.into(),
            problems: vec![e.to_string().trim().replace('\n', " ")],
        })?;
        let mut problems = Vec::new();
        let mut stages = Vec::new();
        let mut seen = BTreeSet::new();
        for s in raw.stages {
            let at = |m: String| format!("stage {}: {m}", s.name);
            if !seen.insert(s.name.clone()) {
                problems.push(at("defined twice".into()));
                continue;
            }
            let Some((_, factory)) = KINDS.iter().find(|(k, _)| *k == s.kind) else {
                let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                problems.push(at(format!(
                    "unknown kind {:?}; kinds: {}",
                    s.kind,
                    kinds.join(", ")
                )));
                continue;
            };
            let kind = match factory(&s.fields) {
                Ok(k) => k,
                Err(p) => {
                    problems.extend(p.into_iter().map(at));
                    // Kept, so the DAG's own problems (cycles, unknown names)
                    // are reported too; the pipeline is refused either way.
                    Arc::new(Unparsed)
                }
            };
            let mut weekdays = Vec::new();
            for d in s.weekdays.iter().flatten() {
                match d.parse::<Weekday>() {
                    Ok(w) => weekdays.push(w),
                    Err(_) => problems.push(at(format!(
                        "`weekdays` has {d:?}; use mon, tue, wed, thu, fri, sat, sun"
                    ))),
                }
            }
            stages.push(Stage {
                name: s.name,
                kind,
                after: s.after,
                doc: s.doc,
                retries: s.retries,
                timeout: s.timeout_s.map(Duration::from_secs),
                when: s.when,
                weekdays,
            });
        }
        let names: BTreeSet<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        for s in &stages {
            for a in &s.after {
                if !names.contains(a.as_str()) {
                    problems.push(format!(
                        "stage {}: `after` names unknown stage {a:?} (stages: {})",
                        s.name,
                        names.iter().copied().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        if let Some(schedule) = &raw.schedule
            && let Err(e) = schedule.parse::<croner::Cron>()
        {
            problems.push(format!(
                "schedule {schedule:?} is not a cron expression: {e}"
            ));
        }
        for s in &stages {
            if let Some(w) = &s.when
                && !matches!(raw.params.get(w), Some(Param::Bool(_)))
            {
                problems.push(format!(
                    "stage {}: `when = {w:?}` must name a boolean parameter in [params]",
                    s.name
                ));
            }
        }
        if raw.params.contains_key("date") {
            problems.push("`date` is set by each run; it cannot be a declared parameter".into());
        }
        let p = Pipeline {
            name: raw.name.unwrap_or_else(|| {
                Path::new(file)
                    .file_stem()
                    .map_or("pipeline".into(), |s| s.to_string_lossy().to_string())
            }),
            file: file.into(),
            description: raw.description,
            schedule: raw.schedule,
            catchup_days: raw.catchup_days.unwrap_or(7),
            concurrency: raw.concurrency.unwrap_or(2).max(1),
            retries: raw.retries.unwrap_or(2),
            params: raw.params,
            stages,
            sql_root,
        };
        if let Some(cycle) = p.find_cycle() {
            problems.push(format!("the stages form a cycle: {}", cycle.join(" -> ")));
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(Error::Invalid {
                file: file.into(),
                problems,
            })
        }
    }

    /// A stage by name.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// A dependency cycle, as the names along it (first repeated at the end).
    fn find_cycle(&self) -> Option<Vec<String>> {
        let deps: HashMap<&str, &Vec<String>> = self
            .stages
            .iter()
            .map(|s| (s.name.as_str(), &s.after))
            .collect();
        // 0 unvisited, 1 on the current path, 2 done.
        let mut mark: HashMap<&str, u8> = HashMap::new();
        fn visit<'a>(
            n: &'a str,
            deps: &HashMap<&'a str, &'a Vec<String>>,
            mark: &mut HashMap<&'a str, u8>,
            path: &mut Vec<&'a str>,
        ) -> Option<Vec<String>> {
            match mark.get(n) {
                Some(2) => return None,
                Some(1) => {
                    let start = path.iter().position(|p| *p == n).unwrap_or(0);
                    let mut c: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    c.push(n.to_string());
                    return Some(c);
                }
                _ => {}
            }
            mark.insert(n, 1);
            path.push(n);
            for d in deps.get(n).map(|v| v.iter()).into_iter().flatten() {
                if deps.contains_key(d.as_str())
                    && let Some(c) = visit(d.as_str(), deps, mark, path)
                {
                    return Some(c);
                }
            }
            path.pop();
            mark.insert(n, 2);
            None
        }
        for s in &self.stages {
            if let Some(c) = visit(&s.name, &deps, &mut mark, &mut Vec::new()) {
                return Some(c);
            }
        }
        None
    }

    /// Stage names in an order where every stage comes after its dependencies.
    pub fn topo_order(&self) -> Vec<String> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut out = Vec::new();
        while out.len() < self.stages.len() {
            let before = out.len();
            for s in &self.stages {
                if !done.contains(s.name.as_str())
                    && s.after.iter().all(|a| done.contains(a.as_str()))
                {
                    done.insert(&s.name);
                    out.push(s.name.clone());
                }
            }
            if out.len() == before {
                break; // a cycle: rejected by parse
            }
        }
        out
    }

    /// Every stage downstream of `name` (not including it).
    pub fn descendants(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut frontier = vec![name.to_string()];
        while let Some(n) = frontier.pop() {
            for s in &self.stages {
                if s.after.contains(&n) && out.insert(s.name.clone()) {
                    frontier.push(s.name.clone());
                }
            }
        }
        out
    }

    /// Whether a date's run reads what the previous date's run wrote (the
    /// `tickets` snapshot), so dates must run in order.
    pub fn stateful(&self) -> bool {
        self.stages.iter().any(|s| s.kind.stateful())
    }

    /// Every stage upstream of `name`.
    pub fn ancestors(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut frontier = vec![name.to_string()];
        while let Some(n) = frontier.pop() {
            if let Some(s) = self.stage(&n) {
                for a in &s.after {
                    if out.insert(a.clone()) {
                        frontier.push(a.clone());
                    }
                }
            }
        }
        out
    }

    /// The `$name` parameters a SQL text uses, as the SQL parser reads it.
    pub fn placeholders(sql: &str) -> BTreeSet<String> {
        signals_lake::placeholders(sql)
    }

    /// The lake tables the stages read that no stage writes: the run's inputs
    /// (judge stages read `events`). A change to one of their partitions reruns the date.
    pub fn external_inputs(&self) -> BTreeSet<String> {
        let written: BTreeSet<String> = self
            .stages
            .iter()
            .flat_map(|s| s.kind.outputs().into_iter().chain(s.kind.shared_outputs()))
            .collect();
        let mut out: BTreeSet<String> = self
            .stages
            .iter()
            .flat_map(|s| s.kind.reads(self))
            .collect();
        out.retain(|t| !written.contains(t) && schema::table(t).is_some());
        out
    }

    /// The text of a `sql/` file of this pipeline.
    pub fn read_sql(&self, file: &str) -> Result<String> {
        match &self.sql_root {
            SqlRoot::Dir(d) => std::fs::read_to_string(d.join(file)).map_err(|e| Error::Invalid {
                file: self.file.clone(),
                problems: vec![format!("sql file {}: {e}", d.join(file).display())],
            }),
            SqlRoot::Embedded => EMBEDDED_SQL
                .iter()
                .find(|(n, _)| *n == file)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| Error::Invalid {
                    file: self.file.clone(),
                    problems: vec![format!(
                        "sql file {file} is not built in; run from a checkout with sql/"
                    )],
                }),
        }
    }

    /// The parameters of a run: declared defaults, then `overrides` (`name=value`,
    /// typed like the default), plus `date`.
    pub fn resolve_params(
        &self,
        overrides: &[(String, String)],
        date: &str,
    ) -> Result<BTreeMap<String, Param>> {
        let mut out = self.params.clone();
        for (k, v) in overrides {
            let Some(default) = self.params.get(k) else {
                return Err(Error::Usage(format!(
                    "--param {k}: {} declares no such parameter (it has: {})",
                    self.name,
                    self.params.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            };
            out.insert(k.clone(), default.parse_like(k, v).map_err(Error::Usage)?);
        }
        out.insert("date".into(), Param::Str(date.into()));
        Ok(out)
    }

    /// Check everything that can be checked before a run: SQL files exist, plan
    /// against the lake's schemas, use only declared parameters and write the
    /// columns of their output table; judge inputs and the tables stages read are
    /// written upstream. Every problem names the file and the stage.
    pub async fn validate(&self, ctx: &SessionContext) -> Result<()> {
        let mut problems = Vec::new();
        // Each table's first writer.
        let mut writers: HashMap<String, &str> = HashMap::new();
        for s in &self.stages {
            for o in s.kind.outputs() {
                writers.entry(o).or_insert(s.name.as_str());
            }
        }
        let mut declared: BTreeSet<String> = self.params.keys().cloned().collect();
        declared.insert("date".into());
        let check = Check {
            ctx,
            declared: &declared,
            sql: self,
        };
        for s in &self.stages {
            let at = |m: String| format!("stage {}: {m}", s.name);
            // Two writers of one table would replace each other's partition.
            for out in s.kind.outputs() {
                if let Some(w) = writers.get(&out)
                    && *w != s.name
                {
                    problems.push(at(format!(
                        "writes {out}, which stage {w} writes too; give each stage its own output table"
                    )));
                }
            }
            // A table stages of one kind share (the LLM judge's accounts) is
            // theirs alone.
            for out in s.kind.shared_outputs() {
                if let Some(w) = writers.get(&out) {
                    problems.push(at(format!(
                        "writes {out} (as every {} stage does), which stage {w} writes too; give {w} another output table",
                        s.kind.kind()
                    )));
                }
                if let Some(o) = self.stages.iter().find(|o| {
                    o.kind.kind() != s.kind.kind() && o.kind.shared_outputs().contains(&out)
                }) {
                    problems.push(at(format!(
                        "writes {out}, which stage {} (another kind) writes too",
                        o.name
                    )));
                }
            }
            let upstream = self.ancestors(&s.name);
            for table in s.kind.reads(self) {
                if let Some(w) = writers.get(&table)
                    && *w != s.name
                    && !upstream.contains(*w)
                {
                    problems.push(at(format!("reads {table}, which stage {w} writes, but {w} is not upstream of it (add it to `after`)")));
                }
            }
            problems.extend(s.kind.validate(&check).await.into_iter().map(at));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid {
                file: self.file.clone(),
                problems,
            })
        }
    }
}

/// A stage whose fields had problems: stands in for it while the rest of the
/// file is checked (a pipeline with one is never run).
#[derive(Debug)]
struct Unparsed;

#[async_trait::async_trait]
impl signals_stage::Stage for Unparsed {
    fn kind(&self) -> &'static str {
        "invalid"
    }

    fn describe(&self) -> String {
        "invalid".into()
    }

    async fn run(
        &self,
        _cx: &signals_stage::Context<'_>,
    ) -> std::result::Result<signals_stage::Outcome, signals_stage::StageError> {
        Err(signals_stage::StageError::internal(
            "an invalid stage was run",
        ))
    }
}

impl SqlFiles for Pipeline {
    fn read(&self, file: &str) -> std::result::Result<String, String> {
        self.read_sql(file).map_err(|e| match e {
            Error::Invalid { problems, .. } => problems.join("; "),
            other => other.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Pipeline> {
        Pipeline::parse(text, "t.toml", SqlRoot::Embedded)
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text) {
            Err(Error::Invalid { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn the_built_in_daily_pipeline_parses() {
        let p = Pipeline::load("daily").unwrap();
        assert_eq!(p.name, "daily");
        let order = p.topo_order();
        assert_eq!(order[..2], ["ingest", "filter"]);
        assert!(p.descendants("filter").contains("friction"));
        assert!(p.descendants("ingest").contains("tickets"));
        assert_eq!(p.params.get("min_steps"), Some(&Param::Int(30)));
    }

    #[test]
    fn structural_problems_are_all_reported_with_their_stage() {
        let ps = problems(
            r#"
            [[stage]]
            name = "a"
            kind = "sql"
            sql = "x.sql"
            after = ["c"]
            [[stage]]
            name = "b"
            kind = "judge"
            pass = "vibes"
            after = ["a", "ghost"]
            [[stage]]
            name = "c"
            kind = "sql"
            sql = "y.sql"
            output = "frictions"
            after = ["a"]
            [[stage]]
            name = "d"
            kind = "spreadsheet"
            "#,
        );
        let all = ps.join("\n");
        assert!(all.contains("stage a: a sql stage needs `output`"), "{all}");
        assert!(all.contains("stage b: `pass` must be"), "{all}");
        assert!(
            all.contains("stage b: `after` names unknown stage \"ghost\""),
            "{all}"
        );
        assert!(
            all.contains("stage d: unknown kind \"spreadsheet\""),
            "{all}"
        );
        assert!(all.contains("cycle: a -> c -> a"), "{all}");
    }

    #[tokio::test]
    async fn a_table_the_judge_stages_share_has_no_other_writer() {
        let p = parse(
            r#"
            [[stage]]
            name = "friction"
            kind = "judge"
            pass = "friction"
            [[stage]]
            name = "facets"
            kind = "judge"
            pass = "facets"
            [[stage]]
            name = "usage"
            kind = "sql"
            sql = "stages/filter.sql"
            output = "judge_usage"
            "#,
        )
        .unwrap();
        let e = p
            .validate(&datafusion::prelude::SessionContext::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("stage friction: writes judge_usage (as every judge stage does), which stage usage writes too"),
            "{e}"
        );
        assert!(
            !e.contains("stage facets: writes judge_usage, which stage friction"),
            "{e}"
        );
        // The two judge stages share it: neither is an input of the run.
        assert!(!p.external_inputs().contains("judge_usage"));
    }

    #[test]
    fn params_are_typed_and_checked() {
        let p = parse("[params]\nmin_steps = 30\njudge = \"builtin\"\n").unwrap();
        let r = p
            .resolve_params(&[("min_steps".into(), "0".into())], "2026-11-01")
            .unwrap();
        assert_eq!(r["min_steps"], Param::Int(0));
        assert_eq!(r["date"], Param::Str("2026-11-01".into()));
        let e = p
            .resolve_params(&[("min_steps".into(), "many".into())], "d")
            .unwrap_err();
        assert!(e.to_string().contains("expected an integer"), "{e}");
        let e = p
            .resolve_params(&[("nope".into(), "1".into())], "d")
            .unwrap_err();
        assert!(e.to_string().contains("declares no such parameter"), "{e}");
        assert!(problems("schedule = \"every day\"\n")[0].contains("not a cron expression"));
    }
}
