"""Loads batches one after the other into databases, bringing the models up to date after each
batch (incrementally, without tests: the refresh tests compare the marts). test_refresh.py runs
it as its own processes, two at a time, so that dbt is imported and parses once per process.

Usage: incremental_worker.py JOBS.json, a list of {"db": PATH, "batches": [FOLDER, ...],
"full_refresh": false}; with full_refresh, every batch is loaded, then built once from scratch.
"""

import json
import sys
from pathlib import Path

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.dbt_runner import invoke_dbt

MODELS_ONLY = ["build", "--exclude-resource-type", "test", "unit_test"]


def build(db: Path, *extra: str) -> None:
    result = invoke_dbt(db, [*MODELS_ONLY, *extra])
    if not result.success:
        sys.exit(f"dbt failed on {db}: {result.exception or 'a node failed'}")


def run(job: dict) -> None:
    db = Path(job["db"])
    for batch in job["batches"]:
        load_delivery(db, Path(batch))
        if not job["full_refresh"]:
            build(db)
    if job["full_refresh"]:
        build(db, "--full-refresh")


if __name__ == "__main__":
    for job in json.loads(Path(sys.argv[1]).read_text()):
        run(job)
