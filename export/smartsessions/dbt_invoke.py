"""Running dbt in-process against the CLI's database."""

import json
import os
from collections.abc import Callable
from pathlib import Path

from dbt.adapters.duckdb import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult

from smartsessions.paths import PROJECT_DIR, dbt_work_dir
from smartsessions.publish import Freshness


def dbt_log(db_path: Path) -> Path:
    """The file where dbt logs its runs on this database."""
    return dbt_work_dir(db_path) / "logs" / "dbt.log"


def invoke_dbt(db_path: Path, args: list[str], callbacks: list[Callable] = ()) -> dbtRunnerResult:
    """`dbt <args>` on this project and database; dbt's console log is off (its file log is
    dbt_log(db_path)), so that the CLI says what matters in one line."""
    os.environ["SMARTSESSIONS_DB"] = str(db_path)  # profiles.yml reads it
    work = dbt_work_dir(db_path)
    options = [
        *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        *("--log-level", "none", "--log-level-file", "info"),
    ]
    try:
        return dbtRunner(callbacks=list(callbacks)).invoke([*args, *options])
    finally:
        # dbt-duckdb keeps its connection open after an in-process run (keep_open): release
        # the file so that the exporter, or another process, can open it.
        DuckDBConnectionManager.close_all_connections()


def source_freshness(db_path: Path) -> Freshness:
    """The freshness thresholds of the raw sources, as the last dbt run on this database
    rendered them (its manifest)."""
    manifest = dbt_work_dir(db_path) / "target" / "manifest.json"
    hours = {"minute": 1 / 60, "hour": 1, "day": 24}
    try:
        sources = json.loads(manifest.read_text())["sources"].values()
        criteria = next(s["freshness"] for s in sources if s["name"] == "loaded_files")
    except (OSError, ValueError, KeyError, StopIteration):
        return Freshness()

    def in_hours(threshold: dict | None) -> float | None:
        if not threshold or threshold.get("count") is None:
            return None
        return float(threshold["count"]) * hours[threshold["period"]]

    return Freshness(in_hours(criteria.get("warn_after")), in_hours(criteria.get("error_after")))
