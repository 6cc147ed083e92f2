"""The build's peer: bench/peer.sql, the nine tabs for every event app at once. It writes
nothing to the database (opened read-only): its tables are temporary.

Usage: peer.py DB; prints the rows of all nine tabs.
"""

import sys
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).with_name("peer.sql")
TABS = range(1, 10)


def run_peer(con: duckdb.DuckDBPyConnection) -> int:
    """Leaves the tabs in temporary tables tab_1 .. tab_9 of `con`; their rows in all."""
    con.execute(SCRIPT.read_text())
    return sum(con.execute(f"select count(*) from tab_{n}").fetchone()[0] for n in TABS)


def main(db: str) -> None:
    with duckdb.connect(db, read_only=True) as con:
        print(run_peer(con))


if __name__ == "__main__":
    main(*sys.argv[1:])
