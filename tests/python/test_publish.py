"""Publishing never pulls a file from under a reader: a lake file is removed only once it has
not been published for an hour, however long ago it was written (issue 21, point 1)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from deliveries import JOIN, jsonl, write

from smartsessions.pipeline.publish import CATALOG_SCHEMA
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
HOURS_AGO = 3 * 3600


def a_join(folder: Path, uuid: str, occurred_at: str) -> Path:
    """A delivery of one more join in LDN26 on the fixture's first day: it replaces the
    activity partition (and the marts' LDN26 files) the previous catalog names."""
    write(
        folder / "room_joins" / "late.jsonl",
        jsonl(JOIN | {"event_uuid": uuid, "occurred_at": occurred_at}),
    )
    return folder


def refresh(db: Path, folder: Path) -> None:
    """In another process, as a scheduler runs it: in this one, DuckDB would hand the publish
    the held reader's database for the catalog's path instead of the one swapped in since."""
    subprocess.run([SMARTSESSIONS, "refresh", str(folder), "--db", str(db)], check=True)


def age_lake(db: Path) -> None:
    """Every lake file written hours ago, as on an install that has run for a while."""
    then = time.time() - HOURS_AGO
    for path in Workspace(db).lake.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def catalog_files(db: Path) -> set[str]:
    """The files the catalog published now names, read in another process (see `refresh`)."""
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
        f" print('\\n'.join(f for (f,) in con.sql('select file from {CATALOG_SCHEMA}.partitions')"
        ".fetchall()))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, str(Workspace(db).published)],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(found.stdout.split())


def relations(con) -> list[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema <> ? order by 1",
        [CATALOG_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def test_a_reader_keeps_its_files_across_refreshes_of_old_partitions(tmp_path):
    db = tmp_path / "held.duckdb"
    refresh(db, FIXTURE)
    reader = duckdb.connect(str(Workspace(db).published), read_only=True)
    held = relations(reader)
    counts = {name: reader.execute(f"select count(*) from {name}").fetchone() for name in held}
    named = catalog_files(db)
    activity = "select count(*) from intermediate.int_activity"
    for number, occurred_at in enumerate(["2026-03-29T00:45:00Z", "2026-03-29T00:50:00Z"]):
        age_lake(db)
        refresh(db, a_join(tmp_path / f"late-{number}", f"late-{number}", occurred_at))
    retired = named - catalog_files(db)
    assert any("int_activity" in file for file in retired)  # the test replaced what it holds
    # Every relation of the reader's catalog still reads whole, as it was when opened.
    assert {name: reader.execute(f"select count(*) from {name}").fetchone() for name in held} == (
        counts
    )
    reader.close()  # (and so DuckDB no longer hands out its database for the path)
    with duckdb.connect(str(Workspace(db).published), read_only=True) as later:
        assert later.execute(activity).fetchone()[0] == counts["intermediate.int_activity"][0] + 2
    assert all(Path(file).exists() for file in retired)


def test_a_file_retired_over_an_hour_ago_is_removed_at_the_next_publish(tmp_path):
    db = tmp_path / "retired.duckdb"
    refresh(db, FIXTURE)
    first = catalog_files(db)
    refresh(db, a_join(tmp_path / "late-0", "late-0", "2026-03-29T00:45:00Z"))
    long_ago = first - catalog_files(db)
    assert long_ago and all(Path(file).exists() for file in long_ago)
    with duckdb.connect(str(Workspace(db).published)) as catalog:  # retired two hours ago, then
        catalog.execute(
            f"update {CATALOG_SCHEMA}.retired_files set retired_at = retired_at - interval 2 hour"
        )
    second = catalog_files(db)
    refresh(db, a_join(tmp_path / "late-1", "late-1", "2026-03-29T00:50:00Z"))
    just_now = second - catalog_files(db)
    assert just_now
    assert not any(Path(file).exists() for file in long_ago)
    assert all(Path(file).exists() for file in just_now)  # retired now: kept for an hour
