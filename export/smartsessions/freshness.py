"""What readers see: when the data was last loaded and the marts last built ("data as of")."""

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class DataAsOf:
    last_load: datetime | None  # UTC: the last file landed
    last_build: datetime | None  # UTC: when the last successful build finished
    last_build_failed: bool  # the latest build did not finish with every node passing

    def describe(self) -> str:
        def utc(moment: datetime | None) -> str:
            return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"

        return f"loaded {utc(self.last_load)}, built {utc(self.last_build)}"


def read_data_as_of(con: duckdb.DuckDBPyConnection) -> DataAsOf:
    """From the load's book-keeping and the builds the dbt project records (windowed builds,
    which never replace the marts, are left out)."""
    last_load = con.execute(
        "select cast(max(_loaded_at) at time zone 'UTC' as timestamp)"
        " from raw.loaded_files where status = 'loaded'"
    ).fetchone()[0]
    builds = con.execute(
        "select"
        " max(finished_at) filter (where status = 'success'),"
        " arg_max(status, started_at)"
        " from marts.build_runs where report_from is null and report_to is null"
    ).fetchone()
    return DataAsOf(last_load, builds[0], builds[1] not in (None, "success"))
