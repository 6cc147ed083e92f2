"""The cluster's wing (`--target spark_thrift`): the same dbt project built by a Spark cluster
through its Thrift Server (profiles.yml), from the parquet copy of every landed file, and
published to the catalog readers open, as a DuckDB build is (cluster_publish.py). The export
reads the cluster's tables where its metastore says they are (metastore.py)."""

import importlib.util
import os
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.spark.engine import SparkEngine
from smartsessions.spark.metastore import cluster_tables, connect
from smartsessions.workspace import Workspace


class ClusterEngine(SparkEngine):
    target = "spark_thrift"

    def prepare_dbt(self, db_path: Path) -> None:
        """What profiles.yml's spark_thrift target and its raw sources read. The cluster reads
        the landing folder at the path SMARTSESSIONS_CLUSTER_LANDING gives (shared storage,
        docs/spark.md), by default where the load wrote it."""
        if importlib.util.find_spec("pyhive") is None:
            raise SmartSessionsError(
                "the spark_thrift target needs the [spark-cluster] extra:"
                " pip install '.[spark-cluster]'"
            )
        landing = os.environ.get("SMARTSESSIONS_CLUSTER_LANDING") or Workspace(db_path).landing
        os.environ["SMARTSESSIONS_LANDING"] = str(landing)
        _add_fetchmany()

    def check_buildable(self, db_path: Path) -> None:
        super().check_buildable(db_path)
        connect().close()  # one line when no server answers, before dbt's own error

    def record_failure(self, db_path: Path) -> None:
        from smartsessions.spark.cluster_publish import publish_failed_cluster_build

        publish_failed_cluster_build(db_path)

    def outcome(self, db_path: Path, result):
        """dbt-spark has no end-of-run plugin: a passing build is published from here, and a
        failing one recorded for readers (run_build records a run stopped by an error)."""
        from smartsessions.spark.cluster_publish import publish_cluster_build

        try:
            if result.success:
                return publish_cluster_build(db_path)
            if result.exception is None:
                self.record_failure(db_path)
        except SmartSessionsError as error:
            return error
        return None

    def tables(self, db_path: Path) -> dict[tuple[str, str], Path]:
        return {key: table.location for key, table in cluster_tables().items()}


def _add_fetchmany() -> None:
    """dbt-spark's PyHive wrapper has no `fetchmany`, which `dbt show --inline-direct` calls
    (dbt-labs/dbt-spark#885): PyHive's cursor has it."""
    from dbt.adapters.spark.connections import PyhiveConnectionWrapper

    if not hasattr(PyhiveConnectionWrapper, "fetchmany"):
        PyhiveConnectionWrapper.fetchmany = lambda self, size: self._cursor.fetchmany(size)
