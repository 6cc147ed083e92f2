"""`make bench`: how fast the pipeline is, against peers measured in the same run.

For each scale (BENCH_SCALES, default 1,10,100) it times every step as a separate process,
BENCH_RUNS times (default 3), and reports the median seconds, rows per second and peak memory
(the larger of the step's largest process's maximum resident set and the resident sum of its
process tree, sampled: Spark's JVM is a process the step never waits for), with the peers:

- load: `smartsessions load` of a parquet, csv.gz and jsonl.gz delivery, against DuckDB's own
  unvalidated bulk read of the same files (bench/bulk_read.py);
- build: `smartsessions build` on each engine of BENCH_ENGINES (default duckdb; duckdb,spark
  adds `--target spark` from the landing folder, spark_thrift `--target spark_thrift` on a
  standalone cluster started for the run on this machine: a master, two workers of one core,
  a Thrift Server; its start is timed once), split into the fixed cost (the same build with
  nothing loaded) and the data work (the rest), against bench/peer.sql (bench/peer.py: the nine
  tabs for every event app in one hand-written DuckDB script);
  each engine's whole build fitted as fixed seconds + seconds per record over the scales, and
  where its fixed cost goes (bench/build_parts.py);
- export: the busiest event (bench/busiest.py), all history and its busiest local day, each
  against its floor (bench/export_floor.py), and the workbook writer against
  pandas.DataFrame.to_excel (bench/pandas_export.py, XlsxWriter and openpyxl); then 20
  one-day exports, 4 at a time, for their latency;
- a tab near Excel's row limit: the export's peak memory with one tab of BIG_TAB_ROWS rows
  (continued on a second sheet, bench/inflate_tab.py) against the same tab at a tenth of that
  (one run each);
- refresh: the newest 1% of the records on top of the rest (bench/split_latest.py), and a refresh
  with nothing new (its fixed cost), step by step, against the build's data work;
- the portal (bench/portal.py), last: page latency with 20 clients asking 50 pages each, and
  request to email of 20 one-day reports at once with 4 workers, against fixed targets, and of
  5 asked for one after another; the burst's floor: the same 20 reports exported one after
  another in one process (bench/burst_floor.py), their seconds over the cores;
- the workbook writers (bench/writers.py, what each lacks in bench/writer_features.py): the
  busiest tab of all history and of the busiest day written by each, against XlsxWriter as the
  exporter uses it, and a tab of Excel's whole sheet (BIG_TAB made 1,048,575 rows long, at
  scale 1, one run each).

BENCH_STEPS=build runs the builds alone (a delivery loaded once per scale, untimed);
BENCH_STEPS=refresh the refreshes and the nine-tab peer alone, with the refresh targets. It
prints one table and writes the figures to bench/results/<date>-<machine>.json (a run with other
engines or steps adds them to the name, so it never replaces the full run's file).
"""

import argparse
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from exports import BIG_TAB_ROWS, BIG_TAB_SCALE, bench_big_tab, bench_writers_long_tab
from load_build import build_parts
from measure import BENCH
from report import (
    print_checks,
    print_engines,
    print_refresh,
    print_steps,
    print_summary,
    print_writers,
    write_figures,
)
from scale import BUILT, bench_scale
from targets import build_fits, refresh_targets, scaling, target_scale, targets, writer_checks

ENGINES = ("duckdb", "spark", "spark_thrift")  # what `smartsessions --target` builds on
STEPS = ("all", "build", "refresh")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "1,10,100"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    parser.add_argument("--engines", default=os.environ.get("BENCH_ENGINES", "duckdb"))
    parser.add_argument("--steps", default=os.environ.get("BENCH_STEPS", "all"), choices=STEPS)
    parser.add_argument("--big-tab-rows", type=int, default=BIG_TAB_ROWS)
    parser.add_argument("--cache", type=Path, default=BENCH / "cache")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    engines = args.engines.split(",")
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engine {', '.join(sorted(unknown))} (known: {', '.join(ENGINES)})")
    work = args.cache / "work"
    with cluster_for(engines, work) as cluster_start:
        run_all(args, scales, engines, work, cluster_start)


@contextmanager
def cluster_for(engines: list, work: Path):
    """A Spark cluster for the run when spark_thrift is benched (its builds find it running),
    stopped after; the seconds it took to start, or None."""
    if "spark_thrift" not in engines:
        yield None
        return
    from smartsessions.spark.cluster import SparkCluster  # the [spark-cluster] extra

    shutil.rmtree(work / "cluster", ignore_errors=True)
    cluster = SparkCluster(work / "cluster")
    started = cluster.start()
    os.environ["SMARTSESSIONS_THRIFT_PORT"] = str(cluster.thrift_port)  # its builds' profile
    print(f"Spark cluster started in {started:.1f} s")
    try:
        yield started
    finally:
        cluster.stop()


def run_all(args, scales: list[int], engines: list, work: Path, cluster_start) -> None:
    results, big_tab_base = {}, None
    for scale in scales:
        results[str(scale)] = bench_scale(scale, args.runs, args.cache, work, engines, args.steps)
        if scale == BIG_TAB_SCALE and args.steps == "all":  # the big tab starts from its build
            big_tab_base = work / "big-tab-base.duckdb"
            shutil.copy(work / BUILT, big_tab_base)
    parts = build_parts(work / "empty.duckdb", engines) if args.steps != "refresh" else {}
    big_tab = long_tab = None
    if args.steps == "all":
        big_tab = bench_big_tab(args.cache, work, args.big_tab_rows, big_tab_base)
        base = work / "big-tab-base.duckdb"  # left by the big tab
        long_tab = bench_writers_long_tab(work, base, args.big_tab_rows)
    shutil.rmtree(work, ignore_errors=True)
    exponents = scaling(results)
    fits = build_fits(results, engines) if args.steps != "refresh" else {}
    print_steps(results, exponents)
    if args.steps != "refresh":
        print_engines(results, fits, parts)
    checks = []
    if args.steps == "refresh":
        checks = refresh_targets(results)
        print_refresh(results)
        print_checks(results, checks)
    if big_tab is not None:
        print_writers(results, long_tab)
        checks = targets(results[target_scale(results)]["steps"], big_tab, results)
        checks += writer_checks(results)
        print_summary(results, big_tab, checks)
    figures = {
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "engines": engines,
        "steps": args.steps,
        "scales": results,
        "scaling_exponents": exponents,
        "build_fits": fits,
        "build_parts": parts,
        "cluster_start_s": cluster_start,
        "big_tab": big_tab,
        "writers_long_tab": long_tab,
        "targets": {label: passed for label, passed in checks},
    }
    write_figures(args.results, figures)


if __name__ == "__main__":
    main()
