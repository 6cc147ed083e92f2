"""`smartsessions build`: dbt build, in-process, against the CLI's database."""

from pathlib import Path

from dbt.cli.main import dbtRunnerResult
from dbt_common.events.base_types import EventMsg
from rich.progress import Progress

from smartsessions.database import connect
from smartsessions.dbt_invoke import dbt_log, invoke_dbt
from smartsessions.errors import SmartSessionsError
from smartsessions.raw_schema import create_raw_schema

FAILED = {"error", "fail", "runtime error"}


def run_build(db_path: Path, progress: bool = False) -> None:
    """Run `dbt build`; a failing model or test raises with the failing node's name."""
    with connect(db_path) as con:  # fails early, in one line, when another process holds it
        create_raw_schema(con)  # so that a database with nothing loaded yet builds empty marts
    if progress:
        with Progress(transient=True) as bar:
            task = bar.add_task("dbt build", total=None)
            result = invoke_dbt(db_path, ["build"], [lambda event: _advance(bar, task, event)])
    else:
        result = invoke_dbt(db_path, ["build"])
    _raise_on_failure(result, dbt_log(db_path))


def _advance(bar: Progress, task, event: EventMsg) -> None:
    if event.info.name == "NodeFinished":
        bar.update(task, advance=1, description=event.data.node_info.node_name)


def _raise_on_failure(result: dbtRunnerResult, log: Path) -> None:
    if result.success:
        return
    if result.exception is not None:
        first_line = str(result.exception).strip().splitlines()[0]
        raise SmartSessionsError(f"dbt build failed: {first_line}")
    failed = [r for r in result.result.results if str(r.status) in FAILED]
    names = ", ".join(f"{r.node.resource_type} {r.node.name} ({r.status})" for r in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    raise SmartSessionsError(f"dbt build failed: {names}{more}; details in {log}")
