"""Every step at one scale, in order, and the figures that compare one step with another."""

import json
from pathlib import Path

from deliveries import FORMATS, delivery, fresh, records_in
from exports import bench_export, bench_pandas, bench_writers, burst_floor, export_latency
from load_build import PEER, bench_build, bench_load, bench_peer
from measure import program, run, smartsessions
from refresh import REFRESHED, bench_refresh

BUILT = "load-jsonl-gz.duckdb"  # the last delivery loaded: the scale's build is on it


def bench_scale(scale: int, runs: int, cache: Path, work: Path, engines: list, steps: str) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    folder = delivery(cache, scale, FORMATS[-1])
    if steps == "build":
        db = work / "build.duckdb"
        fresh(db)
        run(smartsessions(db, "load", folder))
        return {"records": records_in(db), "steps": bench_build(db, folder, runs, work, engines)}
    if steps == "refresh":
        figures = bench_refresh(scale, runs, cache, work)
        db = work / REFRESHED  # the whole delivery, refreshed: the peer reads its raw tables
        figures |= bench_peer(db, runs)
        return {"records": records_in(db), "steps": refresh_against_peer(figures)}
    figures = bench_load(scale, runs, cache, work)
    db = work / BUILT
    figures |= bench_build(db, folder, runs, work, engines)
    event, day = run(program("busiest", db))[2].split()
    figures |= bench_peer(db, runs)
    figures["build data work"] |= {
        "peer": "peer",
        "peer_seconds": figures[PEER]["seconds"],
        "ratio": figures["build data work"]["seconds"] / figures[PEER]["seconds"],
    }
    figures |= bench_export(db, event, day, runs, work)
    figures |= bench_pandas(db, event, runs, work, figures["export all history"]["rows"])
    figures["export one day"]["vs_all_history"] = (
        figures["export one day"]["seconds"] / figures["export all history"]["seconds"]
    )
    figures |= bench_refresh(scale, runs, cache, work)
    new = refresh_against_peer(figures)["refresh 1% new"]
    new["vs_build_data_work"] = new["data_work"] / figures["build data work"]["seconds"]
    return {
        "records": records_in(db),
        "event": event,
        "day": day,
        "steps": figures,
        "latency": export_latency(db, work),
        "portal": portal(db),
        "writers": bench_writers(db, event, day, runs, work),
        "burst_floor": burst_floor(db, work),
    }


def refresh_against_peer(figures: dict) -> dict:
    """The refresh of 1% new against the nine-tab peer, and its work beyond a refresh with
    nothing new (which runs no dbt)."""
    new, idle, peer = figures["refresh 1% new"], figures["refresh, nothing new"], figures[PEER]
    new["data_work"] = new["seconds"] - idle["seconds"]
    new |= {
        "peer": "peer",
        "peer_seconds": peer["seconds"],
        "ratio": new["seconds"] / peer["seconds"],
    }
    return figures


def portal(db: Path) -> dict:
    """bench/portal.py on the scale's database: pages and report requests under a bounded load
    (20 clients x 50 pages, then 20 one-day reports, 4 workers)."""
    return json.loads(run(program("portal", db, "--json"))[2])
