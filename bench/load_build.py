"""The load and build steps, their peers (DuckDB's bulk read, bench/peer.sql) and where a
build's fixed cost goes."""

import json
import re
import statistics
from pathlib import Path

import duckdb

from smartsessions.landing.parquet_mirror import Landing
from smartsessions.landing.raw_schema import create_raw_schema
from smartsessions.workspace import Workspace

from deliveries import FORMATS, delivery, fresh, records_in
from measure import measure, program, run, smartsessions

PEER = "peer (nine tabs, every event)"  # the build's, and the refresh's


def bench_load(scale: int, runs: int, cache: Path, work: Path) -> dict:
    """Each format's load against DuckDB's bulk read of the same files."""
    figures = {}
    for fmt in FORMATS:
        folder = delivery(cache, scale, fmt)
        db = work / f"load-{fmt.replace('.', '-')}.duckdb"
        loads = []
        for _ in range(runs):
            fresh(db)
            loads.append(run(smartsessions(db, "load", folder)))
        bulk_db = work / "bulk.duckdb"
        bulk = [run(program("bulk_read", bulk_db, folder, fmt)) for _ in range(runs)]
        bulk_db.unlink(missing_ok=True)
        seconds = statistics.median(r[0] for r in loads)
        bulk_seconds = statistics.median(r[0] for r in bulk)
        figures[f"load {fmt}"] = {
            "seconds": seconds,
            "rows_per_s": records_loaded(loads[-1][2]) / seconds,
            "peak_mb": max(r[1] for r in loads),
            "peer": "duckdb bulk read",
            "peer_seconds": bulk_seconds,
            "ratio": seconds / bulk_seconds,
        }
    return figures


def records_loaded(stdout: str) -> int:
    return int(re.search(r"([\d,]+) records loaded", stdout).group(1).replace(",", ""))


def bench_build(db: Path, folder: Path, runs: int, work: Path, engines: list) -> dict:
    """On each engine, the build from scratch (--full-refresh) of the delivery `folder` loaded
    in `db`, whole and split into the fixed cost (a database with nothing loaded) and the rest;
    and each model's seconds in the last one. DuckDB's steps are unprefixed."""
    records = records_in(db)
    empty = empty_database(work)
    figures = {}
    for engine in engines:
        if engine != "duckdb":  # the same delivery, already loaded: only its landing folder
            run(smartsessions(db, "--target", engine, "load", folder))
        target = ["--target", engine]
        fixed = measure(smartsessions(empty, *target, "build", "--full-refresh"), runs)
        full = measure(smartsessions(db, *target, "build", "--full-refresh"), runs)
        data_work = full["seconds"] - fixed["seconds"]
        prefix = "" if engine == "duckdb" else f"{engine} "
        figures[f"{prefix}build"] = {
            "seconds": full["seconds"],
            "rows_per_s": records / full["seconds"],
            "peak_mb": full["peak_mb"],
        }
        figures[f"{prefix}build fixed cost"] = {
            "seconds": fixed["seconds"],
            "peak_mb": fixed["peak_mb"],
        }
        figures[f"{prefix}build data work"] = {
            "seconds": data_work,
            **({"rows_per_s": records / data_work} if data_work > 0 else {}),
            "peak_mb": full["peak_mb"],
            "models": model_seconds(db, engine),
        }
    return figures


def empty_database(work: Path) -> Path:
    """A database with nothing loaded (only a load creates one: make it), with the empty
    landing folder Spark reads."""
    empty = work / "empty.duckdb"
    fresh(empty)
    with duckdb.connect(str(empty)) as con:
        create_raw_schema(con)
        Landing(Workspace(empty).landing).prepare(con)
    return empty


def model_seconds(db: Path, engine: str = "duckdb") -> dict[str, float]:
    """Each model's seconds in the last dbt run on the database, slowest first."""
    target = Workspace(db).dbt_target(engine) / "target"
    results = json.loads((target / "run_results.json").read_text())
    models = [
        (result["unique_id"].split(".")[-1], result["execution_time"])
        for result in results["results"]
        if result["unique_id"].startswith("model.")
    ]
    return dict(sorted(models, key=lambda model: -model[1]))


def bench_peer(db: Path, runs: int) -> dict:
    """bench/peer.sql: the nine tabs for every event app, the work a build does."""
    result = measure(program("peer", db), runs)
    return {
        PEER: {
            "seconds": result["seconds"],
            "rows_per_s": int(result["stdout"]) / result["seconds"],
            "peak_mb": result["peak_mb"],
        }
    }


def build_parts(db: Path, engines: list) -> dict:
    """Where each engine's fixed cost goes: bench/build_parts.py on the database with nothing
    loaded (one run each)."""
    return {engine: json.loads(run(program("build_parts", db, engine))[2]) for engine in engines}
