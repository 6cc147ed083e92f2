"""The busiest event app and local day of a built database, which the benchmark exports.

Usage: busiest.py DB prints `EVENT DAY`: the event app with most counted joins and its day with
most engagement rows. busiest.py DB N prints the N busiest (event app, day) pairs, one
`EVENT/DAY` a line.
"""

import sys

import duckdb


def main(db: str, pairs: str | None = None) -> None:
    con = duckdb.connect(db, read_only=True)
    if pairs:
        for event, day in con.execute(
            "select event_id, activity_date from marts.user_room_days group by all"
            " order by count(*) desc, 1, 2 limit ?",
            [int(pairs)],
        ).fetchall():
            print(f"{event}/{day}")
        return
    (event,) = con.execute(
        "select event_id from marts.event_apps order by join_count desc, event_id limit 1"
    ).fetchone()
    (day,) = con.execute(
        "select activity_date from marts.user_room_days where event_id = ?"
        " group by 1 order by count(*) desc, 1 limit 1",
        [event],
    ).fetchone()
    print(event, day)


if __name__ == "__main__":
    main(*sys.argv[1:])
