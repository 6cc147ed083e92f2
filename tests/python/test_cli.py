"""The command line as scheduled jobs and people type it (cli.md): --db anywhere, a missing
database refused, usage errors in one line with exit status 2, --version."""

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from test_portal_routes import NOT_YYYY_MM_DD  # the CLI and the portal share one parser
from typer.testing import CliRunner

from smartsessions.cli import app

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_db_goes_before_or_after_the_command(tmp_path):
    before, after = tmp_path / "before.duckdb", tmp_path / "after.duckdb"
    first = invoke("--db", str(before), "load", str(FIXTURE))
    second = invoke("load", str(FIXTURE), "--db", str(after))
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stdout == second.stdout
    assert before.exists() and after.exists()
    # the command's own --db wins over one given before it
    third = invoke(
        "--db", str(tmp_path / "unused.duckdb"), "load", str(FIXTURE), "--db", str(after)
    )
    assert third.stdout.startswith("0 files loaded, 9 skipped as already loaded")
    assert not (tmp_path / "unused.duckdb").exists()


@pytest.mark.parametrize(
    "command",
    [["build"], ["export", "--event", "LDN26", "--out", "report.xlsx"]],
    ids=["build", "export"],
)
def test_only_load_creates_a_database(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "mistyped.duckdb"
    result = invoke(*command, "--db", str(missing))
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: no database at {missing}: load a delivery first\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_empty_out_is_one_line_and_writes_nothing(tmp_path, monkeypatch, fmt):
    monkeypatch.chdir(tmp_path)  # an empty path would have been this folder
    empty = invoke("export", "--event", "LDN26", "--out", "", "--format", fmt)
    assert (empty.exit_code, empty.stderr) == (
        1,
        "error: --out is empty: give the workbook's path or a folder\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["status"], ["build"], ["user", "list"]], ids=" ".join)
def test_an_empty_db_or_a_folder_is_one_line(tmp_path, monkeypatch, command):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    empty = invoke("--db", "", *command)
    assert (empty.exit_code, empty.stderr) == (
        1,
        "error: --db is empty: give the database file's path\n",
    )
    folder = invoke(*command, "--db", str(work))
    assert (folder.exit_code, folder.stderr) == (
        1,
        f"error: database {work} is a folder, not a database file\n",
    )
    # nothing named after the folder beside it (the portal's accounts were work.portal.sqlite3)
    assert list(tmp_path.rglob("*")) == [work]


@pytest.mark.parametrize(
    "day",
    NOT_YYYY_MM_DD,
    ids=["basic", "week date", "basic week date", "ordinal", "full-width digits", "1-digit month"],
)
@pytest.mark.parametrize("option", ["--from", "--to"])
def test_a_date_is_exactly_yyyy_mm_dd(tmp_path, option, day):
    # the dates are read before the database is looked for: no database needed
    missing = tmp_path / "missing.duckdb"
    export = ["export", "--event", "LDN26", "--out", str(tmp_path / "r.xlsx"), "--db", str(missing)]
    refused = invoke(*export, option, day)
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"error: {option} {day!r} is not a date YYYY-MM-DD\n",
    )
    taken = invoke(*export, option, "2026-03-28")
    assert taken.stderr == f"error: no database at {missing}: load a delivery first\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["lod", "x"],
            "error: No such command 'lod'. Did you mean 'load'? (try `smartsessions --help`)",
        ),
        (
            ["load", "x", "--dbb", "x.duckdb"],
            "error: No such option: --dbb (Possible options: --db)"
            " (try `smartsessions load --help`)",
        ),
        (
            ["generate", "x", "--scale", "0"],
            "error: Invalid value for '--scale': Input should be greater than or equal to 1"
            " (try `smartsessions generate --help`)",
        ),
    ],
    ids=["unknown command", "mistyped option", "scale 0"],
)
def test_a_usage_error_is_one_line_with_a_hint_and_status_2(args, message):
    # the installed command, as a scheduler runs it
    result = subprocess.run([SMARTSESSIONS, *args], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_version():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"smartsessions {version('smartsessions')}\n")


def test_no_command_shows_the_help():
    result = subprocess.run([SMARTSESSIONS], capture_output=True, text=True)
    assert result.returncode == 0
    assert "load" in result.stdout and "export" in result.stdout
