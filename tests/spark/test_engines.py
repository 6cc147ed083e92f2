"""The same pipeline on Spark (`make test-spark`, with the [spark] extra): the generated scale-1
delivery landed once, built on DuckDB and on Spark (models, seeds, data tests and unit tests),
and every mart equal row for row, for all history and for two windows across clock changes;
the workbook exported from Spark equal cell for cell to DuckDB's.

One Spark session serves the whole module (its JVM starts once, its Derby metastore is kept
between the dbt runs), as a Spark build in one process does."""

import json
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.report.export import export_report
from smartsessions.report.window import Window
from smartsessions.spark.spark_catalog import attach_spark_tables, local_tables
from smartsessions.sql import literal
from smartsessions.synthetic.generate import generate_delivery
from smartsessions.workspace import Workspace

MARTS = (
    "room_schedules",
    "room_countries",
    "room_join_buckets",
    "room_user_entries",
    "user_room_days",
    "user_bubbles",
    "user_teleports",
    "room_user_visits",
    "room_occupancy",
    "data_quality",
    "event_apps",
)
WINDOWED = (
    "room_countries",
    "room_join_buckets",
    "room_user_entries",
    "user_room_days",
    "user_bubbles",
    "user_teleports",
    "room_user_visits",
    "room_occupancy",
)
# Report info rows that differ between two exports by nature: when each ran and was built.
MOMENTS = ("Generated at (UTC)", "Data as of: last successful build (UTC)")


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Path:
    """The generated scale-1 delivery (seed 7) landed once and built on both engines."""
    folder = tmp_path_factory.mktemp("engines")
    generate_delivery(folder / "delivery", scale=1, seed=7)
    db = folder / "both.duckdb"
    load_delivery(db, folder / "delivery", landing=True)
    run_build(db)
    built = run_build(db, target="spark")
    assert built.models == 37 and built.tests > 150  # every data test and unit test ran
    return db


def plain(value):
    """A value as both engines mean it: a time of day (text on Spark) as HH:MM:SS."""
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    assert not (isinstance(value, datetime) and value.tzinfo), value  # instants are UTC, plain
    return value


def rows(con, relation: str, columns: list[str]) -> list[tuple]:
    found = con.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    return sorted((tuple(map(plain, row)) for row in found), key=repr)


def compare(db: Path, schema: str, tables: dict | None = None) -> dict[str, int]:
    """Every mart of `schema` on DuckDB against Spark's (its tables' folders `tables`, by
    default those of local mode): the same rows (without the load each was computed at); the
    rows per mart."""
    marts = MARTS if schema == "marts" else WINDOWED
    return {mart: compare_mart(db, schema, mart, tables) for mart in marts}


def compare_mart(db: Path, schema: str, mart: str, tables: dict | None = None) -> int:
    """One mart on DuckDB against Spark's (as `compare`); its rows."""
    with duckdb.connect() as con:  # Spark's tables as views here, DuckDB's attached
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {literal(str(db))} as duck (read_only)")
        spark = local_tables(db) if tables is None else tables
        attach_spark_tables(con, spark, Workspace(db).landing)
        return same_rows(con, f"duck.{schema}.{mart}", f"memory.{schema}.{mart}")


def same_rows(con, expected: str, found: str) -> int:
    """Asserts that relation `found` holds the rows of `expected` (catalog.schema.name), the
    load each was computed at aside; their number."""
    catalog, schema, name = expected.split(".")
    columns = [
        column
        for (column,) in con.execute(
            "select column_name from information_schema.columns where table_catalog = ?"
            " and table_schema = ? and table_name = ? order by ordinal_position",
            [catalog, schema, name],
        ).fetchall()
        if column != "_processed_load_id"
    ]
    wanted = rows(con, expected, columns)
    assert rows(con, found, columns) == wanted, found
    return len(wanted)


def test_every_mart_is_the_same_on_both_engines(both):
    counted = compare(both, "marts")
    assert all(counted.values()), counted  # no mart compared empty


@pytest.mark.parametrize(
    "window",
    [
        # London's clocks go forward (a skipped hour in the Usage graph)
        {"report_from": "2026-03-29", "report_to": "2026-03-29"},
        # London's clocks go back, then New York's (repeated hours)
        {"report_from": "2026-10-25", "report_to": "2026-11-01"},
    ],
    ids=lambda window: window["report_from"],
)
def test_every_windowed_mart_is_the_same_on_both_engines(both, window):
    # each windowed tab's report relation, built as a table of the window on both engines
    args = ["run", "--select", *(f"report_{tab}" for tab in WINDOWED), "--vars", json.dumps(window)]
    assert invoke_dbt(both, args).success
    assert invoke_dbt(both, args, target="spark").success
    counted = compare(both, "report")
    assert counted["room_join_buckets"] and counted["room_user_visits"], counted


def cells(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    found = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    found["Report info"] = [row for row in found["Report info"] if row[0] not in MOMENTS]
    return found


@pytest.mark.parametrize(
    "window", [Window(), Window(date(2026, 3, 29), date(2026, 3, 30))], ids=str
)
def test_the_workbook_from_spark_is_the_workbook_from_duckdb(both, tmp_path, window):
    duck, spark = tmp_path / "duckdb.xlsx", tmp_path / "spark.xlsx"
    export_report(both, "LDN26", duck, window)
    summary = export_report(both, "LDN26", spark, window, target="spark")
    assert summary.rows["Usage graph"] > 0
    assert cells(spark) == cells(duck)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["duckdb.xlsx", "spark.xlsx"]
