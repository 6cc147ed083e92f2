"""Fixtures shared by the test modules."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.fixture
def another_process_holding():
    """A context manager: another process holds the DuckDB file's write lock meanwhile."""

    @contextmanager
    def holding(db: Path):
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                " print('ready', flush=True); time.sleep(60)",
                str(db),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "ready"
            yield
        finally:
            holder.kill()
            holder.wait()

    return holding


@pytest.fixture(scope="session")
def generated_db(tmp_path_factory) -> Path:
    """A generated scale-1 delivery (five event apps), loaded and built."""
    from smartsessions.build import run_build
    from smartsessions.generate import generate_delivery
    from smartsessions.load import load_delivery

    folder = tmp_path_factory.mktemp("generated")
    generate_delivery(folder / "delivery", scale=1, seed=7)
    db = folder / "generated.duckdb"
    load_delivery(db, folder / "delivery")
    run_build(db)
    return db


@pytest.fixture
def delivery(tmp_path) -> Path:
    return tmp_path / "delivery"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "landed.duckdb"
