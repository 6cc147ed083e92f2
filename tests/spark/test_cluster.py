"""The same pipeline on a Spark standalone cluster through its Thrift Server (`make
test-cluster`; the [spark] and [spark-cluster] extras): a master, two workers and the server
started once for the module (smartsessions.spark.cluster), each its own JVM.

The generated scale-1 delivery is landed once and built on DuckDB, then with `smartsessions
--target spark_thrift build` on the cluster (every model, seed, data test and unit test), which
publishes the cluster's build to the catalog readers open. Every mart, read from that catalog
and from the cluster's own files (where its metastore says), equals DuckDB's row for row, for
all history and for two windows across clock changes; the workbooks exported from the cluster,
and from the catalog it published, equal DuckDB's cell for cell; the published relations have a
DuckDB build's types, with nothing loaded too. Nothing of the cluster outlives the module."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_engines import MARTS, WINDOWED, cells, compare, same_rows  # tests/spark is on sys.path

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import load_delivery
from smartsessions.landing.parquet_mirror import Landing
from smartsessions.landing.raw_schema import create_raw_schema
from smartsessions.pipeline.build import run_build
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.report.export import export_report
from smartsessions.report.window import Window
from smartsessions.sql import literal
from smartsessions.synthetic.generate import generate_delivery
from smartsessions.workspace import Workspace

pytestmark = pytest.mark.cluster

from smartsessions.spark.cluster import spark_cluster  # noqa: E402  (make test-cluster: the extras)
from smartsessions.spark.metastore import cluster_tables  # noqa: E402

WINDOWS = {
    # London's clocks go forward (a skipped hour in the Usage graph)
    "spring": Window(date(2026, 3, 29), date(2026, 3, 29)),
    # London's clocks go back, then New York's (repeated hours)
    "autumn": Window(date(2026, 10, 25), date(2026, 11, 1)),
}
BOOKS = {"all history": Window(), "spring": WINDOWS["spring"]}
CLI = [str(Path(sys.executable).parent / "smartsessions"), "--target", "spark_thrift"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    with spark_cluster(folder) as running:
        os.environ["SMARTSESSIONS_THRIFT_PORT"] = str(running.thrift_port)
        try:
            yield running
        finally:
            del os.environ["SMARTSESSIONS_THRIFT_PORT"]
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(folder) not in processes  # no JVM left behind
    # no session close failed in the server (docs/spark.md, "One query at a time")
    server_log = running.log("thriftserver").read_text(errors="replace")
    assert "Exception in thread" not in server_log


@pytest.fixture(scope="module")
def built(cluster, tmp_path_factory) -> tuple[Path, dict[str, Path], Path]:
    """The delivery landed once; built on DuckDB, its workbooks exported, its published
    catalog copied; then built on the cluster by the CLI, which published it. The database,
    DuckDB's workbooks by name, and the copy of DuckDB's publication."""
    folder = tmp_path_factory.mktemp("built")
    generate_delivery(folder / "delivery", scale=1, seed=7)
    db = folder / "both.duckdb"
    load_delivery(db, folder / "delivery", landing=True)
    run_build(db)
    duckdb_published = shutil.copy(Workspace(db).published, folder / "duckdb.published.duckdb")
    books = {}
    for name, window in BOOKS.items():
        books[name] = folder / f"duckdb {name}.xlsx"
        export_report(db, "LDN26", books[name], window)
    done = subprocess.run([*CLI, "--db", str(db), "build"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "37 models built" in done.stdout and "published" in done.stdout, done.stdout
    return db, books, Path(duckdb_published)


def test_the_cluster_build_is_published_equal_to_duckdbs(built):
    db, _, duckdb_published = built
    with duckdb.connect() as con:
        con.execute(f"attach {literal(str(db))} as duck (read_only)")
        con.execute(f"attach {literal(str(Workspace(db).published))} as published (read_only)")
        con.execute(f"attach {literal(str(duckdb_published))} as duck_published (read_only)")
        counted = {
            mart: same_rows(con, f"duck.marts.{mart}", f"published.marts.{mart}") for mart in MARTS
        }
        # what readers are told is the cluster's build, not DuckDB's before it
        published = con.execute(
            "select invocation_id from published.marts.build_runs where status = 'success'"
        ).fetchall()
        duckdbs = con.execute("select invocation_id from duck.marts.build_runs").fetchall()
        undescribed = con.execute(
            "select table_name, column_name from duckdb_columns()"
            " where database_name = 'published' and schema_name = 'marts' and comment is null"
        ).fetchall()
        # the types a DuckDB build publishes
        assert column_types(con, "published") == column_types(con, "duck_published")
    assert all(counted.values()), counted  # no mart compared empty
    assert set(published) - set(duckdbs)
    assert undescribed == []  # analysts read every description


def test_every_mart_on_the_cluster_is_duckdbs(built):
    db, *_ = built
    counted = compare(db, "marts", _locations())
    assert all(counted.values()), counted


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
def test_every_windowed_mart_on_the_cluster_is_duckdbs(built, window):
    db, *_ = built
    bounds = {"report_from": str(window.start), "report_to": str(window.end)}
    args = ["run", "--select", *(f"report_{tab}" for tab in WINDOWED), "--vars", json.dumps(bounds)]
    assert invoke_dbt(db, args).success
    assert invoke_dbt(db, args, target="spark_thrift").success
    counted = compare(db, "report", _locations())
    assert counted["room_join_buckets"] and counted["room_user_visits"], counted
    # the published catalog's report views, over the cluster's build, read the same window
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        con.execute(f"attach {literal(str(db))} as duck (read_only)")
        con.execute(f"set variable report_from = date '{window.start}'")
        con.execute(f"set variable report_to = date '{window.end}'")
        for tab in WINDOWED:
            same_rows(con, f"duck.report.{tab}", f"report.{tab}")


@pytest.mark.parametrize("name", BOOKS)
def test_the_workbooks_from_the_cluster_are_duckdbs(built, tmp_path, name):
    db, books, _ = built
    cluster_book, published_book = tmp_path / "cluster.xlsx", tmp_path / "published.xlsx"
    export_report(db, "LDN26", cluster_book, BOOKS[name], target="spark_thrift")
    export_report(db, "LDN26", published_book, BOOKS[name])  # the catalog the cluster published
    assert cells(cluster_book) == cells(books[name])
    assert cells(published_book) == cells(books[name])


def test_dbt_show_fetches_through_pyhive(built):
    db, *_ = built
    show = ["show", "--inline-direct", "select 1 as answer", "--limit", "1"]
    assert invoke_dbt(db, show, target="spark_thrift").success  # fetchmany (dbt-spark#885)


def test_instants_are_utc_on_the_driver_and_every_executor(cluster):
    with cluster.connect() as con, con.cursor() as cursor:
        cursor.execute(
            "select distinct java_method('java.lang.System', 'getProperty', 'user.timezone'),"
            " current_timezone() from range(0, 8, 1, 8)"
        )
        assert cursor.fetchall() == [("UTC", "UTC")]


def test_no_server_is_one_line(tmp_path):
    load = [*CLI, "--db", str(tmp_path / "nothing.duckdb")]
    generate_delivery(tmp_path / "delivery", scale=1, seed=3)
    assert subprocess.run([*load, "load", str(tmp_path / "delivery")]).returncode == 0
    env = {**os.environ, "SMARTSESSIONS_THRIFT_PORT": "1"}  # nobody listens there
    done = subprocess.run([*load, "build"], capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "no Spark Thrift Server answers at" in done.stderr


def test_a_build_with_nothing_loaded_publishes_empty_marts(built, tmp_path):
    """Last in the module: it replaces the cluster's tables with empty ones."""
    _, _, duckdb_published = built
    db = tmp_path / "empty.duckdb"
    with duckdb.connect(str(db)) as con:
        create_raw_schema(con)
        Landing(Workspace(db).landing).prepare(con)
    # the cluster's schemas hold the other database's build: not mixed in incrementally
    with pytest.raises(SmartSessionsError, match="holds the build of another database"):
        run_build(db, unit_tests=False, target="spark_thrift")
    built_empty = run_build(db, unit_tests=False, full_refresh=True, target="spark_thrift")
    assert built_empty.published is not None
    with duckdb.connect() as con:
        con.execute(f"attach {literal(str(Workspace(db).published))} as published (read_only)")
        con.execute(f"attach {literal(str(duckdb_published))} as duck_published (read_only)")
        counted = {mart: _count(con, f"published.marts.{mart}") for mart in MARTS}
        assert counted == dict.fromkeys(MARTS, 0)
        assert column_types(con, "published") == column_types(con, "duck_published")


def column_types(con, catalog: str) -> dict:
    """(schema, relation) -> its columns and their types, of schemas marts and intermediate
    (build_failures aside: a Spark build keeps no failing rows)."""
    found = {}
    for schema, name, column, kind in con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name in ('marts', 'intermediate')"
        " and table_name != 'build_failures' order by column_index",
        [catalog],
    ).fetchall():
        found.setdefault((schema, name), {})[column] = kind
    return found


def _count(con, relation: str) -> int:
    return con.execute(f"select count(*) from {relation}").fetchone()[0]


def _locations() -> dict:
    return {key: table.location for key, table in cluster_tables().items()}
