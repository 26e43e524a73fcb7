"""Open the agent-signals lake from Python: every table of the data dictionary as
a DataFusion table (hive-partitioned by `date`), plus the saved views of sql/views.

    from lake import open_lake, run_sql_file
    ctx = open_lake()                      # SIGNALS_LAKE, else ../data/lake
    ctx.sql("SELECT * FROM friction_daily").to_pandas()
"""

import math
import os
import pathlib

import pyarrow as pa
from datafusion import SessionContext, udf

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES = [
    "sessions", "events", "quarantine", "analysed_sessions", "frictions", "session_frictions",
    "session_facets", "delights", "friction_patterns", "judge_usage", "judge_failures", "judge_agreement", "tickets",
    "ticket_resolutions", "deployments", "friction_before_after", "interventions",
]


# Tables a view needs even before they have data (sql/README.md has their columns).
EMPTY = {
    "deployments": "version VARCHAR, deployed_at VARCHAR, ticket_id VARCHAR, recorded_at VARCHAR, note VARCHAR, date VARCHAR",
}


def normal_sf(z: float) -> float:
    """P(Z > z), as `normal_sf` in crates/lake/src/stats.rs (A&S 26.2.17)."""
    t = 1 / (1 + 0.2316419 * abs(z))
    tail = math.exp(-z * z / 2) / math.sqrt(2 * math.pi) * t * (
        0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
    return tail if z >= 0 else 1 - tail


def normal_isf(p: float) -> float:
    """The z with P(Z > z) = p, as `normal_isf` in crates/lake/src/stats.rs (A&S 26.2.23)."""
    if not 0 < p < 1:
        return math.nan

    def upper(q):
        tt = math.sqrt(-2 * math.log(q))
        return tt - (2.515517 + tt * (0.802853 + tt * 0.010328)) / (
            1 + tt * (1.432788 + tt * (0.189269 + tt * 0.001308)))
    return upper(p) if p <= 0.5 else -upper(1 - p)


def _float_udf(f, name):
    def call(arr: pa.Array) -> pa.Array:
        return pa.array([None if v is None else f(v) for v in arr.to_pylist()], type=pa.float64())
    return udf(call, [pa.float64()], pa.float64(), "immutable", name=name)


def lake_path() -> pathlib.Path:
    return pathlib.Path(os.environ.get("SIGNALS_LAKE", ROOT / "data" / "lake")).resolve()


def open_lake(path=None) -> SessionContext:
    """A DataFusion session over the lake's tables that have data, and the views."""
    base = pathlib.Path(path) if path else lake_path()
    ctx = SessionContext()
    for t in TABLES:
        d = base / t
        if d.is_dir() and any(d.rglob("*.parquet")):
            ctx.register_parquet(t, str(d) + "/", table_partition_cols=[("date", pa.string())])
        elif t in EMPTY:
            ctx.sql(f"CREATE TABLE {t} ({EMPTY[t]})").collect()
    # The SQL functions the lake registers in every session (stats.rs).
    ctx.register_udf(_float_udf(normal_sf, "normal_sf"))
    ctx.register_udf(_float_udf(normal_isf, "normal_isf"))
    # Views may read views: each round creates those whose inputs exist.
    pending = {v.stem: v.read_text() for v in sorted((ROOT / "sql" / "views").glob("*.sql"))}
    while pending:
        failed = {}
        for name, text in pending.items():
            try:
                ctx.sql(text)
            except Exception as e:  # a view over a table with no data yet
                failed[name] = e
        if len(failed) == len(pending):
            for name, e in failed.items():
                print(f"view {name} skipped: {e}".splitlines()[0])
            break
        pending = {n: pending[n] for n in failed}
    return ctx


def sql_file(name: str) -> str:
    """The text of a file of sql/ (e.g. 'stages/remeasure.sql')."""
    return (ROOT / "sql" / name).read_text()
