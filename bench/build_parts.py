"""Where a build's fixed cost goes (`make bench`): `build_parts.py DB ENGINE` builds the
database from scratch twice in one process, as `smartsessions build` does, and prints as JSON:

- start: importing dbt and the package;
- engine_start: the first build less the second (on Spark: the JVM, the session and its
  metastore, and the JVM's warm-up; the second build finds them running);
- from the second build, by dbt's own timings (run_results.json): parse (dbt's seconds
  before its run: parsing, the graph), in_nodes (the time some node ran: DuckDB runs two at
  once), rest (the run outside any node: the schema cache, dbt's work between nodes) and each
  kind of node, hooks included: count, seconds (summed over threads), median.
"""

import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

started = time.perf_counter()
from smartsessions.pipeline.dbt_runner import invoke_dbt  # noqa: E402
from smartsessions.workspace import Workspace  # noqa: E402

START = time.perf_counter() - started
KINDS = {
    "operation": "hooks",
    "seed": "seeds",
    "model": "models",
    "test": "data tests",
    "unit_test": "unit tests",
}


def build(db: Path, engine: str) -> tuple[float, dict]:
    """Seconds of one `dbt build --full-refresh`, and its run_results."""
    began = time.perf_counter()
    result = invoke_dbt(db, ["build", "--full-refresh"], target=engine)
    seconds = time.perf_counter() - began
    if not result.success:
        raise SystemExit(f"dbt build failed on {engine}: {result.exception}")
    return seconds, json.loads(
        (Workspace(db).dbt_target(engine) / "target" / "run_results.json").read_text()
    )


def busy_seconds(results: list[dict]) -> float:
    """Seconds during which at least one node ran: the union of the nodes' intervals."""
    spans = sorted(
        (
            min(datetime.fromisoformat(t["started_at"]) for t in result["timing"]),
            max(datetime.fromisoformat(t["completed_at"]) for t in result["timing"]),
        )
        for result in results
        if result["timing"]
    )
    busy, end = 0.0, None
    for start, finish in spans:
        if end is not None and start < end:
            start = end
        if finish > start:
            busy += (finish - start).total_seconds()
        end = max(end, finish) if end is not None else finish
    return busy


def main() -> None:
    db, engine = Path(sys.argv[1]), sys.argv[2]
    first, _ = build(db, engine)
    second, results = build(db, engine)
    nodes: dict[str, list[float]] = {kind: [] for kind in KINDS.values()}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        if kind in KINDS:
            nodes[KINDS[kind]].append(result["execution_time"])
    in_nodes = busy_seconds(results["results"])
    parts = {
        "first_build": first,
        "start": START,
        "engine_start": first - second,
        "parse": second - results["elapsed_time"],
        "rest": results["elapsed_time"] - in_nodes,
        "in_nodes": in_nodes,
        "nodes": {
            kind: {"count": len(times), "seconds": sum(times), "median": statistics.median(times)}
            for kind, times in nodes.items()
            if times
        },
    }
    print(json.dumps(parts))


if __name__ == "__main__":
    main()
