"""The report: the tables printed, and the figures written as JSON."""

import json
import math
import platform
import re
from datetime import date
from pathlib import Path

from exports import BIG_TAB_SCALE
from targets import crossover, target_scale
from writer_features import LACKS


def print_steps(results: dict, exponents: dict) -> None:
    print(
        f"{'scale':>6}  {'step':<34} {'median s':>9} {'rows/s':>11} {'peak MB':>8} "
        f"{'ratio':>6}  {'exponent':>8}"
    )
    for scale, result in results.items():
        for step, f in result["steps"].items():
            rate = f"{f['rows_per_s']:,.0f}" if "rows_per_s" in f else ""
            ratio = f"{f['ratio']:.2f}" if "ratio" in f else ""
            exponent = f"{exponents[step]:.2f}" if step in exponents else ""
            print(
                f"{scale:>6}  {step:<34} {f['seconds']:>9.2f} {rate:>11} {f['peak_mb']:>8.0f} "
                f"{ratio:>6}  {exponent:>8}"
            )


def print_engines(results: dict, fits: dict, parts: dict) -> None:
    records = ", ".join(f"scale {s} {r['records']:,}" for s, r in results.items())
    print(f"\nrecords built: {records}")
    if fits:
        print(
            "build = fixed + per record (fixed: median with nothing loaded; per record: data work):"
        )
        for engine, fit in fits.items():
            print(f"  {engine:<7} {fit['fixed_s']:7.1f} s + {fit['us_per_record']:6.2f} µs/record")
    for spark in (engine for engine in fits if engine != "duckdb"):
        if fits["duckdb"]["us_per_record"] <= 0:
            break
        ratio = fits[spark]["us_per_record"] / fits["duckdb"]["us_per_record"]
        print(
            f"{spark} overtakes DuckDB with over {ratio:.1f} times its cores (per-record work"
            " divided by cores, fixed costs as here):"
        )
        for duckdb_cores in (2, 16, 64):
            more = [math.ceil(duckdb_cores * ratio * times) for times in (2, 4)]
            past = ", ".join(
                f"on {cores:,} cores past {records:,.0f} records"
                for cores in more
                if (records := crossover(fits, duckdb_cores, cores, spark)) is not None
            )
            print(f"  DuckDB on {duckdb_cores:>2} cores: {spark} {past}")
    print("\nwhere a build's fixed cost goes (nothing loaded, s; nodes: count, total, median):")
    for engine, found in parts.items():
        nodes = "; ".join(
            f"{kind} {n['count']} {n['seconds']:.1f} ({n['median']:.2f})"
            for kind, n in found["nodes"].items()
        )
        print(
            f"  {engine:<7} whole {found['first_build']:.1f} = process start {found['start']:.1f}"
            f" + engine start and warm-up {found['engine_start']:.1f}"
            f" + parse {found['parse']:.1f}"
            f" + schema cache and the rest {found['rest']:.1f} + nodes {found['in_nodes']:.1f}"
            f" ({nodes})"
        )


def print_summary(results: dict, big_tab: dict, checks: list) -> None:
    print(f"\nexport with a long {big_tab['tab']!r} tab (scale 1, one run each):")
    for rows, f in big_tab["by_rows"].items():
        sheets = "; ".join(f"{name!r} {count:,}" for name, count in f["sheets"].items())
        print(
            f"  {rows:>9,} rows {f['seconds']:>8.2f} s {f['rows_per_s']:>9,.0f} rows/s "
            f"{f['peak_mb']:>6.0f} MB  sheets: {sheets}"
        )
    scale = target_scale(results)
    for scale_name, result in results.items():
        latency = result["latency"]
        print(
            f"scale {scale_name}: {latency['exports']} one-day exports, {latency['parallel']} at a"
            f" time: p50 {latency['p50']:.2f} s, p95 {latency['p95']:.2f} s"
        )
    for scale_name, result in results.items():
        served = result["portal"]
        print(
            f"scale {scale_name}: portal pages ({served['clients']} clients x"
            f" {served['pages_per_client']}) p50 {served['page_p50_ms']:.0f} ms, p95"
            f" {served['page_p95_ms']:.0f} ms; request to email ({served['requests']} one-day"
            f" reports, {served['workers']} workers) p50 {served['request_to_email_p50_s']:.2f} s,"
            f" p95 {served['request_to_email_p95_s']:.2f} s (export and send p95"
            f" {served['export_and_send_p95_s']:.2f} s); one after another p50"
            f" {served['alone_p50_s']:.2f} s, max {served['alone_max_s']:.2f} s"
        )
    for scale_name, result in results.items():
        floor, served = result["burst_floor"], result["portal"]
        print(
            f"scale {scale_name}: the burst's floor: {floor['exports']} one-day exports one after"
            f" another {floor['export_s']:.2f} s / {floor['cores']} cores ="
            f" {floor['floor_s']:.2f} s, against its request-to-email p95"
            f" {served['request_to_email_p95_s']:.2f} s"
            f" ({served['request_to_email_p95_s'] / floor['floor_s']:.1f}x the floor)"
        )
    models = results[scale]["steps"]["build data work"]["models"]
    slowest = ", ".join(f"{name} {seconds:.2f}" for name, seconds in list(models.items())[:6])
    print(f"\nslowest models of the build at scale {scale} (s): {slowest}")
    print_refresh(results)
    print_checks(results, checks)


def print_refresh(results: dict) -> None:
    print("\nrefresh, step by step (median s) against the history already loaded:")
    for scale_name, result in results.items():
        for label in ("refresh 1% new", "refresh, nothing new"):
            f = result["steps"][label]
            print(
                f"  scale {scale_name:>4}  {label:<22} {f['seconds']:6.2f} s = load {f['load']:.1f}"
                f" + build {f['build']:.1f} + publish {f['publish']:.1f} + start-up"
            )
        new = result["steps"]["refresh 1% new"]
        print(f"  scale {scale_name:>4}  1% new against the nine-tab peer: {new['ratio']:.2f}x")


def print_checks(results: dict, checks: list) -> None:
    print(f"\ntargets at scale {target_scale(results)}:")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {label}")


def print_writers(results: dict, long_tab: dict) -> None:
    """The busiest tabs written by each writer: whole step and writing alone against XlsxWriter
    as the exporter uses it, and what each lacks of the workbook's needs."""
    print("\nthe workbook writers on the busiest tabs (median s, the whole step; x: XlsxWriter's")
    print("seconds over the writer's, for the whole step and for the writing alone):")
    for scale, result in results.items():
        for window, found in result["writers"].items():
            print_writers_on(f"scale {scale:>4}  {window}", found)
    print_writers_on(f"a long tab at scale {BIG_TAB_SCALE}, one run each", long_tab)
    print("what each writer lacks of the workbook's needs (bench/writer_features.py):")
    for writer, lacks in LACKS.items():
        gaps = "; ".join(f"{feature}: {how}" for feature, how in lacks.items())
        print(f"  {writer:<20} {gaps or 'nothing'}")


def print_writers_on(label: str, found: dict) -> None:
    print(f"  {label}: {found['tab']!r}, {found['rows']:,} rows")
    for writer, f in found["writers"].items():
        times = f"x{f['writing_speed_up']:.2f}" if f["writing_speed_up"] else "x-"
        print(
            f"    {writer:<20} {f['seconds']:7.2f} s {f['rows_per_s']:>11,.0f} rows/s"
            f" {f['peak_mb']:>6.0f} MB  x{f['speed_up']:.2f}, writing alone"
            f" {f['writing_s']:6.2f} s {times}"
        )


def write_figures(folder: Path, figures: dict) -> None:
    """The figures as JSON in `folder`, named for the day and machine (and for the steps and
    engines when not the full run's, so that a partial run never replaces its file)."""
    folder.mkdir(parents=True, exist_ok=True)
    machine = re.sub(r"[^A-Za-z0-9_.-]", "-", platform.node()) or "machine"
    steps, engines = figures["steps"], figures["engines"]
    variant = "" if (steps, engines) == ("all", ["duckdb"]) else f"-{steps}-{'-'.join(engines)}"
    out = folder / f"{date.today().isoformat()}-{machine}{variant}.json"
    for result in figures["scales"].values():
        for step in result["steps"].values():
            step.pop("stdout", None)
    out.write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nfigures written to {out}")
