"""Where things are: the dbt project (this repository) and the database file."""

import os
from pathlib import Path

# The package is installed editable from the repository, whose root holds the dbt project.
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DB = "smartsessions.duckdb"


def database_path(db: Path | None) -> Path:
    """The DuckDB file: --db, else $SMARTSESSIONS_DB, else ./smartsessions.duckdb."""
    chosen = db or Path(os.environ.get("SMARTSESSIONS_DB") or DEFAULT_DB)
    return chosen.expanduser().resolve()
