"""`smartsessions status` after a failed build or refresh: readers keep the last publication,
the failing rows are kept in `test_failures`, and status names the failing node and exits 4
(not 1, a user error), until a build passes again."""

import re
from datetime import datetime
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.pipeline.freshness import DataAsOf, NodeOutcome
from smartsessions.pipeline.publish import CATALOG_SCHEMA
from smartsessions.pipeline.status import Status
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def publication(db: Path) -> tuple:
    """When the catalog readers open was published, and a mart's rows in it."""
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        published_at = con.execute(
            f"select published_at from {CATALOG_SCHEMA}.published"
        ).fetchone()[0]
        rooms = con.execute("select * from marts.room_schedules order by all").fetchall()
    return published_at, rooms


def test_a_failed_build_is_named_by_status_which_exits_4_until_one_passes(tmp_path):
    db = tmp_path / "failing.duckdb"
    assert run("refresh", str(FIXTURE), "--db", str(db)).exit_code == 0
    passed = run("status", "--db", str(db))
    assert passed.exit_code == 0
    assert "last build failed" not in passed.stdout
    before = publication(db)

    # Two rooms without a name, as a broken loader would land them: a data test fails.
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into raw.rooms (room_id, event_id, room_name, _load_id, _source_file,"
            " _source_row) values ('broken-1', 'LDN26', null, 1, 'rooms.csv', 1),"
            " ('broken-2', 'LDN26', ' ', 1, 'rooms.csv', 2)"
        )
    built = run("build", "--db", str(db))
    assert built.exit_code == 1
    # the test of the rooms' required fields, named after its columns
    named = re.match(
        r"error: dbt build failed: test (not_null_columns_stg_rooms_\w+) \(fail\)", built.stderr
    )
    assert named, built.stderr
    test = named[1]
    assert publication(db) == before  # readers still see the last good publication

    status = run("status", "--db", str(db))
    assert status.exit_code == 4
    failed = [line for line in status.stdout.splitlines() if line.startswith("last build failed")]
    published_at = f"{before[0]:%Y-%m-%d %H:%M:%S} UTC"
    assert len(failed) == 1
    # a long name is cut and hashed by dbt into the table's
    named = re.search(
        rf": test {test} \(2 rows failing, kept in (test_failures\.\w+)\);"
        rf" readers see the publication of {published_at}$",
        failed[0],
    )
    assert named, failed[0]
    kept = named[1]
    with duckdb.connect(str(db), read_only=True) as con:  # the failing rows, in the working db
        rows = con.execute(f"select room_id from {kept} order by 1").fetchall()
        assert rows == [("broken-1",), ("broken-2",)]

    exported = run("--db", str(db), "export", "--event", "LDN26", "--out", str(tmp_path / "x.xlsx"))
    assert exported.exit_code == 0
    assert exported.stderr.startswith("warning: the last build failed: the marts are from")
    assert exported.stderr.rstrip("\n").endswith(
        f"; failed: test {test} (2 rows failing, kept in {kept})"
    )

    # A model in error (a raw table that no longer fits its staging model) is named too, after
    # a refresh (which runs no unit tests: a build's would fail first, on the same columns).
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.rooms where room_id like 'broken-%'")
        con.execute("alter table raw.room_leaves rename column user_id to person_id")
    assert run("refresh", str(FIXTURE), "--db", str(db)).exit_code == 1
    status = run("status", "--db", str(db))
    assert status.exit_code == 4
    assert f"last build failed at {before[0]:%Y}" in status.stdout
    assert ": model stg_room_leaves (error); readers see the publication of" in status.stdout

    # Mended, the next build publishes and status is clean again.
    with duckdb.connect(str(db)) as con:
        con.execute("alter table raw.room_leaves rename column person_id to user_id")
    assert run("build", "--db", str(db)).exit_code == 0
    status = run("status", "--db", str(db))
    assert status.exit_code == 0
    assert "last build failed" not in status.stdout
    assert publication(db)[0] > before[0]
    with duckdb.connect(str(db), read_only=True) as con:  # the test passes: its table is gone
        left = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'test_failures'"
        ).fetchall()
    assert left == []


def test_warnings_are_listed_and_a_build_that_never_ended_is_named_as_such(tmp_path):
    warned = NodeOutcome("test", "plausible_joins", "warn", 1, "test_failures.plausible_joins")
    moment = datetime(2026, 3, 30, 6, 10)
    found = Status(
        tmp_path / "x.published.duckdb",
        moment,
        DataAsOf(moment, moment, False, moment, (), (warned,)),
        "unknown",
        None,
        [],
        [],
    )
    assert not found.last_build_failed
    assert found.lines()[2] == (
        "last build warned (published all the same): test plausible_joins"
        " (1 row failing, kept in test_failures.plausible_joins)"
    )
    crashed = DataAsOf(moment, None, True, moment)  # dbt stopped before its end hook
    assert crashed.describe_failed_nodes() == (
        "it did not finish (see dbt's log beside the database)"
    )
