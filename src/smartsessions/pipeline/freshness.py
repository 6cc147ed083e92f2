"""What readers see: when the data was last loaded and the marts last built ("data as of"), and
what the latest build left unpassed."""

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class NodeOutcome:
    """A node of the latest build that did not pass, as the build recorded it
    (marts.build_failures, macros/report/report_catalog.sql)."""

    resource_type: str  # model, test, seed, snapshot, unit_test
    name: str
    status: str  # error (it did not run through), fail or warn (a test found rows)
    failing_rows: int | None  # a test that ran: the rows it found
    stored_failures: str | None  # schema.table of the working database that keeps those rows

    def describe(self) -> str:
        # a unit test's failure is a difference from its expected rows, not rows of the data
        if self.resource_type != "test" or self.status == "error" or self.failing_rows is None:
            return f"{self.resource_type} {self.name} ({self.status})"
        rows = f"{self.failing_rows:,} row{'' if self.failing_rows == 1 else 's'} failing"
        kept = f", kept in {self.stored_failures}" if self.stored_failures else ""
        return f"{self.resource_type} {self.name} ({rows}{kept})"


@dataclass(frozen=True)
class DataAsOf:
    last_load: datetime | None  # UTC: the last file landed
    last_build: datetime | None  # UTC: when the last successful build finished
    last_build_failed: bool  # the latest build did not finish with every node passing
    # UTC: when the latest build finished (started, when it never finished)
    latest_build_at: datetime | None = None
    # its nodes in error or failing (which stopped publication), and its warnings (which did not)
    failed_nodes: tuple[NodeOutcome, ...] = ()
    warned_nodes: tuple[NodeOutcome, ...] = ()
    # the latest build's outcome (macros/report/publication.sql): success, failed, partial
    latest_status: str | None = None

    def describe(self) -> str:
        return f"loaded {utc_text(self.last_load)}, built {utc_text(self.last_build)}"

    def describe_failed_nodes(self) -> str:
        """What failed in the latest build, for `status` and the export."""
        nodes = ", ".join(node.describe() for node in self.failed_nodes)
        if not nodes and self.latest_status == "partial":
            return (
                "not every model, seed and data test ran (a selection, or dbt run),"
                " so it was not published"
            )
        # no node recorded: dbt stopped before its end hook (a crash, a project that no longer
        # parses), and only its log says why
        return nodes or "it did not finish (see dbt's log beside the database)"

    def describe_latest_build(self) -> str:
        return utc_text(self.latest_build_at)


def utc_text(moment: datetime | None) -> str:
    """A UTC moment as "data as of" shows it (`status`, the export's warning, the portal's
    email): `YYYY-MM-DD HH:MM UTC`, or `never`."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def read_last_loads(con: duckdb.DuckDBPyConnection) -> dict[str, datetime | None]:
    """Per raw table, when its last file was loaded (UTC; None when no file of it was): the one
    reading of the load's book-keeping behind "data as of" (the newest of them), `status`'s raw
    tables, and its freshness verdict. It reads the column `dbt source freshness` reads
    (`_loaded_at`, models/staging/_sources.yml), counting loaded files only."""
    rows = con.execute(
        "select table_name,"
        " cast(max(_loaded_at) filter (where status = 'loaded') at time zone 'UTC' as timestamp)"
        " from raw.loaded_files group by table_name"
    ).fetchall()
    return dict(rows)


def read_data_as_of(con: duckdb.DuckDBPyConnection) -> DataAsOf:
    """From the load's book-keeping and the builds the dbt project records (windowed builds,
    which never replace the marts, are left out)."""
    last_load = max(filter(None, read_last_loads(con).values()), default=None)
    last_build, latest_status, latest_at, latest_id = con.execute(
        "select"
        " max(finished_at) filter (where status = 'success'),"
        " arg_max(status, started_at),"
        " arg_max(coalesce(finished_at, started_at), started_at),"
        " arg_max(invocation_id, started_at)"
        " from marts.build_runs where report_from is null and report_to is null"
    ).fetchone()
    nodes = _node_outcomes(con, latest_id) if latest_id else []
    return DataAsOf(
        last_load,
        last_build,
        latest_status not in (None, "success"),
        latest_at,
        tuple(node for node in nodes if node.status != "warn"),
        tuple(node for node in nodes if node.status == "warn"),
        latest_status,
    )


def _node_outcomes(con: duckdb.DuckDBPyConnection, invocation_id: str) -> list[NodeOutcome]:
    # a catalog published before builds recorded their nodes, or one of a Spark build, has none
    recorded = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'marts' and table_name = 'build_failures'"
    ).fetchone()[0]
    if not recorded:
        return []
    rows = con.execute(
        "select resource_type, node_name, status, failing_rows, stored_failures"
        " from marts.build_failures where invocation_id = ? order by resource_type, node_name",
        [invocation_id],
    ).fetchall()
    return [NodeOutcome(*row) for row in rows]
