"""The cluster's wing (`--target spark_thrift`): the same dbt project built by a Spark cluster
through its Thrift Server (profiles.yml), from the parquet copy of every landed file, and
published to the catalog readers open, as a DuckDB build is (cluster_publish.py). The export
reads the cluster's tables where its metastore says they are (metastore.py)."""

import importlib.util
import os
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.spark.engine import SparkEngine
from smartsessions.spark.metastore import cluster_landing, cluster_tables
from smartsessions.workspace import Workspace


class ClusterEngine(SparkEngine):
    target = "spark_thrift"

    def prepare_dbt(self, db_path: Path) -> None:
        """What profiles.yml's spark_thrift target and its raw sources read."""
        if importlib.util.find_spec("pyhive") is None:
            raise SmartSessionsError(
                "the spark_thrift target needs the [spark-cluster] extra:"
                " pip install '.[spark-cluster]'"
            )
        os.environ["SMARTSESSIONS_LANDING"] = str(_landing(db_path))
        _add_fetchmany()

    def check_buildable(self, db_path: Path, full_refresh: bool = False) -> None:
        """As local mode; and the cluster answers (one line, before dbt's own error), and its
        schemas hold this database's build or none: they are the cluster's, not the database's,
        and an incremental build on another database's tables would mix the two."""
        super().check_buildable(db_path, full_refresh)
        built_from = cluster_landing()
        if built_from is not None and built_from != _landing(db_path) and not full_refresh:
            raise SmartSessionsError(
                f"the cluster holds the build of another database (landing folder {built_from}):"
                " build with --full-refresh to replace it"
            )

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


def _landing(db_path: Path) -> Path:
    """The landing folder as the cluster reads it: SMARTSESSIONS_CLUSTER_LANDING (shared
    storage, docs/spark.md), by default where the load wrote it."""
    return Path(os.environ.get("SMARTSESSIONS_CLUSTER_LANDING") or Workspace(db_path).landing)


def _add_fetchmany() -> None:
    """dbt-spark's PyHive wrapper has no `fetchmany`, which `dbt show --inline-direct` calls
    (dbt-labs/dbt-spark#885): PyHive's cursor has it."""
    from dbt.adapters.spark.connections import PyhiveConnectionWrapper

    if not hasattr(PyhiveConnectionWrapper, "fetchmany"):
        PyhiveConnectionWrapper.fetchmany = lambda self, size: self._cursor.fetchmany(size)
