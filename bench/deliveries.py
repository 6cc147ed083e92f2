"""The generated deliveries the steps load (cached across runs), and the databases they make."""

import shutil
from pathlib import Path

import duckdb

from smartsessions.workspace import Workspace

from measure import SMARTSESSIONS, run

FORMATS = ("parquet", "csv.gz", "jsonl.gz")
SEED = 1


def delivery(cache: Path, scale: int, fmt: str) -> Path:
    """A generated delivery, cached by scale, seed and format."""
    folder = cache / f"scale-{scale}-seed-{SEED}-{fmt}"
    if not (folder / ".smartsessions-delivery").exists():
        scale_and_seed = ["--scale", str(scale), "--seed", str(SEED)]
        run([SMARTSESSIONS, "generate", str(folder), *scale_and_seed, "--format", fmt])
    return folder


def fresh(db: Path) -> None:
    """No database at `db`, nor its landing and Spark folders (a load writes the landing
    folder whenever one exists)."""
    db.unlink(missing_ok=True)
    for folder in (Workspace(db).landing, Workspace(db).spark):
        shutil.rmtree(folder, ignore_errors=True)


def records_in(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select sum(records_loaded) from raw.loaded_files").fetchone()[0]
