"""`smartsessions build`: dbt build in-process, one-line failures, the file released after."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.pipeline.dbt_runner import dbt_log
from smartsessions.pipeline.publish import publish
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture delivery, loaded, built and published: copied by the tests that break a
    build (copy_of), which build it again with the unit tests (not run here: their rows are
    their own, the same in every build)."""
    db = tmp_path_factory.mktemp("built") / "built.duckdb"
    load_delivery(db, FIXTURE)
    run_build(db, unit_tests=False)
    return db


def test_the_declared_column_types_are_duckdbs(built):
    """A column's data_type in the models' YAML (the marts' contracts, the published
    intermediate models) is what a DuckDB build makes: a cluster's build is published with
    these types (spark/cluster_publish.py), so they must not drift."""
    manifest = json.loads((Workspace(built).dbt_target() / "target" / "manifest.json").read_text())
    declared = {
        (node["schema"], node["alias"], name): column["data_type"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for name, column in node["columns"].items()
        if column.get("data_type")
    }
    with duckdb.connect(str(built), read_only=True) as con:
        built_types = {
            (schema, table, column): kind
            for schema, table, column, kind in con.execute(
                "select schema_name, table_name, column_name, data_type from duckdb_columns()"
            ).fetchall()
        }
        wrong = {
            key: (kind, built_types.get(key))
            for key, kind in declared.items()
            if con.execute(f"select typeof(cast(null as {kind}))").fetchone()[0]
            != built_types.get(key)
        }
    published_intermediate = {key[:2] for key in declared if key[0] == "intermediate"}
    assert len(declared) > 150 and len(published_intermediate) == 7
    assert wrong == {}


def copy_of(db: Path, folder: Path) -> Path:
    """The database with its dbt folder, lake and published catalog, copied into `folder`."""
    shutil.copy(db, folder)
    shutil.copy(Workspace(db).published, folder)
    for tree in (Workspace(db).dbt, Workspace(db).lake):
        shutil.copytree(tree, folder / tree.name)
    return folder / db.name


def fill_up(folder: Path) -> Path:
    """A file that takes every byte left on the folder's filesystem."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(handle, bytes(1 << 16)):
            pass
    except OSError as full:
        assert full.errno == errno.ENOSPC
    finally:
        os.close(handle)
    return filler


def test_build_on_an_empty_database_creates_staging_and_releases_the_file(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    run_build(db)
    # Another process can open the file for writing: dbt's connection was closed.
    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('select 1')"
    subprocess.run([sys.executable, "-c", probe, str(db)], check=True)
    with duckdb.connect(str(db)) as con:
        staged = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'staging'"
        ).fetchone()[0]
        countries = con.execute("select count(*) from reference.country_codes").fetchone()[0]
        comments = dict(
            con.execute(
                "select column_name, comment from duckdb_columns()"
                " where schema_name = 'marts' and table_name = 'room_countries'"
            ).fetchall()
        )
        mart = con.execute(
            "select comment from duckdb_tables()"
            " where schema_name = 'marts' and table_name = 'room_countries'"
        ).fetchone()[0]
    assert staged == 10  # a view per raw table
    assert countries == 249
    # analysts see the docs in the database (persist_docs)
    assert mart.startswith("One row per room and country")
    assert comments["user_count"] == (
        "Distinct users who joined the room from that country; a user who joined from two"
        " countries counts in both."
    )


def test_a_failing_data_test_fails_the_build_naming_the_node(tmp_path):
    db = tmp_path / "bad.duckdb"
    duckdb.connect(str(db)).close()
    run_build(db, unit_tests=False)  # what it breaks is data: the unit tests run in the next
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into raw.rooms (room_id, event_id, room_name, _load_id, _source_file,"
            " _source_row) values ('r1', 'E', null, 1, 'rooms.csv', 1)"
        )
    with pytest.raises(SmartSessionsError) as failure:
        run_build(db)
    message = str(failure.value)
    assert "test not_null_columns_stg_rooms_room_id__event_id__room_name" in message
    assert "\n" not in message
    log = tmp_path / "bad.dbt" / "logs" / "dbt.log"
    assert message.endswith(f"; details in {log}")
    assert (
        "not_null_columns_stg_rooms_room_id__event_id__room_name" in log.read_text()
    )  # the log it names exists


def test_a_locked_database_is_one_line_on_stderr(tmp_path, another_process_holding, monkeypatch):
    monkeypatch.setenv("SMARTSESSIONS_LOCK_WAIT_SECONDS", "0")  # no waiting
    db = tmp_path / "locked.duckdb"
    with another_process_holding(db):
        result = CliRunner().invoke(app, ["--db", str(db), "build"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database ")
    assert "is in use by another process (process " in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_build_waits_for_a_reader_of_the_working_database(tmp_path, monkeypatch):
    """An analyst's read-only session on the working database delays a build: it says it waits,
    naming the process, builds once the session ends, and gives up in one line after the
    setting's seconds."""
    db = tmp_path / "read.duckdb"
    duckdb.connect(str(db)).close()

    def reader(seconds: float) -> subprocess.Popen:
        script = (
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True);"
            f" print('ready', flush=True); time.sleep({seconds})"
        )
        holder = subprocess.Popen(
            [sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE, text=True
        )
        assert holder.stdout.readline().strip() == "ready"
        return holder

    monkeypatch.setenv("SMARTSESSIONS_LOCK_WAIT_SECONDS", "2")
    holder = reader(60)
    try:
        gave_up = CliRunner().invoke(app, ["--db", str(db), "build"])
    finally:
        holder.kill()
        holder.wait()
    waiting, error = gave_up.stderr.splitlines()
    assert waiting == f"waiting up to 2 s for process {holder.pid}, which holds {db}"
    assert error == (
        f"error: database {db} is in use by another process (process {holder.pid});"
        " gave up after 2 s; try again when it is done"
    )
    assert gave_up.exit_code == 1

    monkeypatch.setenv("SMARTSESSIONS_LOCK_WAIT_SECONDS", "120")
    holder = reader(3)
    built = CliRunner().invoke(app, ["--db", str(db), "build"])
    holder.wait()
    assert built.exit_code == 0, built.stderr
    assert built.stderr.startswith(f"waiting up to 120 s for process {holder.pid}")


def test_ctrl_c_during_the_build_is_one_line_and_the_next_build_recovers(built, tmp_path):
    db = copy_of(built, tmp_path)
    catalog = Workspace(db).published.read_bytes()
    log_size = dbt_log(db).stat().st_size
    build = subprocess.Popen(
        [SMARTSESSIONS, "--db", str(db), "build"],
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal's Ctrl-C finds it: Python turns SIGINT into KeyboardInterrupt only when
        # the signal is not ignored, as it may be in a test worker
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    while build.poll() is None and b"START sql" not in dbt_log(db).read_bytes()[log_size:]:
        time.sleep(0.1)  # until dbt builds its models
    build.send_signal(signal.SIGINT)
    _, stderr = build.communicate(timeout=120)
    assert (build.returncode, stderr) == (130, "error: interrupted\n")
    assert Workspace(db).published.read_bytes() == catalog
    assert run_build(db).describe() == "37 models built, 160 tests passed"


@pytest.mark.parametrize("small_filesystem", ["40m"], indirect=True)
def test_a_full_disk_during_the_build_is_one_line_and_the_next_build_recovers(
    built, small_filesystem
):
    # dbt's file log failing to write printed 5,603 lines, 156 "--- Logging error ---" tracebacks
    db = copy_of(built, small_filesystem)
    published = Workspace(db).published
    catalog = published.read_bytes()
    filler = fill_up(small_filesystem)
    result = CliRunner().invoke(app, ["--db", str(db), "build"])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: dbt build failed: No space left on device ({Workspace(db).dbt}); recording it"
        f" for readers failed too: cannot publish {published}: No space left on device\n",
    )
    assert Workspace(db).published.read_bytes() == catalog
    filler.unlink()
    assert CliRunner().invoke(app, ["--db", str(db), "build"]).exit_code == 0


@pytest.mark.parametrize("small_filesystem", ["40m"], indirect=True)
def test_a_full_disk_while_publishing_is_one_line_and_leaves_no_partial_file(
    built, small_filesystem
):
    # a raw "IOException: ... Could not write file .../.schema.parquet.PID.partial"
    db = copy_of(built, small_filesystem)
    catalog = Workspace(db).published.read_bytes()
    with connect(db) as con:
        filler = fill_up(small_filesystem)
        with pytest.raises(SmartSessionsError) as failure:
            publish(con, db)
        assert str(failure.value) == (
            f"cannot publish {Workspace(db).published}: No space left on device"
        )
        assert Workspace(db).published.read_bytes() == catalog
        assert not [path for path in small_filesystem.rglob(".*")]  # no work file left
        filler.unlink()
        publish(con, db)
    assert Workspace(db).published.read_bytes() != catalog
