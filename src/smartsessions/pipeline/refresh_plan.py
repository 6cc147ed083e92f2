"""What a refresh runs after its load: nothing, the `refresh` selector (selectors.yml), or the
complete build.

The complete build (every model, seed and data test on every row, as `smartsessions build`)
runs unless the marts are known to be the project's passing answer to what was loaded before:
the last build of the working database without a window is the CLI's last published one
(NAME.dbt/last_build.json) and it passed, the published catalog is there, and the package and
dbt project are those it ran (an upgrade, an edited model). So after a failed or partial build,
or a `dbt build` by hand, a refresh runs the complete build even when nothing is new; and
`refresh --full-check` asks for it.

Otherwise, when the load landed or rejected a file (a reference row comes in a file as well),
or a file was loaded since that build finished (a `load` on its own), the refresh builds the
`refresh` selector: what new records can change, tested on what the run wrote. With none of
these, nothing new: no dbt run, nothing published.
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
    REFRESH = "refresh"  # dbt's `--selector refresh`
    COMPLETE = "complete"


def plan_refresh(db_path: Path, loaded: LoadSummary, full_check: bool = False) -> Plan:
    record = read_build_record(db_path)
    if full_check or record is None or not Workspace(db_path).published.exists():
        return Plan.COMPLETE
    last = _last_build(db_path)
    if last is None or last[:2] != (record.invocation_id, "success"):
        return Plan.COMPLETE
    if record.fingerprint != project_fingerprint():
        return Plan.COMPLETE
    loaded_since = last[2]
    if loaded.files_loaded or loaded.files_rejected or loaded_since:
        return Plan.REFRESH
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
