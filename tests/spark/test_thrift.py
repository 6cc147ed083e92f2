"""The dbt project on a Spark standalone cluster through its Thrift Server (issue 26, a spike;
the [spark-cluster] extra): a master, two workers and the server started for the module
(smartsessions.spark.cluster), the generated scale-1 delivery built on it up to one mart with
its unit tests, and that mart equal row for row to DuckDB's. Nothing of the cluster outlives
the module."""

import os
import subprocess

import pytest
from test_engines import compare_mart  # tests/spark is on sys.path (no __init__.py)

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.spark.cluster import spark_cluster
from smartsessions.synthetic.generate import generate_delivery
from smartsessions.workspace import Workspace

# `make test-spark` installs the extra, so CI never skips this
if os.environ.get("CI") != "true":
    pytest.importorskip("pyhive", reason="the spark_thrift target needs the [spark-cluster] extra")


@pytest.fixture(scope="module")
def on_cluster(tmp_path_factory):
    """The delivery landed, built on DuckDB, and built on the cluster up to room_schedules."""
    folder = tmp_path_factory.mktemp("thrift")
    generate_delivery(folder / "delivery", scale=1, seed=7)
    db = folder / "both.duckdb"
    load_delivery(db, folder / "delivery", landing=True)
    run_build(db)
    # the cluster's warehouse is where the Spark build's readers look: NAME.spark/warehouse
    with spark_cluster(Workspace(db).spark) as cluster:
        os.environ["SMARTSESSIONS_THRIFT_PORT"] = str(cluster.thrift_port)
        try:
            yield db, cluster
        finally:
            del os.environ["SMARTSESSIONS_THRIFT_PORT"]
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(Workspace(db).spark) not in running  # no JVM left behind


def test_a_mart_and_its_unit_tests_build_on_the_cluster(on_cluster):
    db, _ = on_cluster
    # cautious: not the tests of its ancestors that also read models left out (relationships)
    build = ["build", "--select", "+room_schedules", "--indirect-selection", "cautious"]
    result = invoke_dbt(db, build, target="spark_thrift")
    assert result.success
    unit_tests = [r for r in result.result if r.node.resource_type == "unit_test"]
    assert unit_tests and all(r.status == "pass" for r in unit_tests)
    assert compare_mart(db, "marts", "room_schedules") > 0


def test_instants_are_utc_on_the_driver_and_every_executor(on_cluster):
    _, cluster = on_cluster
    with cluster.connect() as con, con.cursor() as cursor:
        cursor.execute(
            "select distinct java_method('java.lang.System', 'getProperty', 'user.timezone'),"
            " current_timezone() from range(0, 8, 1, 8)"
        )
        assert cursor.fetchall() == [("UTC", "UTC")]
