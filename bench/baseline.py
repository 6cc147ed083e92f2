"""The build's and the export's peer: bench/baseline.sql for each event app named (for every
event app when none is, which is the work a build does), one after the other.

Usage: baseline.py DB [EVENT ...]; prints the rows of all their tabs.
"""

import sys
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).with_name("baseline.sql")


def main(db: str, *events: str) -> None:
    con = duckdb.connect(db, read_only=True)
    script = SCRIPT.read_text()
    every = [event for (event,) in con.execute("select event_id from marts.event_apps").fetchall()]
    rows = 0
    for event in events or every:
        con.execute(script.replace("$event", "'" + event.replace("'", "''") + "'")).fetchall()
        rows += sum(con.execute(f"select count(*) from tab_{n}").fetchone()[0] for n in range(1, 8))
    print(rows)


if __name__ == "__main__":
    main(*sys.argv[1:])
