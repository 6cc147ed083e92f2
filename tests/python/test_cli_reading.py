"""The commands read as a data engineer expects (issue 23): flags without values in the help,
help texts whole, one plain line for a bad choice or an aborted prompt, an export that refuses
a workbook's name for a folder, `status` saying a refresh runs, `make clean` leaving nothing
the commands made, and long work saying what it does."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.pipeline.refresh import refresh_lock

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    [],
    ["load"],
    ["generate"],
    ["build"],
    ["refresh"],
    ["status"],
    ["demo"],
    ["export"],
    ["serve"],
    ["user"],
    ["user", "add"],
    ["user", "list"],
]


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(app, list(args), **kwargs)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "app")
def test_flags_show_no_value_in_the_help(command):
    result = invoke(*command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout


def test_help_texts_are_never_cut_mid_sentence():
    """A docstring's lines make one paragraph: the refresh line wraps where the terminal ends."""
    listed = invoke("--help", env={"COLUMNS": "80"}).stdout
    words = " ".join(
        line.strip("│ ").split("  ")[-1].strip() for line in listed.splitlines() if "│" in line
    )
    assert "publish them (for schedulers); a second refresh" in " ".join(words.split())


def test_a_bad_choice_is_one_plain_line():
    result = CliRunner().invoke(
        app, ["export", "--event", "X", "--out", "x", "--format", "pdf"], prog_name="smartsessions"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: Invalid value for '--format': 'pdf' is not one of 'xlsx', 'csv', 'parquet'"
        " (try `smartsessions export --help`)\n"
    )


def test_ctrl_d_at_the_password_prompt_is_one_line(portal_db):
    result = invoke("user", "add", "a@example.org", "--event", "LDN26", "--db", str(portal_db))
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (130, "error: interrupted")
    assert "Traceback" not in result.output


def test_data_files_into_a_workbook_name_are_refused(tmp_path, portal_db):
    out = tmp_path / "x.xlsx"
    args = ["export", "--event", "LDN26", "--format", "csv", "--out", str(out)]
    result = invoke(*args, "--db", str(portal_db))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: --out {out} names a workbook: csv and parquet files go into a folder\n"
    )
    assert not out.exists()


def test_status_says_when_a_refresh_is_running(portal_db):
    with refresh_lock(portal_db, lambda message: None):
        running = invoke("status", "--db", str(portal_db)).stdout
    assert "a load, build or refresh is running" in running
    after = invoke("status", "--db", str(portal_db)).stdout
    assert "a load, build or refresh is running" not in after


def test_make_clean_removes_what_the_commands_make(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    made = [
        "smartsessions.duckdb",
        "smartsessions.duckdb.wal",
        "smartsessions.published.duckdb",
        "smartsessions.refresh.lock",
        "smartsessions.portal.sqlite3",
        "smartsessions.portal.key",
    ]
    folders = [
        "smartsessions.lake",
        "smartsessions.dbt",
        "smartsessions.landing",
        "smartsessions.spark",
        "smartsessions.reports",
        "outbox",
        "demo-delivery",
        "target",
        "logs",
        ".venv-analyst",
    ]
    for name in made:
        (tmp_path / name).write_text("x")
    for name in folders:
        (tmp_path / name).mkdir()
        (tmp_path / name / "file").write_text("x")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Makefile"]


def test_the_install_and_the_bench_say_what_they_do(tmp_path, capsys):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", ".venv/.installed"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert planned.splitlines()[0].startswith('echo "creating .venv and installing smartsessions')
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from measure import run  # the bench's one way to run a step
    finally:
        sys.path.pop(0)
    seconds, _, stdout = run([sys.executable, "-c", "print('done')"])
    assert stdout == "done\n"
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1
    assert said[0].startswith(f"bench: {seconds:7.1f} s  python")
    assert said[0].endswith("-c print('done')")
