"""The project's dbt-duckdb plugin (profiles.yml): it gives the end of every dbt run on the
working database the functions that decide what readers see (macros/report/publication.sql),
so that a `dbt build` by hand, from an orchestrator or from `smartsessions build` is published
by the same code (publish.py).

They run inside dbt's process, on a cursor of dbt's own connection (the database accepts one
writing process). A failure to publish fails dbt's run with its one line; `smartsessions
build`, which runs dbt in-process, takes what happened from `take_outcome`.
"""

from functools import partial
from pathlib import Path

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.publish import (
    Freshness,
    PublishSummary,
    publish,
    publish_failed_build,
)

# What the last run's end did, per database: a publication, or the error that stopped it.
_outcomes: dict[Path, PublishSummary | SmartSessionsError | None] = {}


class Plugin(BasePlugin):
    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.create_function(
            "smartsessions_publish",
            partial(_publish, conn),
            ["DOUBLE", "DOUBLE"],
            "VARCHAR",
            null_handling="special",
            side_effects=True,
        )
        conn.create_function(
            "smartsessions_record_unpublished",
            partial(_record_unpublished, conn),
            [],
            "VARCHAR",
            side_effects=True,
        )


def take_outcome(db_path: Path) -> PublishSummary | SmartSessionsError | None:
    """What the end of the last dbt run in this process did for `db_path` (None: nothing)."""
    return _outcomes.pop(db_path.resolve(), None)


def _publish(conn, warn_hours: float | None, error_hours: float | None) -> str:
    cursor = conn.cursor()  # the connection itself is busy with the query calling this
    db_path = _db_path(cursor)
    try:
        summary = publish(cursor, db_path, Freshness(warn_hours, error_hours))
    except SmartSessionsError as error:
        _outcomes[db_path] = error
        raise
    _outcomes[db_path] = summary
    return f"published {summary.path}"


def _record_unpublished(conn) -> str:
    cursor = conn.cursor()
    db_path = _db_path(cursor)
    try:
        publish_failed_build(cursor, db_path)
    except SmartSessionsError as error:
        _outcomes[db_path] = error
        raise
    _outcomes[db_path] = None
    return "recorded for readers"


def _db_path(cursor: duckdb.DuckDBPyConnection) -> Path:
    (path,) = cursor.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(path).resolve()
