"""The refresh step: the newest 1% of the records on top of the rest, and nothing new."""

import re
import shutil
import statistics
from pathlib import Path

from deliveries import SEED, delivery
from measure import program, run, smartsessions

LABELS = ("refresh 1% new", "refresh, nothing new")  # in the order they run
REFRESHED = Path("refresh-run") / "history.duckdb"  # in the work folder: all of it, refreshed


def bench_refresh(scale: int, runs: int, cache: Path, work: Path) -> dict:
    """A refresh that adds the newest 1% of the records on top of the rest, already loaded,
    built and published (bench/split_latest.py), and a refresh with nothing new: seconds, and
    the load, build and publish steps as the refresh reports them."""
    split = cache / f"scale-{scale}-seed-{SEED}-parquet-latest-1pct"
    history, latest = split / "history", split / "latest"
    if not latest.exists():
        run(program("split_latest", delivery(cache, scale, "parquet"), history, latest))
    # Built where the timed refreshes run: dbt parses again when the database's path changes.
    db, saved = work / REFRESHED, work / "refresh-saved"
    state = db.parent
    for folder in (state, saved):
        shutil.rmtree(folder, ignore_errors=True)
    state.mkdir()
    run(smartsessions(db, "load", history))
    run(smartsessions(db, "build"))
    shutil.copytree(state, saved)
    # Each run: the 1% refresh on the saved state, then the same folder again (nothing new
    # left in it), each timed: the state the second one starts from is the first one's end.
    timings: dict[str, list] = {label: [] for label in LABELS}
    for _ in range(runs):
        shutil.rmtree(state)
        shutil.copytree(saved, state)
        for label in LABELS:
            seconds, peak_mb, stdout = run(smartsessions(db, "refresh", latest))
            timings[label].append((seconds, peak_mb, refresh_steps(stdout)))
    figures = {}
    for label, timed in timings.items():
        figures[label] = {
            "seconds": statistics.median(t[0] for t in timed),
            "peak_mb": max(t[1] for t in timed),
            **{
                step: statistics.median(t[2][step] for t in timed)
                for step in ("load", "build", "publish")
            },
        }
    return figures


def refresh_steps(stdout: str) -> dict[str, float]:
    """The seconds of each step, as the refresh's summary line gives them; with nothing new
    since a build that passed, the whole refresh is its load (no dbt run, nothing published)."""
    found = re.search(r"load ([\d.]+), build ([\d.]+), publish ([\d.]+)", stdout)
    if found is None:
        seconds = float(re.search(r"nothing published.*; ([\d.]+) s", stdout).group(1))
        return {"load": seconds, "build": 0.0, "publish": 0.0}
    return dict(zip(("load", "build", "publish"), map(float, found.groups()), strict=True))
