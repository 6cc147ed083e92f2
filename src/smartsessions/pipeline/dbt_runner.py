"""Running dbt in-process against the CLI's database."""

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dbt.adapters.duckdb import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.contracts.graph.manifest import Manifest

from smartsessions.engine import engine_for
from smartsessions.workspace import PROJECT_DIR, Workspace


def dbt_log(db_path: Path, target: str = "duckdb") -> Path:
    """The file where dbt logs its runs on this database."""
    return Workspace(db_path).dbt_target(target) / "logs" / "dbt.log"


def invoke_dbt(
    db_path: Path,
    args: list[str],
    callbacks: list[Callable] = (),
    target: str = "duckdb",
    manifest: Manifest | None = None,
) -> dbtRunnerResult:
    """`dbt <args>` on this project and database; dbt's console log is off (its file log is
    dbt_log(db_path)), so that the CLI says what matters in one line. With a `manifest` (the
    project as parsed before, parsed_project.py), dbt does not parse it again."""
    os.environ["SMARTSESSIONS_DB"] = str(db_path)  # profiles.yml reads it
    work = Workspace(db_path).dbt_target(target)
    options = [
        *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        *("--log-level", "none", "--log-level-file", "info"),
        *("--target", target),
    ]
    engine_for(target).prepare_dbt(db_path)
    try:
        with _log_write_failures_unprinted():
            runner = dbtRunner(manifest=manifest, callbacks=list(callbacks))
            result = runner.invoke([*args, *options])
    finally:
        # dbt-duckdb keeps its connection open after an in-process run (keep_open): release
        # the file so that the exporter, or another process, can open it.
        DuckDBConnectionManager.close_all_connections()
    if isinstance(result.exception, KeyboardInterrupt):  # dbt returns Ctrl-C as its failure
        raise result.exception
    return result


@contextmanager
def _log_write_failures_unprinted() -> Iterator[None]:
    """dbt's file log failing to write (a full disk) printed a traceback to stderr for each line
    it logged, thousands of lines: the run fails all the same, and says why in one line."""
    printed = logging.raiseExceptions
    logging.raiseExceptions = False  # logging's own switch for such failures, meant for this
    try:
        yield
    finally:
        logging.raiseExceptions = printed
