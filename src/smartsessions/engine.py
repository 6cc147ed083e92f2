"""The engines the dbt project runs on. DuckDB is the core: what this class does. Spark is a wing
that overrides where it differs: local mode (`smartsessions.spark.engine`), and a cluster through
its Thrift Server (`smartsessions.spark.cluster_engine`); `engine_for` is the one place
that chooses, so the CLI, the load, the build, the export and the dbt runner never ask which
engine they run on.
"""

from contextlib import contextmanager
from pathlib import Path

from smartsessions.database import connect
from smartsessions.landing.raw_schema import create_raw_schema
from smartsessions.pipeline.publish import publish_failed_build, require_published
from smartsessions.report.window import Window


class Engine:
    target = "duckdb"  # the dbt target in profiles.yml
    mirrors_landing = False  # the load writes a parquet copy of every landed file (Spark's sources)
    writes_data_files = True  # the export writes csv / parquet files too

    def prepare_dbt(self, db_path: Path) -> None:
        """Before dbt runs on `db_path` (profiles.yml reads the database from the environment)."""

    def check_buildable(self, db_path: Path, full_refresh: bool = False) -> None:
        """Fails early, in one line, when another process holds the database; creates the raw
        schema so that a database with nothing loaded yet builds empty marts."""
        with connect(db_path) as con:
            create_raw_schema(con)

    def record_failure(self, db_path: Path) -> None:
        """After a build that stopped before its end: readers stay on the last published marts
        and learn of the failure (the end of a dbt run does this itself: publication.sql)."""
        with connect(db_path) as con:
            publish_failed_build(con, db_path)

    def outcome(self, db_path: Path, result):
        """What the end of the dbt run `result` did for readers: a PublishSummary, the
        SmartSessionsError that stopped publishing, or None (on DuckDB the run's end
        publishes it: macros/report/publication.sql)."""
        from smartsessions.pipeline.dbt_plugin import take_outcome  # dbt: only after a run

        return take_outcome(db_path)

    @contextmanager
    def report_catalog(self, db_path: Path, event_code: str, window: Window, out: Path):
        """The DuckDB catalog an export of `event_code` for `window` to `out` reads."""
        yield require_published(db_path)


def engine_for(target: str) -> Engine:
    if target == "spark":
        from smartsessions.spark.engine import SparkEngine  # Spark's modules load only for Spark

        return SparkEngine()
    if target == "spark_thrift":
        from smartsessions.spark.cluster_engine import ClusterEngine

        return ClusterEngine()
    return Engine()
