"""Loads batches one after the other into databases, bringing the models up to date after each
batch (incrementally, without tests: the refresh tests compare the marts). test_refresh.py runs
it as its own processes, two at a time, so that dbt is imported once per process; and each
process builds every job's database at one path of its own (moved to the job's path when done),
so that dbt parses the project once per process too (it keeps its parse per database path).

Usage: incremental_worker.py JOBS.json, a list of {"db": PATH, "batches": [FOLDER, ...],
"full_refresh": false}; with full_refresh, every batch is loaded, then built once from scratch.
"""

import json
import shutil
import sys
from pathlib import Path

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.workspace import Workspace

MODELS_ONLY = ["build", "--exclude-resource-type", "test", "unit_test"]


def build(db: Path, *extra: str) -> None:
    result = invoke_dbt(db, [*MODELS_ONLY, *extra])
    if not result.success:
        sys.exit(f"dbt failed on {db}: {result.exception or 'a node failed'}")


def cleared(working: Path) -> Path:
    """The working database and every file beside it gone, but dbt's folder (its parse)."""
    for path in working.parent.glob(f"{working.stem}.*"):
        if path == Workspace(working).dbt:
            continue
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return working


def run(job: dict, working: Path) -> None:
    db = cleared(working)
    for batch in job["batches"]:
        load_delivery(db, Path(batch))
        if not job["full_refresh"]:
            build(db)
    if job["full_refresh"]:
        build(db, "--full-refresh")
    shutil.move(db, job["db"])  # its marts are tables: they read the same under any name


if __name__ == "__main__":
    jobs_file = Path(sys.argv[1])
    for job in json.loads(jobs_file.read_text()):
        run(job, jobs_file.with_name(f"{jobs_file.stem}.working.duckdb"))
