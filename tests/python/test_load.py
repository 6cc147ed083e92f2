"""The load as a whole and the `load` command: progress, user errors, the summary and
warnings it prints."""

import pytest
from deliveries import (
    JOIN,
    ROOM,
    jsonl,
    write,
)
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.load import load_delivery

# --- the load and its command -----------------------------------------------------------------


def test_progress_goes_to_stderr_only(delivery, db, capsys):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    assert load_delivery(db, delivery, progress=True).records_loaded == 1
    assert capsys.readouterr().out == ""


def test_a_locked_database_is_a_user_error(delivery, db, another_process_holding):
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
