//! The benchmark report: how rounds become ratios, and what a target miss says.

use std::path::PathBuf;

use signals_bench::{BenchConfig, BenchReport, SqlCompare};

fn compare(ours: &[f64], planning: &[f64], duckdb: &[f64]) -> SqlCompare {
    let mut c = SqlCompare {
        ours_rounds: ours.to_vec(),
        planning_rounds: planning.to_vec(),
        duckdb_rounds: duckdb.to_vec(),
        ..Default::default()
    };
    c.summarize();
    c
}

#[test]
fn the_ratio_is_the_median_round_and_a_miss_says_how_much_is_planning() {
    // Round 2 ran on a slow stretch for both engines: its times are off, its ratio is not.
    let patterns = compare(&[0.5, 0.9, 0.45], &[0.1, 0.2, 0.1], &[0.55, 1.0, 0.5]);
    assert_eq!(patterns.ratios.len(), 3);
    assert!((patterns.ratio.unwrap() - 0.9).abs() < 1e-9, "{patterns:?}");
    assert_eq!((patterns.ours, patterns.duckdb), (0.5, Some(0.55)));

    let remeasure = compare(&[0.6, 0.62, 0.58], &[0.18, 0.2, 0.17], &[0.5, 0.5, 0.5]);
    assert!(
        (remeasure.ratio.unwrap() - 1.2).abs() < 1e-9,
        "{remeasure:?}"
    );

    let mut r = BenchReport::default();
    r.sql.insert("patterns".into(), patterns);
    r.sql.insert("remeasure".into(), remeasure);
    r.sql
        .insert("scan".into(), compare(&[0.8], &[0.01], &[3.0]));
    let cfg = BenchConfig {
        sessions: 10,
        days: 1,
        long_share: 0.2,
        seed: 1,
        dir: PathBuf::from("unused"),
        exe: PathBuf::from("unused"),
        python: "python3".into(),
        reps: 3,
        rounds: 3,
        sql_dates: 5,
        llm_sample: 10,
        real_size_sessions: 0,
    };
    let md = r.markdown(&cfg);
    assert!(
        md.contains("| patterns | 0.500 | 0.100 | 0.550 | 0.90 | 0.91, 0.90, 0.90 |"),
        "{md}"
    );
    assert!(
        md.contains("- PASS patterns no slower than DuckDB: 0.90× (0.500 s vs 0.550 s)\n"),
        "{md}"
    );
    // Execution alone: (0.6 - 0.18) / 0.5.
    assert!(
        md.contains("- MISS remeasure no slower than DuckDB: 1.20× (0.600 s vs 0.500 s; execution alone 0.84×, planning 0.180 s of ours)"),
        "{md}"
    );
    assert!(
        !md.contains("scan no slower"),
        "the floor is not a target: {md}"
    );
}
