"""What a refresh runs after its load: nothing, when the marts already answer what is loaded,
or dbt's build.

Nothing is run (and nothing published) only when all of these hold, so that a refresh can never
skip work a reader is waiting for:
- the load landed no file and rejected none (a reference row comes in a file as well);
- the last build of the working database without a window is the CLI's last published one
  (NAME.dbt/last_build.json), and it passed: a failed, partial or hand-run build since is
  followed by a build;
- no file was loaded or rejected after that build finished (a `load` run on its own);
- the published catalog is there, and the package and dbt project are those that build ran
  (an upgrade rebuilds).
"""

from enum import StrEnum
from pathlib import Path

import duckdb

from smartsessions.database import connect
from smartsessions.landing.load import LoadSummary
from smartsessions.pipeline.build_record import project_fingerprint, read_build_record
from smartsessions.workspace import Workspace


class Plan(StrEnum):
    NOTHING = "nothing"
    BUILD = "build"


def plan_refresh(db_path: Path, loaded: LoadSummary) -> Plan:
    if loaded.files_loaded or loaded.files_rejected:
        return Plan.BUILD
    record = read_build_record(db_path)
    if record is None or not Workspace(db_path).published.exists():
        return Plan.BUILD
    if _last_build(db_path) != (record.invocation_id, "success", False):
        return Plan.BUILD
    if record.fingerprint != project_fingerprint():
        return Plan.BUILD
    return Plan.NOTHING


def _last_build(db_path: Path) -> tuple[str, str, bool] | None:
    """The working database's last build without a window: its invocation id, its outcome, and
    whether a file was loaded or rejected after it finished."""
    with connect(db_path, read_only=True) as con:
        try:
            return con.execute(
                """
                with last_build as (
                    select invocation_id, status, finished_at from marts.build_runs
                    where report_from is null and report_to is null
                    order by started_at desc limit 1
                )
                select
                    invocation_id,
                    status,
                    coalesce((
                        select max(_loaded_at at time zone 'UTC') from raw.loaded_files
                    ) > finished_at, true)
                from last_build
                """
            ).fetchone()
        except duckdb.CatalogException:  # never built
            return None
