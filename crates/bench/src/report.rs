//! The benchmark's report as Markdown (docs/benchmarks.md's tables).

use crate::{BenchConfig, BenchReport, StageTime};

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
