"""The load's floor: DuckDB's own unvalidated bulk read of a delivery's files into tables.

Usage: bulk_read.py DB FOLDER FORMAT (parquet, csv.gz or jsonl.gz). Planted malformed records are
skipped, as a bulk load would skip them.
"""

import sys
from pathlib import Path

import duckdb

from smartsessions.landing.contract import TABLES

READERS = {
    "parquet": "read_parquet({files})",
    "csv.gz": "read_csv({files}, ignore_errors = true)",
    "jsonl.gz": "read_json({files}, ignore_errors = true)",
}


def table_of(path: Path, folder: Path) -> str:
    """The table a delivery file feeds: its folder, or its own name without the ending."""
    return path.relative_to(folder).parts[0].split(".")[0]


def main(db: str, folder: str, fmt: str) -> None:
    delivery = Path(folder)
    con = duckdb.connect(db)
    for table in TABLES:
        files = sorted(
            str(path) for path in delivery.rglob(f"*.{fmt}") if table_of(path, delivery) == table
        )
        if files:
            reader = READERS[fmt].format(files=repr(files))
            con.execute(f"create or replace table {table} as select * from {reader}")


if __name__ == "__main__":
    main(*sys.argv[1:])
