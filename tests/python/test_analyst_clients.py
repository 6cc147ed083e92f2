"""Analysts read the published catalog with the clients their tools bundle: the oldest DuckDB
the docs name (the Python package 1.1.3), the DuckDB CLI from the package index, pyarrow for
the lake's parquet files, and the clients `make analyst` installs, running docs/analysts.md's
block as written. Each client is installed from the index into a virtualenv of its own."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "delivery"
ANALYSTS = ROOT / "docs" / "analysts.md"
QUERY = (
    "select room_name, country_name, user_count from marts.room_countries"
    " where event_id = 'LDN26' order by report_order"
)


def venv(folder: Path, *requirements: str) -> Path:
    """A virtualenv at `folder` with `requirements` from the package index; its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    return folder / "bin"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    """The fixture delivery built and published as smartsessions.published.duckdb."""
    folder = tmp_path_factory.mktemp("analyst")
    db = folder / "smartsessions.duckdb"
    load_delivery(db, FIXTURE)
    run_build(db, unit_tests=False)
    return Workspace(db).published


def expected(catalog: Path) -> list[tuple]:
    with duckdb.connect(str(catalog), read_only=True) as con:
        return con.execute(QUERY).fetchall()


def test_the_oldest_supported_duckdb_and_pyarrow_read_the_catalog(catalog, tmp_path):
    python = venv(tmp_path / "oldest", "duckdb==1.1.3", "pyarrow") / "python"
    lake = Workspace(catalog.parent / "smartsessions.duckdb").lake
    script = f"""
import duckdb, glob, pyarrow.parquet
con = duckdb.connect({str(catalog)!r}, read_only=True)
assert duckdb.__version__ == "1.1.3"
print(con.execute({QUERY!r}).fetchall())
con.execute("set variable report_from = date '2026-03-29'")
con.execute("set variable report_to = date '2026-03-29'")
print(con.execute("select count(*) from report.room_countries").fetchone()[0])
# the catalog's own schemas (1.1 lists its system views under the file's catalog too)
described = con.execute("select count(*) from duckdb_columns() where schema_name in"
    " ('marts', 'report', 'intermediate', 'raw', 'publication') and comment is null").fetchone()[0]
print(described)
files = glob.glob({str(lake)!r} + "/**/*.parquet", recursive=True)
print(sum(pyarrow.parquet.read_table(f).num_rows >= 0 for f in files) == len(files) > 0)
"""
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows, windowed, undescribed, parquet = done.stdout.splitlines()
    assert rows == str(expected(catalog))
    with duckdb.connect(str(catalog), read_only=True) as con:
        con.execute("set variable report_from = date '2026-03-29'")
        con.execute("set variable report_to = date '2026-03-29'")
        in_window = con.execute("select count(*) from report.room_countries").fetchone()[0]
    assert windowed == str(in_window)
    assert (undescribed, parquet) == ("0", "True")


def test_the_analysts_block_runs_as_written(catalog, tmp_path):
    """docs/analysts.md's block, in a folder with the Makefile and the catalog: `make analyst`
    installs hsql and the DuckDB CLI, which open the catalog read-only."""
    blocks = ANALYSTS.read_text().split("```sh analyst\n")
    assert len(blocks) == 2
    block = blocks[1].split("```")[0]
    assert QUERY in block
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(catalog, tmp_path / "smartsessions.published.duckdb")
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "Café" in done.stdout or "room_name" in done.stdout
    assert "The room's name" in done.stdout or "comment" in done.stdout
    version = subprocess.run(
        [str(tmp_path / ".venv-analyst" / "bin" / "duckdb"), "--version"],
        capture_output=True,
        text=True,
    ).stdout
    major, minor, patch = (int(part) for part in version.split()[0].lstrip("v").split("."))
    assert (major, minor, patch) >= (1, 4, 4)


def test_the_analysts_sql_runs_on_the_catalog(catalog):
    """Every SQL block of docs/analysts.md runs, as written, on a read-only session."""
    blocks = [part.split("```")[0] for part in ANALYSTS.read_text().split("```sql\n")[1:]]
    assert blocks
    with duckdb.connect(str(catalog), read_only=True) as con:
        for block in blocks:
            for statement in filter(str.strip, block.split(";")):
                assert con.execute(statement).fetchall() is not None
