"""`smartsessions build`: dbt build, in-process, against the working database; then the marts
are published for readers (publish.py) when every node passed. The engine says what happens
around dbt's run (`engine.py`; in Spark's local mode nothing is published, a cluster's build is)."""

import time
from dataclasses import dataclass
from pathlib import Path

from dbt.cli.main import dbtRunnerResult
from dbt.contracts.graph.manifest import Manifest
from dbt_common.events.base_types import EventMsg
from dbt_common.invocation import get_invocation_id
from rich.progress import Progress

from smartsessions.engine import engine_for
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.build_record import save_build_record
from smartsessions.pipeline.dbt_runner import dbt_log, invoke_dbt
from smartsessions.pipeline.publish import PublishSummary
from smartsessions.workspace import Workspace

FAILED = {"error", "fail", "runtime error"}
TESTS = {"test", "unit_test"}


@dataclass
class BuildSummary:
    models: int
    tests: int
    seconds: float  # dbt's run, publishing (at its end) aside
    published: PublishSummary | None  # None in Spark's local mode: the export reads its tables

    def describe(self) -> str:
        return f"{self.models} models built, {self.tests} tests passed"


def run_build(
    db_path: Path,
    progress: bool = False,
    unit_tests: bool = True,
    full_refresh: bool = False,
    target: str = "duckdb",
    selector: str | None = None,
    manifest: Manifest | None = None,
) -> BuildSummary:
    """Run `dbt build` (without the unit tests, which are for CI, when `unit_tests` is off; of a
    selector of selectors.yml when one is named; on the project as parsed in `manifest` when one
    is given) and publish the result; a failing model or test
    raises with the failing node's name, and readers stay on the last published marts."""
    started = time.perf_counter()
    engine = engine_for(target)
    engine.check_buildable(db_path, full_refresh)
    args = ["build"]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if selector:
        args += ["--selector", selector]
    if progress:
        with Progress(transient=True) as bar:
            task = bar.add_task("dbt build", total=None)
            callbacks = [lambda event: _advance(bar, task, event)]
            result = invoke_dbt(db_path, args, callbacks, target, manifest)
    else:
        result = invoke_dbt(db_path, args, target=target, manifest=manifest)
    seconds = time.perf_counter() - started
    # the end of dbt's run published it, or recorded for readers why not (publication.sql)
    outcome = engine.outcome(db_path, result)
    if not result.success:
        failure = _failure(result, db_path, target)
        if outcome is None and result.exception is not None:
            # dbt stopped before its end (a full disk, a crash): readers learn of it from here
            try:
                engine.record_failure(db_path)
            except SmartSessionsError as unrecorded:
                outcome = unrecorded
        if isinstance(outcome, SmartSessionsError):
            if result.exception is None and not _failed_nodes(result):  # publishing failed
                raise outcome
            raise SmartSessionsError(f"{failure}; recording it for readers failed too: {outcome}")
        raise failure
    publishing = 0.0
    if isinstance(outcome, PublishSummary):
        publishing = outcome.seconds
        # a refresh with nothing new after this build runs none (refresh_plan.py)
        save_build_record(db_path, get_invocation_id())
    return _summary(result, seconds - publishing, outcome)


def _summary(result: dbtRunnerResult, seconds: float, published) -> BuildSummary:
    nodes = [r.node.resource_type for r in result.result.results]
    return BuildSummary(
        models=sum(kind == "model" for kind in nodes),
        tests=sum(kind in TESTS for kind in nodes),
        seconds=seconds,
        published=published,
    )


def _advance(bar: Progress, task, event: EventMsg) -> None:
    if event.info.name == "NodeFinished":
        bar.update(task, advance=1, description=event.data.node_info.node_name)


def _failure(result: dbtRunnerResult, db_path: Path, target: str) -> SmartSessionsError:
    if result.exception is not None:
        return SmartSessionsError(f"dbt build failed: {_reason(result.exception, db_path, target)}")
    failed = _failed_nodes(result)
    names = ", ".join(f"{r.node.resource_type} {r.node.name} ({r.status})" for r in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    log = dbt_log(db_path, target)
    return SmartSessionsError(f"dbt build failed: {names}{more}; details in {log}")


def _failed_nodes(result: dbtRunnerResult) -> list:
    if result.result is None:
        return []
    return [r for r in result.result.results if str(r.status) in FAILED]


def _reason(error: BaseException, db_path: Path, target: str) -> str:
    """The exception's first line. A system error names its file or, without one, dbt's folder:
    a full disk stops dbt writing its log and target/ there, and "[Errno 28] No space left on
    device" said neither."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename or Workspace(db_path).dbt_target(target)})"
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
