"""A tab made long for the row-limit check: the built mart's rows of one event app, copied
until there are ROWS of them (report_order continues from copy to copy), then published.

Usage: inflate_tab.py DB MODEL EVENT ROWS
"""

import sys
from pathlib import Path

import duckdb

from smartsessions.pipeline.publish import publish


def main(db: str, model: str, event: str, rows: str) -> None:
    wanted = int(rows)
    con = duckdb.connect(db)
    count, last = con.execute(
        f"select count(*), max(report_order) from marts.{model} where event_id = ?", [event]
    ).fetchone()
    copies = -(-wanted // count)
    con.execute(
        f"create or replace table marts.{model} as"
        f" select * replace (report_order + copy * {last} as report_order)"
        f" from marts.{model}, range({copies}) as copies(copy)"
        f" where event_id = ? order by report_order limit {wanted}",
        [event],
    )
    publish(con, Path(db))


if __name__ == "__main__":
    main(*sys.argv[1:])
