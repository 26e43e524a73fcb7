"""Open the agent-signals lake from Python: every table of the data dictionary as
a DataFusion table (hive-partitioned by `date`), plus the saved views of sql/views.

    from lake import open_lake, run_sql_file
    ctx = open_lake()                      # SIGNALS_LAKE, else ../data/lake
    ctx.sql("SELECT * FROM friction_daily").to_pandas()
"""

import os
import pathlib

import pyarrow as pa
from datafusion import SessionContext

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES = [
    "sessions", "events", "quarantine", "analysed_sessions", "frictions", "session_frictions",
    "session_facets", "delights", "friction_patterns", "judge_usage", "judge_failures", "judge_agreement", "tickets",
    "ticket_resolutions", "deployments", "friction_before_after",
]


# Tables a view needs even before they have data (sql/README.md has their columns).
EMPTY = {
    "deployments": "version VARCHAR, deployed_at VARCHAR, ticket_id VARCHAR, recorded_at VARCHAR, note VARCHAR, date VARCHAR",
}


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
    for view in sorted((ROOT / "sql" / "views").glob("*.sql")):
        try:
            ctx.sql(view.read_text())
        except Exception as e:  # a view over a table with no data yet
            print(f"view {view.stem} skipped: {e}".splitlines()[0])
    return ctx


def sql_file(name: str) -> str:
    """The text of a file of sql/ (e.g. 'stages/remeasure.sql')."""
    return (ROOT / "sql" / name).read_text()
