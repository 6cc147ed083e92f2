"""Where things are: the dbt project (inside the package) and the database file."""

import os
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


def dbt_work_dir(db_path: Path) -> Path:
    """dbt's target/ and logs/ for a database: a folder beside it (`NAME.dbt/` for NAME.duckdb),
    so that nothing is ever written where the package is installed."""
    return db_path.with_name(f"{db_path.stem}.dbt")


def dbt_target_dir(db_path: Path, target: str = "duckdb") -> Path:
    """dbt's folder for the database and target: Spark's runs keep their own manifest."""
    work = dbt_work_dir(db_path)
    return work / "spark" if target == "spark" else work


def spark_dir(db_path: Path) -> Path:
    """Spark's metastore (Derby), warehouse and temporary files for a database (the `spark`
    target): a folder beside it (`NAME.spark/`), never the current folder."""
    return db_path.with_name(f"{db_path.stem}.spark")
