"""DuckDB side of `signals bench`: the pipeline's SQL stages on the same Parquet.

Reads a job (JSON) on stdin: the lake directory, each table's columns (so that a
table without files is an empty table, as in DataFusion), the views, and the
queries with their runs (date and parameters). Runs each query `reps` times per
run and prints, per stage, the median seconds summed over runs and the result
row counts (JSON on stdout). Only the query is timed: reading all result batches.
"""

import json
import re
import statistics
import sys
import time

import duckdb

ARROW_DATE = re.compile(
    r"arrow_cast\(CAST\(arrow_cast\(CAST\((.*?) AS INT\), 'Date32'\) AS VARCHAR\), 'Utf8'\)"
)


def dialect(sql: str) -> str:
    """DataFusion-only spellings in DuckDB's."""
    return ARROW_DATE.sub(r"CAST(DATE '1970-01-01' + CAST(\1 AS INT) AS VARCHAR)", sql)


# The SQL functions the lake registers in DataFusion (crates/lake/src/stats.rs),
# as DuckDB macros with the same approximations.
MACROS = [
    "CREATE MACRO _sf_tail(t, z) AS exp(-z * z / 2) / sqrt(2 * pi()) * t * (0.319381530 + t * "
    "(-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))",
    "CREATE MACRO normal_sf(z) AS CASE WHEN z >= 0 THEN _sf_tail(1 / (1 + 0.2316419 * abs(z)), z) "
    "ELSE 1 - _sf_tail(1 / (1 + 0.2316419 * abs(z)), z) END",
    "CREATE MACRO _isf_upper(tt) AS tt - (2.515517 + tt * (0.802853 + tt * 0.010328)) / "
    "(1 + tt * (1.432788 + tt * (0.189269 + tt * 0.001308)))",
    "CREATE MACRO normal_isf(p) AS CASE WHEN p <= 0 OR p >= 1 THEN NULL "
    "WHEN p <= 0.5 THEN _isf_upper(sqrt(-2 * ln(p))) ELSE -_isf_upper(sqrt(-2 * ln(1 - p))) END",
]


def main() -> None:
    job = json.load(sys.stdin)
    con = duckdb.connect()
    con.execute(f"SET threads TO {int(job['threads'])}")
    lake = job["lake"]
    for name, cols in job["tables"].items():
        files = f"{lake}/{name}/date=*/*.parquet"
        import glob

        if glob.glob(files):
            # Partition values stay strings, as in DataFusion (`date = '2026-11-01'`).
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{files}', "
                "hive_partitioning = true, hive_types = {'date': VARCHAR}, union_by_name = true)"
            )
        else:
            spec = ", ".join(f'"{c}" {t}' for c, t in cols + [["date", "VARCHAR"]])
            con.execute(f"CREATE TABLE {name} ({spec})")
    for sql in MACROS:
        con.execute(sql)
    for sql in job["views"]:
        con.execute(dialect(sql))
    out = {}
    for q in job["queries"]:
        sql = dialect(q["sql"])
        total = 0.0
        rows = []
        for run in q["runs"]:
            times = []
            n = 0
            for _ in range(job["reps"]):
                t = time.perf_counter()
                reader = con.execute(sql, run["params"]).to_arrow_reader(1 << 16)
                n = sum(b.num_rows for b in reader)
                times.append(time.perf_counter() - t)
            total += statistics.median(times)
            rows.append(n)
        out[q["stage"]] = {"seconds": total, "rows": rows}
    json.dump({"duckdb": duckdb.__version__, "stages": out}, sys.stdout)


if __name__ == "__main__":
    main()
