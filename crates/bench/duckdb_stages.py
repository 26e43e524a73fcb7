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
