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
