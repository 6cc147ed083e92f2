"""Where things are: the dbt project (inside the package), the database file, and every file
kept beside it. A database NAME.duckdb has, in its folder:

    NAME.duckdb.wal           DuckDB's log while it is open
    NAME.published.duckdb     the catalog readers open (`build`, `refresh` publish it)
    NAME.lake/                the published marts' parquet files the catalog names
    NAME.landing/             the raw tables' parquet mirror Spark reads (`load --target spark`)
    NAME.dbt/                 dbt's target/ and logs/ (NAME.dbt/spark/, NAME.dbt/spark_thrift/
                              for Spark's runs, local and on a cluster)
    NAME.spark/               Spark's metastore, warehouse and temporary files
    NAME.refresh.lock         held for a whole refresh, never removed
    NAME.last_checked         when a refresh last looked for new files (`status` shows it)
    NAME.delivered.json       a refresh's hashes of delivered files by path, size and time
    NAME.portal.sqlite3       the portal's accounts, sessions and requests (and NAME.portal.key)
    NAME.reports/             the workbooks the portal's requests wrote
    outbox/                   the portal's messages when there is no SMTP host

The portal's three may be moved by its settings (SMARTSESSIONS_APP_DB, _REPORTS, _OUTBOX).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from smartsessions.errors import SmartSessionsError

# The dbt project travels inside the package: in the repository these are links to its top-level
# dbt_project.yml, models/, macros/, ...; an installed package holds copies.
PROJECT_DIR = Path(__file__).resolve().parent / "dbt_project"
DEFAULT_DB = "smartsessions.duckdb"


def database_path(db: str | None) -> Path:
    """The DuckDB file: --db, else $SMARTSESSIONS_DB, else ./smartsessions.duckdb."""
    if db == "":  # as a path it would be the current folder
        raise SmartSessionsError("--db is empty: give the database file's path")
    chosen = Path(db or os.environ.get("SMARTSESSIONS_DB") or DEFAULT_DB).expanduser().resolve()
    if chosen.is_dir():  # else each command would name its files after the folder, beside it
        raise SmartSessionsError(f"database {chosen} is a folder, not a database file")
    return chosen


def key_file_of(app_db: Path) -> Path:
    """Where a generated signing key is kept: beside the portal's state (NAME.portal.key)."""
    return app_db.with_suffix(".key")


@dataclass(frozen=True)
class Workspace:
    """The database NAME.duckdb and every file beside it (see the module's text)."""

    db: Path

    def _beside(self, suffix: str) -> Path:
        return self.db.with_name(f"{self.db.stem}{suffix}")

    @property
    def wal(self) -> Path:
        return self.db.with_name(self.db.name + ".wal")

    @property
    def published(self) -> Path:
        """The catalog readers open: only a publish writes it."""
        return self._beside(".published.duckdb")

    @property
    def lake(self) -> Path:
        """The published marts' parquet files."""
        return self._beside(".lake")

    @property
    def landing(self) -> Path:
        """The raw tables' parquet mirror (Spark reads it as its raw sources)."""
        return self._beside(".landing")

    @property
    def dbt(self) -> Path:
        """dbt's target/ and logs/: beside the database, so that nothing is ever written where
        the package is installed."""
        return self._beside(".dbt")

    def dbt_target(self, target: str = "duckdb") -> Path:
        """dbt's folder for the database and target: Spark's runs (local and on a cluster)
        keep their own manifest."""
        return self.dbt if target == "duckdb" else self.dbt / target

    @property
    def spark(self) -> Path:
        """Spark's metastore (Derby), warehouse and temporary files (the `spark` target), never
        the current folder."""
        return self._beside(".spark")

    @property
    def refresh_lock(self) -> Path:
        return self._beside(".refresh.lock")

    @property
    def last_checked(self) -> Path:
        return self._beside(".last_checked")

    @property
    def delivered_hashes(self) -> Path:
        """The hashes of delivered files a refresh remembers (landing/hash_cache.py)."""
        return self._beside(".delivered.json")

    @property
    def portal_db(self) -> Path:
        """The portal's own state (accounts, sessions, requests)."""
        return self._beside(".portal.sqlite3")

    @property
    def portal_key(self) -> Path:
        return key_file_of(self.portal_db)

    @property
    def reports(self) -> Path:
        """The workbooks the portal's requests wrote."""
        return self._beside(".reports")

    @property
    def outbox(self) -> Path:
        """The portal's messages as .eml files when there is no SMTP host."""
        return self.db.parent / "outbox"
