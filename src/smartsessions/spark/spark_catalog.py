"""The Spark build's tables as a DuckDB catalog, so that the export (and anyone comparing the
engines) reads them with the DuckDB code it already has.

Spark's tables are parquet files in a warehouse, a folder per table (partitioned tables in
`event_id=...` folders): in local mode NAME.spark/warehouse/<schema>.db/<table>/, on a cluster
where its metastore says (metastore.py). Each becomes a view over its files. Spark writes
its timestamps as instants in UTC; the session time zone is UTC, so the views read them back as
the plain timestamps the build computed (local wall-clock values stay wall-clock values), and a
time of day Spark held as text HH:MM:SS is a TIME again where the tab's column says so. Given
the DuckDB types the project declares (a publish: cluster_publish.py), the columns are cast to
those instead.

A window's tabs are the report relations (`report.<tab>`), which Spark builds as tables for
that window (`dbt run` with the window's vars) before the catalog is made.
"""

import json
from pathlib import Path

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.dbt_runner import dbt_log, invoke_dbt
from smartsessions.report.window import Window
from smartsessions.spark.metastore import SCHEMAS
from smartsessions.sql import literal
from smartsessions.workspace import Workspace


def local_tables(db_path: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) -> its folder, for every table a Spark build in local mode left in its
    warehouse (NAME.spark/warehouse/<schema>.db/<table>/)."""
    warehouse = Workspace(db_path).spark / "warehouse"
    return {
        (schema, folder.name): folder
        for schema in SCHEMAS
        for folder in sorted((warehouse / f"{schema}.db").glob("*"))
        if folder.is_dir()
    }


def attach_spark_tables(
    con: duckdb.DuckDBPyConnection,
    tables: dict[tuple[str, str], Path],
    landing: Path,
    types: dict[tuple[str, str], dict[str, str]] | None = None,
) -> None:
    """Views in `con` over the Spark build's `tables` (their folders), their columns of the
    DuckDB `types` given per table cast to them, and raw.loaded_files over the landing folder's
    book-keeping files."""
    # a table without a file has no row, nor any column to read
    tables = {key: folder for key, folder in tables.items() if any(folder.rglob("*.parquet"))}
    for schema in sorted({schema for schema, _ in tables}):
        con.execute(f"create schema if not exists {schema}")
    types = types if types is not None else _tab_times(con, tables)
    for (schema, name), folder in tables.items():
        _create_view(con, f"{schema}.{name}", folder, types.get((schema, name), {}))
    books = sorted((landing / "loaded_files").glob("*.parquet"))
    if not books:
        raise SmartSessionsError(f"no landing folder at {landing}: load a delivery")
    con.execute("create schema if not exists raw")
    files = ", ".join(literal(str(path)) for path in books)
    con.execute(f"create view raw.loaded_files as select * from read_parquet([{files}])")


def _tab_times(con, tables: dict[tuple[str, str], Path]) -> dict:
    """Without types given: a tab's columns that are TIME (text HH:MM:SS on Spark), as the
    build saved them in marts.report_tab_columns."""
    if ("marts", "report_tab_columns") not in tables:
        return {}
    _create_view(con, "marts.report_tab_columns", tables[("marts", "report_tab_columns")])
    times = {}
    for model, column in con.execute(
        "select model, column_name from marts.report_tab_columns where data_type = 'time'"
    ).fetchall():
        times.setdefault(("marts", model), {})[column] = "time"
    return times


def _create_view(con, relation: str, folder: Path, types: dict[str, str] | None = None) -> None:
    """A view over a Spark table's files: its columns of `types` cast to them, and the other
    instants back to plain timestamps (UTC)."""
    files = literal(str(folder / "**" / "*.parquet"))
    source = f"read_parquet({files}, hive_partitioning = true, hive_types_autocast = false)"
    described = con.execute(f"describe select * from {source}").fetchall()
    types = types or {}
    casts = [
        f"cast({name} as {types[name]}) as {name}"
        if name in types
        else f"cast({name} at time zone 'UTC' as timestamp) as {name}"
        for name, kind, *_ in described
        if name in types or kind == "TIMESTAMP WITH TIME ZONE"
    ]
    replace = f" replace ({', '.join(casts)})" if casts else ""
    con.execute(f"create or replace view {relation} as select *{replace} from {source}")


def build_window(db_path: Path, window: Window, target: str) -> None:
    """The window's report relations, built as tables by Spark (`dbt run` with the window's
    vars): Spark has no session variables for a report view to read."""
    bounds = {"report_from": str(window.start or ""), "report_to": str(window.end or "")}
    run = ["run", "--select", "config.schema:report", "--vars", json.dumps(bounds)]
    if not invoke_dbt(db_path, run, target=target).success:
        log = dbt_log(db_path, target)
        raise SmartSessionsError(f"Spark could not compute the window's tabs; see {log}")


def write_catalog(catalog: Path, tables: dict[tuple[str, str], Path], landing: Path) -> None:
    """A DuckDB file at `catalog` the export reads like a published catalog: views over the
    Spark build's tables (a window's report relations among them, built before)."""
    with duckdb.connect(str(catalog)) as con:
        con.execute("set TimeZone = 'UTC'")
        attach_spark_tables(con, tables, landing)
