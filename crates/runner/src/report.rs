//! What a run tells the person (or the log collector) watching it.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use crate::state::StageState;

/// How run events are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event, spinners per running stage on a terminal.
    #[default]
    Text,
    /// One JSON object per event (for log collectors).
    Json,
    /// Nothing (tests, embedding).
    Quiet,
}

/// Receives a run's events.
pub struct Reporter {
    format: LogFormat,
    bars: Option<MultiProgress>,
    running: Mutex<HashMap<String, ProgressBar>>,
}

impl Reporter {
    /// A reporter writing `format` to stderr (spinners only on a terminal).
    pub fn new(format: LogFormat) -> Self {
        let bars =
            (format == LogFormat::Text && std::io::stderr().is_terminal()).then(MultiProgress::new);
        Self {
            format,
            bars,
            running: Mutex::new(HashMap::new()),
        }
    }

    fn emit(
        &self,
        level: &str,
        event: &str,
        pipeline: &str,
        date: NaiveDate,
        fields: serde_json::Value,
        text: String,
    ) {
        match self.format {
            LogFormat::Quiet => {}
            LogFormat::Json => {
                let mut o = json!({"ts": Utc::now().to_rfc3339(), "level": level, "event": event, "pipeline": pipeline, "date": date.to_string()});
                if let (Some(o), Some(f)) = (o.as_object_mut(), fields.as_object()) {
                    o.extend(f.clone());
                }
                eprintln!("{o}");
            }
            LogFormat::Text => {
                let line = format!("{pipeline} {date} {text}");
                match &self.bars {
                    Some(b) => {
                        let _ = b.println(line);
                    }
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    /// Something worth telling about the run (why stages rerun, ...).
    pub fn note(&self, pipeline: &str, date: NaiveDate, text: &str) {
        self.emit(
            "info",
            "note",
            pipeline,
            date,
            json!({"note": text}),
            text.to_string(),
        );
    }

    /// A run starts (or resumes).
    pub fn run_started(&self, pipeline: &str, date: NaiveDate, run_id: &str, resumed: &[String]) {
        let text = if resumed.is_empty() {
            format!("run {run_id} started")
        } else {
            format!("run {run_id} resumes; already done: {}", resumed.join(", "))
        };
        self.emit(
            "info",
            "run_started",
            pipeline,
            date,
            json!({"run_id": run_id, "already_done": resumed}),
            text,
        );
    }

    /// A stage attempt starts.
    pub fn stage_started(&self, pipeline: &str, date: NaiveDate, stage: &str, attempt: u32) {
        if let Some(b) = &self.bars {
            let pb = b.add(ProgressBar::new_spinner());
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_message(format!("{pipeline} {date} {stage}"));
            pb.enable_steady_tick(Duration::from_millis(120));
            if let Ok(mut r) = self.running.lock() {
                r.insert(stage.to_string(), pb);
            }
        }
        self.emit(
            "info",
            "stage_started",
            pipeline,
            date,
            json!({"stage": stage, "attempt": attempt}),
            format!("{stage}: started (attempt {attempt})"),
        );
    }

    /// A stage attempt ended (any status).
    pub fn stage_finished(&self, pipeline: &str, date: NaiveDate, stage: &str, st: &StageState) {
        if let Ok(mut r) = self.running.lock()
            && let Some(pb) = r.remove(stage)
        {
            pb.finish_and_clear();
        }
        let ms = match (st.started_at, st.ended_at) {
            (Some(a), Some(b)) => (b - a).num_milliseconds(),
            _ => 0,
        };
        let detail = match (&st.error, &st.note, st.rows) {
            (Some(e), _, _) => format!(" — {e}"),
            (_, Some(n), _) => format!(" — {n}"),
            (_, _, Some(r)) => format!(", {r} rows"),
            _ => String::new(),
        };
        let level = if st.error.is_some() { "error" } else { "info" };
        self.emit(
            level,
            "stage_finished",
            pipeline,
            date,
            json!({"stage": stage, "status": st.status.to_string(), "attempt": st.attempt, "rows": st.rows, "duration_ms": ms, "error": st.error, "error_class": st.error_class, "note": st.note}),
            format!("{stage}: {} in {:.1}s{detail}", st.status, ms as f64 / 1000.0),
        );
    }

    /// An external failure will be retried.
    pub fn retrying(
        &self,
        pipeline: &str,
        date: NaiveDate,
        stage: &str,
        attempt: u32,
        delay: Duration,
        error: &str,
    ) {
        self.emit(
            "warn",
            "stage_retry",
            pipeline,
            date,
            json!({"stage": stage, "attempt": attempt, "delay_ms": delay.as_millis() as u64, "error": error}),
            format!("{stage}: attempt {attempt} failed ({error}); retrying in {:.1}s", delay.as_secs_f64()),
        );
    }

    /// A run ended.
    pub fn run_finished(&self, pipeline: &str, date: NaiveDate, run_id: &str, status: &str) {
        self.emit(
            if status == "failed" { "error" } else { "info" },
            "run_finished",
            pipeline,
            date,
            json!({"run_id": run_id, "status": status}),
            format!("run {run_id} {status}"),
        );
    }
}
