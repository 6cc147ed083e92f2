"""The history and the next delivery of a generated parquet delivery: the newest NEW_SHARE of
every activity table's records (by occurred_at) is the next delivery, the rest and every
reference table the history.

Usage: split_latest.py DELIVERY HISTORY NEXT [SHARE] (SHARE defaults to 0.01).
"""

import shutil
import sys
from pathlib import Path

import duckdb

from smartsessions.landing.contract import TABLES
from smartsessions.sql import literal


def main(delivery: str, history: str, next_delivery: str, share: str = "0.01") -> None:
    source, old, new = Path(delivery), Path(history), Path(next_delivery)
    for folder in (old, new):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    con = duckdb.connect()
    for name, table in TABLES.items():
        files = sorted(
            str(path) for path in source.rglob("*.parquet") if _table(path, source) == name
        )
        if not files:
            continue
        records = f"read_parquet({[*files]!r})"
        if not table.is_activity:
            con.execute(f"copy (select * from {records}) to {literal(old / f'{name}.parquet')}")
            continue
        # malformed timestamps (planted on purpose) stay in the history
        instant = "try_cast(occurred_at as timestamptz)"
        cut = f"(select quantile_disc({instant}, 1 - {float(share)}) from {records})"
        for folder, newer in ((old, False), (new, True)):
            con.execute(
                f"copy (select * from {records} where coalesce({instant} > {cut}, false) = {newer})"
                f" to {literal(folder / f'{name}.parquet')}"
            )


def _table(path: Path, folder: Path) -> str:
    return path.relative_to(folder).parts[0].split(".")[0]


if __name__ == "__main__":
    main(*sys.argv[1:])
