"""Spark's wing (`--target spark`): the same dbt project built by Spark from the parquet copy
of every landed file (NAME.landing/), its tables read by the export through a DuckDB catalog
made for each export (spark_catalog.py). Nothing is published: readers of the published
catalog see DuckDB's builds only."""

import importlib.util
import os
from contextlib import contextmanager
from pathlib import Path

from smartsessions.engine import Engine
from smartsessions.errors import SmartSessionsError
from smartsessions.report.window import Window
from smartsessions.spark.spark_catalog import build_window, local_tables, write_catalog
from smartsessions.work_files import remove, work_path
from smartsessions.workspace import Workspace

# The Spark session (and its JVM) stays up between the dbt runs of one process: its metastore,
# warehouse and temporary folders are fixed when it starts, so it serves one database only.
_spark_session_for: list[Path] = []


class SparkEngine(Engine):
    target = "spark"
    mirrors_landing = True
    writes_data_files = False

    def prepare_dbt(self, db_path: Path) -> None:
        """What profiles.yml's spark target and its raw sources read: the database's folders."""
        if importlib.util.find_spec("dbt.adapters.spark") is None:
            raise SmartSessionsError(
                "the spark target needs the [spark] extra: pip install '.[spark]'"
            )
        if _spark_session_for and _spark_session_for[0] != db_path:
            raise SmartSessionsError(
                f"this process runs Spark for {_spark_session_for[0]} already: build {db_path}"
                " in another process"
            )
        _spark_session_for[:] = [db_path]
        os.environ["SMARTSESSIONS_SPARK_DIR"] = str(Workspace(db_path).spark)
        os.environ["SMARTSESSIONS_LANDING"] = str(Workspace(db_path).landing)
        # a local session needs no network name: it is reached on loopback
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    def check_buildable(self, db_path: Path, full_refresh: bool = False) -> None:
        if not Workspace(db_path).landing.is_dir():
            raise SmartSessionsError(
                f"no landing folder at {Workspace(db_path).landing}: load a delivery with"
                " `smartsessions --target spark load` first"
            )

    def record_failure(self, db_path: Path) -> None:
        pass  # nothing published to tell

    def outcome(self, db_path: Path, result) -> None:
        return None  # nothing published

    def tables(self, db_path: Path) -> dict[tuple[str, str], Path]:
        """(schema, table) -> the folder of its files, for what the Spark build left."""
        return local_tables(db_path)

    @contextmanager
    def report_catalog(self, db_path: Path, event_code: str, window: Window, out: Path):
        """A catalog over Spark's tables, made for this export beside `out`, removed after."""
        if not window.is_open:
            build_window(db_path, window, self.target)
        catalog = work_path(out, "catalog")
        try:
            write_catalog(catalog, self.tables(db_path), Workspace(db_path).landing)
            yield catalog
        finally:
            remove(catalog)
            remove(catalog.with_name(catalog.name + ".wal"))
