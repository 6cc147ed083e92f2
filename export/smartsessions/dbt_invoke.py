"""Running dbt in-process against the CLI's database."""

import os
from collections.abc import Callable
from pathlib import Path

from dbt.adapters.duckdb import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult

from smartsessions.paths import PROJECT_DIR


def invoke_dbt(db_path: Path, args: list[str], callbacks: list[Callable] = ()) -> dbtRunnerResult:
    """`dbt <args>` on this project and database; dbt's console log is off (its file log stays
    in logs/dbt.log), so that the CLI says what matters in one line."""
    os.environ["SMARTSESSIONS_DB"] = str(db_path)  # profiles.yml reads it
    project = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    try:
        return dbtRunner(callbacks=list(callbacks)).invoke([*args, *project, "--log-level", "none"])
    finally:
        # dbt-duckdb keeps its connection open after an in-process run (keep_open): release
        # the file so that the exporter, or another process, can open it.
        DuckDBConnectionManager.close_all_connections()
