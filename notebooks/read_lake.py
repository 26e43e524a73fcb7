"""The lake from other tools: the same tables read with DuckDB (read_parquet with
hive partitioning) and with pyarrow/pandas. Prints one line per table:
`table rows_duckdb rows_pyarrow`; exits non-zero if the two disagree.

    python3 notebooks/read_lake.py [LAKE]
"""

import pathlib
import sys

import duckdb
import pyarrow.dataset as ds

from lake import TABLES, lake_path

base = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else lake_path()
bad = 0
for t in TABLES:
    d = base / t
    if not (d.is_dir() and any(d.rglob("*.parquet"))):
        continue
    n_duck = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{d}/date=*/*.parquet', hive_partitioning = true)"
    ).fetchall()[0][0]
    # Only the Parquet files: the lake's tickets/ also holds the Markdown tickets.
    files = [str(f) for f in sorted(d.glob("date=*/*.parquet"))]
    table = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=str(d)).to_table()
    frame = table.to_pandas()
    n_arrow = table.num_rows
    if n_duck != n_arrow or len(frame) != n_arrow or "date" not in frame.columns:
        bad += 1
    print(t, n_duck, n_arrow)
sys.exit(1 if bad else 0)
