"""Is the peer fair? bench/peer.sql's nine tabs against the marts a build left in the same
database: every column the peer computes, rows compared both ways (EXCEPT ALL), report_order
included. The marts' plumbing (_processed_load_id) and Report info's counts of visits closed
without a natural end (room_occupancy) are not tab values, and the peer leaves them out.

Usage: peer_check.py DB; prints each tab's rows and differences, exits 1 when any differ.
"""

import sys

import duckdb

from peer import run_peer

MARTS = {
    1: "room_schedules",
    2: "room_countries",
    3: "room_join_buckets",
    4: "room_user_entries",
    5: "user_room_days",
    6: "user_bubbles",
    7: "user_teleports",
    8: "room_user_visits",
    9: "room_occupancy",
}


def differences(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """Each mart's rows, rows only in the mart and rows only in the peer's tab."""
    run_peer(con)
    found = {}
    for n, mart in MARTS.items():
        columns = ", ".join(con.table(f"tab_{n}").columns)
        only_mart, only_peer = (
            con.execute(
                f"select count(*) from (select {columns} from {a} except all "
                f"select {columns} from {b})"
            ).fetchone()[0]
            for a, b in ((f"marts.{mart}", f"tab_{n}"), (f"tab_{n}", f"marts.{mart}"))
        )
        rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
        found[mart] = (rows, only_mart, only_peer)
    return found


def main(db: str) -> None:
    with duckdb.connect(db, read_only=True) as con:
        found = differences(con)
    for mart, (rows, only_mart, only_peer) in found.items():
        print(f"{mart:<20} {rows:>9,} rows  only in mart {only_mart:,}  only in peer {only_peer:,}")
    sys.exit(any(only_mart or only_peer for _, only_mart, only_peer in found.values()))


if __name__ == "__main__":
    main(*sys.argv[1:])
