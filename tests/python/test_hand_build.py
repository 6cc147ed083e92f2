"""A `dbt build` run by hand (dbt's own command, as an orchestrator runs it, not the project's
Python) is published as `smartsessions build` publishes it, through the same end of run
(macros/report/publication.sql); anything less leaves the last publication serving, and
`status` (exit 4) and the export say so."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.pipeline.publish import CATALOG_SCHEMA
from smartsessions.workspace import PROJECT_DIR, Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
DBT = Path(sys.executable).with_name("dbt")  # the dbt command installed beside this Python


def dbt(db: Path, *args: str) -> subprocess.CompletedProcess:
    folder = db.parent / "by-hand"
    command = [
        str(DBT),
        *args,
        *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
        *("--target-path", str(folder / "target"), "--log-path", str(folder / "logs")),
    ]
    env = os.environ | {"SMARTSESSIONS_DB": str(db)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def published_at(db: Path):
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        return con.execute(f"select published_at from {CATALOG_SCHEMA}.published").fetchone()[0]


def undocumented(db: Path) -> list:
    """Published relations and columns without a description (COMMENT ON)."""
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        return con.execute(
            "select table_name from duckdb_tables() where comment is null"
            " union all select view_name from duckdb_views() where not internal and comment is null"
            " union all select table_name || '.' || column_name from duckdb_columns()"
            " where database_name = current_database() and comment is null"
        ).fetchall()


def test_a_hand_build_is_published_and_anything_less_is_reported(tmp_path):
    db = tmp_path / "hand.duckdb"
    assert run("load", str(FIXTURE), "--db", str(db)).exit_code == 0
    assert not Workspace(db).published.exists()

    built = dbt(db, "build")
    assert built.returncode == 0, built.stdout[-2000:]
    first = published_at(db)
    assert undocumented(db) == []
    status = run("status", "--db", str(db))
    assert status.exit_code == 0, status.stdout
    out = tmp_path / "report.xlsx"
    exported = run("export", "--event", "LDN26", "--out", str(out), "--db", str(db))
    assert exported.exit_code == 0 and "warning" not in exported.stderr

    # a selection, and a run without tests: built, not published, and said so
    for partial in (["build", "--select", "marts"], ["run"]):
        assert dbt(db, *partial).returncode == 0
        assert published_at(db) == first
        status = run("status", "--db", str(db))
        assert status.exit_code == 4, status.stdout
        assert "not every model, seed and data test ran" in status.stdout
        exported = run("export", "--event", "LDN26", "--out", str(out), "--db", str(db))
        assert exported.exit_code == 0
        assert exported.stderr.startswith("warning: the last build failed")

    # a failing build: a room without a name, as a broken loader would land it, fails a test
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into raw.rooms (room_id, event_id, room_name, _load_id, _source_file,"
            " _source_row) values ('broken', 'LDN26', null, 1, 'rooms.csv', 1)"
        )
    failing = dbt(db, "build")
    assert failing.returncode != 0
    assert published_at(db) == first
    status = run("status", "--db", str(db))
    assert status.exit_code == 4
    assert "test not_null_columns_stg_rooms_" in status.stdout
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.rooms where room_id = 'broken'")

    # a complete build again: published, and status is clear
    assert dbt(db, "build").returncode == 0
    assert published_at(db) > first
    assert run("status", "--db", str(db)).exit_code == 0
    shutil.rmtree(tmp_path / "by-hand")
