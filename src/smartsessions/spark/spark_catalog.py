"""The Spark build's tables as a DuckDB catalog, so that the export (and anyone comparing the
engines) reads them with the DuckDB code it already has.

Spark's tables are parquet files in its warehouse (NAME.spark/warehouse/<schema>.db/<table>/,
partitioned tables in `event_id=...` folders): each becomes a view over its files. Spark writes
its timestamps as instants in UTC; the session time zone is UTC, so the views read them back as
the plain timestamps the build computed (local wall-clock values stay wall-clock values), and a
time of day Spark held as text HH:MM:SS is a TIME again where the tab's column says so.

A window's tabs are the report relations (`report.<tab>`), which Spark builds as tables for
that window (`dbt run` with the window's vars) before the catalog is made.
"""

import json
from pathlib import Path

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.dbt_runner import dbt_log, invoke_dbt
from smartsessions.report.window import Window
from smartsessions.sql import literal
from smartsessions.workspace import Workspace

SCHEMAS = ("marts", "intermediate", "report")


def warehouse(db_path: Path) -> Path:
    return Workspace(db_path).spark / "warehouse"


def attach_spark_tables(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """Views in `con` over every table the Spark build left (schemas marts, intermediate and
    report), and raw.loaded_files over the landing folder's book-keeping files."""
    tables = {
        (schema, folder.name): folder
        for schema in SCHEMAS
        for folder in sorted((warehouse(db_path) / f"{schema}.db").glob("*"))
        if folder.is_dir() and any(folder.rglob("*.parquet"))  # no file: no row, no columns
    }
    for schema in sorted({schema for schema, _ in tables}):
        con.execute(f"create schema if not exists {schema}")
    times: dict[str, list[str]] = {}
    columns = ("marts", "report_tab_columns")
    if columns in tables:
        _create_view(con, "marts.report_tab_columns", tables[columns])
        for model, column in con.execute(
            "select model, column_name from marts.report_tab_columns where data_type = 'time'"
        ).fetchall():
            times.setdefault(model, []).append(column)
    for (schema, name), folder in tables.items():
        _create_view(con, f"{schema}.{name}", folder, times.get(name, []))
    books = sorted((Workspace(db_path).landing / "loaded_files").glob("*.parquet"))
    if not books:
        raise SmartSessionsError(
            f"no landing folder at {Workspace(db_path).landing}: load a delivery"
        )
    con.execute("create schema if not exists raw")
    files = ", ".join(literal(str(path)) for path in books)
    con.execute(f"create view raw.loaded_files as select * from read_parquet([{files}])")


def _create_view(con, relation: str, folder: Path, times: list[str] = ()) -> None:
    """A view over a Spark table's files: instants back to plain timestamps (UTC), and the
    `times` columns, text on Spark, as TIME."""
    files = literal(str(folder / "**" / "*.parquet"))
    source = f"read_parquet({files}, hive_partitioning = true, hive_types_autocast = false)"
    described = con.execute(f"describe select * from {source}").fetchall()
    casts = [
        f"cast({name} at time zone 'UTC' as timestamp) as {name}"
        for name, kind, *_ in described
        if kind == "TIMESTAMP WITH TIME ZONE"
    ] + [f"cast({name} as time) as {name}" for name in times]
    replace = f" replace ({', '.join(casts)})" if casts else ""
    con.execute(f"create or replace view {relation} as select *{replace} from {source}")


def write_catalog(db_path: Path, catalog: Path, window: Window) -> None:
    """A DuckDB file at `catalog` the export reads like a published catalog: the Spark build's
    tables, and for a window the report relations Spark built for it."""
    if not window.is_open:
        # Spark has no session variables: its report relations are built for the window, as
        # tables (dbt vars report_from / report_to), and the export reads them as they are.
        bounds = {"report_from": str(window.start or ""), "report_to": str(window.end or "")}
        run = ["run", "--select", "config.schema:report", "--vars", json.dumps(bounds)]
        if not invoke_dbt(db_path, run, target="spark").success:
            log = dbt_log(db_path, "spark")
            raise SmartSessionsError(f"Spark could not compute the window's tabs; see {log}")
    with duckdb.connect(str(catalog)) as con:
        con.execute("set TimeZone = 'UTC'")
        attach_spark_tables(con, db_path)
