"""The load as a whole and the `load` command: progress, user errors, the summary and
warnings it prints (names shown as they are), `--strict`'s exit status, a full disk and a killed
load."""

import os
import subprocess
import sys
from pathlib import Path
from time import sleep

import duckdb
import pytest
from deliveries import JOIN, ROOM, jsonl, query, write
from rich.text import Text
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.display import progress_label
from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import LoadSummary, load_delivery
from smartsessions.synthetic.generate import generate_delivery

SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")

# --- the load and its command -----------------------------------------------------------------


def test_progress_goes_to_stderr_only(delivery, db, capsys):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    assert load_delivery(db, delivery, progress=True).records_loaded == 1
    assert capsys.readouterr().out == ""


def test_a_locked_database_is_a_user_error(delivery, db, another_process_holding, monkeypatch):
    monkeypatch.setenv("SMARTSESSIONS_LOCK_WAIT_SECONDS", "0")  # no waiting
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    with (
        another_process_holding(db),
        pytest.raises(SmartSessionsError, match="is in use by another process"),
    ):
        load_delivery(db, delivery)


def test_the_command_prints_the_summary_and_warnings(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN, "[]"))
    write(delivery / "notes.txt", "not data")
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery)])
    assert result.exit_code == 0
    assert result.stdout == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 1 records loaded, 1 rejected\n"
    )
    assert result.stderr == "warning: skipped unknown file notes.txt\n"


def test_the_command_reports_a_missing_folder_in_one_line(tmp_path, db):
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: delivery folder ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_database_named_like_a_schema_is_refused(delivery, tmp_path):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    with pytest.raises(SmartSessionsError, match="name the file anything but"):
        load_delivery(tmp_path / "raw.duckdb", delivery)


def test_a_database_whose_path_holds_pattern_characters_loads(tmp_path, delivery):
    # DuckDB reads each file through the load's work folder beside the database
    write(delivery / "room_joins.csv", "event_uuid,event_id,room_id,user_id,occurred_at\n")
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    db = tmp_path / "reports [1] *" / "landed.duckdb"
    db.parent.mkdir()
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.files_rejected, summary.records_loaded) == (2, 0, 1)
    assert [p.name for p in db.parent.iterdir()] == ["landed.duckdb"]


def test_a_database_path_with_a_backslash_and_a_pattern_character_is_refused(tmp_path, delivery):
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    db = tmp_path / "a\\b [1]" / "landed.duckdb"
    db.parent.mkdir()
    with pytest.raises(SmartSessionsError) as refused:
        load_delivery(db, delivery)
    assert str(refused.value) == (
        f"database {db}: DuckDB cannot read files beside it, as its path holds both a backslash"
        " and one of * ? [; move or rename it"
    )
    assert list(db.parent.iterdir()) == []


def test_a_load_rejected_anything_when_a_record_or_a_whole_file_was_rejected():
    assert not LoadSummary(files_loaded=1, files_skipped=2, records_loaded=3).rejected_anything
    assert LoadSummary(records_rejected=1).rejected_anything
    assert LoadSummary(files_rejected=1).rejected_anything


def test_strict_fails_with_status_3_when_this_load_rejected_anything(tmp_path, delivery):
    write(delivery / "room_joins.jsonl", jsonl(JOIN, "[]"))
    summary = (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 1 records loaded, 1 rejected\n"
    )
    lenient = CliRunner().invoke(app, ["--db", str(tmp_path / "a.duckdb"), "load", str(delivery)])
    assert (lenient.exit_code, lenient.stdout) == (0, summary)
    strict = ["--db", str(tmp_path / "b.duckdb"), "load", str(delivery), "--strict"]
    first = CliRunner().invoke(app, strict)
    assert (first.exit_code, first.stdout) == (3, summary)
    # offered again, the file is skipped: this load rejected nothing
    assert CliRunner().invoke(app, strict).exit_code == 0


def test_strict_fails_when_a_file_is_rejected_whole(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    write(delivery / "rooms.csv", "")
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery), "--strict"])
    assert result.exit_code == 3
    assert result.stdout == (
        "1 files loaded, 0 skipped as already loaded, 1 rejected whole;"
        " 1 records loaded, 0 rejected\n"
    )
    assert result.stderr == (
        "warning: rejected rooms.csv whole: it is empty: a CSV file starts with a header row\n"
    )


def test_strict_succeeds_on_a_clean_delivery(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    write(delivery / "notes.txt", "not data")
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery), "--strict"])
    assert result.exit_code == 0
    assert result.stderr == "warning: skipped unknown file notes.txt\n"


# --- one line, never a traceback --------------------------------------------------------------


def test_markup_and_escape_codes_in_names_are_shown_literally(delivery, db):
    # `[/x]` is a closing tag with no opening one: rich would raise on it
    joins = "room_joins/[bold]a[/x] \x1b[31mred.jsonl"
    write(delivery / joins, jsonl(JOIN))
    write(delivery / "[/notes]\x1b[2J.txt", "not data")
    assert load_delivery(db, delivery, progress=True).records_loaded == 1
    shown = Text.from_markup(progress_label(f"loading {joins}")).plain
    assert shown == "loading room_joins/[bold]a[/x] \\x1b[31mred.jsonl"
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery)])
    assert result.stderr == "warning: skipped unknown file [/notes]\\x1b[2J.txt\n"


def test_a_full_disk_is_one_line_and_the_database_still_opens(tmp_path, small_filesystem):
    delivery = generate_delivery(tmp_path / "delivery", scale=1, seed=3).folder
    db = small_filesystem / "landed.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"error: cannot write database {db}: No space left on device\n",
    )
    # what was committed before the disk filled is there (not all of the 10 files); the rest
    # loads next time
    with duckdb.connect(str(db)) as con:
        assert con.execute("select count(*) from raw.loaded_files").fetchone()[0] < 10
    assert sorted(p.name for p in small_filesystem.iterdir()) == [
        "landed.duckdb",
        "landed.duckdb.wal",
    ]


def test_a_database_the_full_disk_leaves_no_room_for_is_one_line(tmp_path, small_filesystem):
    (small_filesystem / "filler").write_bytes(b"x" * 56 * 1024)
    delivery = generate_delivery(tmp_path / "delivery", scale=1, seed=3).folder
    db = small_filesystem / "landed.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: cannot write database {db}: No space left on device\n",
    )
    # no half-written database is left to be refused as damaged by the next load
    assert [p.name for p in small_filesystem.iterdir()] == ["filler"]


# --- a killed load --------------------------------------------------------------------------------


def test_a_load_killed_at_any_point_leaves_nothing_after_the_next(tmp_path):
    delivery = generate_delivery(tmp_path / "delivery", scale=1, seed=4).folder
    load_delivery(tmp_path / "clean.duckdb", delivery)
    folder = tmp_path / "killed"
    folder.mkdir()
    db = folder / "landed.duckdb"
    command = [SMARTSESSIONS, "--db", str(db), "load", str(delivery)]
    # temporary files of the load's own go beside the database, not to TMPDIR
    environment = {**os.environ, "TMPDIR": str(folder)}
    for delay in (0.2, 0.3, 0.4, 0.6, 1.0):
        load = subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)
        sleep(delay)
        load.kill()
        load.wait()
    subprocess.run(command, env=environment, check=True, capture_output=True)
    assert [p.name for p in folder.iterdir() if p.name != "landed.duckdb.wal"] == ["landed.duckdb"]
    # nothing lost, nothing counted twice
    assert landed_counts(db) == landed_counts(tmp_path / "clean.duckdb")


def landed_counts(db: Path) -> dict[str, int]:
    tables = query(db, "select table_name from duckdb_tables() where schema_name = 'raw'")
    return {name: query(db, f"select count(*) from raw.{name}")[0][0] for (name,) in tables}
