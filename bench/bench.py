"""`make bench`: how fast the pipeline is, against peers measured in the same run.

For each scale (BENCH_SCALES, default 1,10,100) it times every step as a separate process,
BENCH_RUNS times (default 3), and reports the median seconds, rows per second and peak memory
(the larger of the step's largest process's maximum resident set and the resident sum of its
process tree, sampled: Spark's JVM is a process the step never waits for), with the peers:

- load: `smartsessions load` of a parquet, csv.gz and jsonl.gz delivery, against DuckDB's own
  unvalidated bulk read of the same files (bench/bulk_read.py);
- build: `smartsessions build` on each engine of BENCH_ENGINES (default duckdb; duckdb,spark
  adds `--target spark` from the landing folder), split into the fixed cost (the same build with
  nothing loaded) and the data work (the rest), against bench/baseline.sql (bench/baseline.py);
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
  5 asked for one after another.

BENCH_STEPS=build runs the builds alone (a delivery loaded once per scale, untimed). It prints one
table and writes the figures to bench/results/<date>-<machine>.json (a run with other engines or
steps adds them to the name, so it never replaces the full run's file).
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from smartsessions.landing.parquet_mirror import Landing
from smartsessions.landing.raw_schema import create_raw_schema
from smartsessions.report.workbook import EXCEL_MAX_DATA_ROWS
from smartsessions.workspace import Workspace

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SMARTSESSIONS = str(BIN / "smartsessions")
FORMATS = ("parquet", "csv.gz", "jsonl.gz")
SEED = 1
# The tab made long for the row-limit check (bench/inflate_tab.py copies its rows).
BIG_TAB = ("Usage (detailed view)", "room_user_entries")
BIG_TAB_ROWS = 1_100_000  # past Excel's 1,048,575 data rows: continued on a second sheet
# The latency run: one-day exports of the busiest (event, local day) pairs, so many at a time.
LATENCY_EXPORTS, LATENCY_PARALLEL = 20, 4
PANDAS_ENGINES = ("xlsxwriter", "openpyxl")  # pandas' default when installed, and the other
ENGINES = ("duckdb", "spark")  # what `smartsessions --target` builds on
STEPS = ("all", "build")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def run(command: list[str]) -> tuple[float, float, str]:
    """Run a step as its own process: (seconds, peak resident MB, stdout)."""
    # stderr to a file: a step that logs much there (Spark's JVM) never blocks on a full pipe
    with tempfile.TemporaryFile("w+") as errors, tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        launched = [sys.executable, str(BENCH / "peak.py"), peak.name, *command]
        process = subprocess.Popen(launched, stdout=subprocess.PIPE, stderr=errors, text=True)
        sampled, done = [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                sampled[0] = max(sampled[0], tree_rss_mb(process.pid) - rss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout = process.stdout.read()
        process.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        if process.returncode:
            errors.seek(0)
            raise SystemExit(f"step failed: {' '.join(command)}\n{errors.read()}")
        return seconds, max(float(peak.read()), sampled[0]), stdout


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB
    except OSError:  # ended meanwhile
        return 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident MB of a process and its descendants now, from /proc."""
    children, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        child = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(child)
        rss[child] = int(fields[21]) * PAGE_MB
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0.0)
        todo += children.get(current, [])
    return total


def program(name: str, *args) -> list[str]:
    """One of the benchmark's own step programs (bench/NAME.py), as a command."""
    return [sys.executable, str(BENCH / f"{name}.py"), *map(str, args)]


def smartsessions(db: Path, *args) -> list[str]:
    return [SMARTSESSIONS, "--db", str(db), *map(str, args)]


def measure(command: list[str], runs: int) -> dict:
    results = [run(command) for _ in range(runs)]
    return {
        "seconds": statistics.median(r[0] for r in results),
        "peak_mb": max(r[1] for r in results),
        "stdout": results[-1][2],
    }


def delivery(cache: Path, scale: int, fmt: str) -> Path:
    """A generated delivery, cached by scale, seed and format."""
    folder = cache / f"scale-{scale}-seed-{SEED}-{fmt}"
    if not (folder / ".smartsessions-delivery").exists():
        scale_and_seed = ["--scale", str(scale), "--seed", str(SEED)]
        run([SMARTSESSIONS, "generate", str(folder), *scale_and_seed, "--format", fmt])
    return folder


def records_loaded(stdout: str) -> int:
    return int(re.search(r"([\d,]+) records loaded", stdout).group(1).replace(",", ""))


def rows_written(stdout: str) -> int:
    return sum(int(n.replace(",", "")) for n in re.findall(r": ([\d,]+)(?:,|$)", stdout.strip()))


def fresh(db: Path) -> None:
    """No database at `db`, nor its landing and Spark folders (a load writes the landing
    folder whenever one exists)."""
    db.unlink(missing_ok=True)
    for folder in (Workspace(db).landing, Workspace(db).spark):
        shutil.rmtree(folder, ignore_errors=True)


def records_in(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select sum(records_loaded) from raw.loaded_files").fetchone()[0]


def bench_scale(scale: int, runs: int, cache: Path, work: Path, engines: list, steps: str) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    folder = delivery(cache, scale, FORMATS[-1])
    if steps == "build":
        db = work / "build.duckdb"
        fresh(db)
        run(smartsessions(db, "load", folder))
        return {"records": records_in(db), "steps": bench_build(db, folder, runs, work, engines)}
    figures = bench_load(scale, runs, cache, work)
    db = work / "load-jsonl-gz.duckdb"  # the last delivery loaded: build on it
    figures |= bench_build(db, folder, runs, work, engines)
    event, day = run(program("busiest", db))[2].split()
    figures |= bench_baseline(db, event, runs)
    figures["build data work"] |= {
        "peer": "baseline",
        "peer_seconds": figures["baseline (seven tabs, one event)"]["seconds"],
        "ratio": figures["build data work"]["seconds"]
        / figures["baseline (seven tabs, one event)"]["seconds"],
        "vs_baseline_every_event": figures["build data work"]["seconds"]
        / figures["baseline, every event"]["seconds"],
    }
    figures |= bench_export(db, event, day, runs, work)
    figures |= bench_pandas(db, event, runs, work, figures["export all history"]["rows"])
    figures["export one day"]["vs_all_history"] = (
        figures["export one day"]["seconds"] / figures["export all history"]["seconds"]
    )
    figures |= bench_refresh(scale, runs, cache, work)
    new, idle = figures["refresh 1% new"], figures["refresh, nothing new"]
    new["data_work"] = new["seconds"] - idle["seconds"]
    new["vs_build_data_work"] = new["data_work"] / figures["build data work"]["seconds"]
    return {
        "records": records_in(db),
        "event": event,
        "day": day,
        "steps": figures,
        "latency": export_latency(db, work),
        "portal": portal(db),
    }


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


def bench_build(db: Path, folder: Path, runs: int, work: Path, engines: list) -> dict:
    """On each engine, the build from scratch (--full-refresh) of the delivery `folder` loaded
    in `db`, whole and split into the fixed cost (a database with nothing loaded) and the rest;
    and each model's seconds in the last one. DuckDB's steps are unprefixed."""
    records = records_in(db)
    empty = empty_database(work)
    figures = {}
    for engine in engines:
        if engine == "spark":  # the same delivery, already loaded: only its landing folder
            run(smartsessions(db, "--target", "spark", "load", folder))
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


def bench_baseline(db: Path, event: str, runs: int) -> dict:
    """bench/baseline.sql for the event exported, and for every event app."""
    figures = {}
    for label, events in (
        ("baseline (seven tabs, one event)", [event]),
        ("baseline, every event", []),
    ):
        result = measure(program("baseline", db, *events), runs)
        figures[label] = {
            "seconds": result["seconds"],
            "rows_per_s": int(result["stdout"]) / result["seconds"],
            "peak_mb": result["peak_mb"],
        }
    return figures


def bench_export(db: Path, event: str, day: str, runs: int, work: Path) -> dict:
    """The export of all history and of the busiest day, each against its floor."""
    figures = {}
    workbook = work / "report.xlsx"
    for label, window in (("export all history", []), ("export one day", [day, day])):
        options = ["--from", day, "--to", day] if window else []
        result = measure(
            smartsessions(db, "export", "--event", event, "--out", workbook, *options), runs
        )
        floor = measure(program("export_floor", db, workbook, event, *window), runs)
        rows = rows_written(result["stdout"])
        figures[label] = {
            "seconds": result["seconds"],
            "rows_per_s": rows / result["seconds"],
            "peak_mb": result["peak_mb"],
            "rows": rows,
            "workbook_mb": workbook.stat().st_size / 2**20,
            "peer": "its floor",
            "peer_seconds": floor["seconds"],
            "ratio": result["seconds"] / floor["seconds"],
        }
        figures[label.replace("export", "export floor,")] = {
            "seconds": floor["seconds"],
            "rows_per_s": int(floor["stdout"]) / floor["seconds"],
            "peak_mb": floor["peak_mb"],
        }
    return figures


def bench_refresh(scale: int, runs: int, cache: Path, work: Path) -> dict:
    """A refresh that adds the newest 1% of the records on top of the rest, already loaded,
    built and published (bench/split_latest.py), and a refresh with nothing new: seconds, and
    the load, build and publish steps as the refresh reports them."""
    split = cache / f"scale-{scale}-seed-{SEED}-parquet-latest-1pct"
    history, latest = split / "history", split / "latest"
    if not latest.exists():
        run(program("split_latest", delivery(cache, scale, "parquet"), history, latest))
    # Built where the timed refreshes run: dbt parses again when the database's path changes.
    state, saved = work / "refresh-run", work / "refresh-saved"
    db = state / "history.duckdb"
    for folder in (state, saved):
        shutil.rmtree(folder, ignore_errors=True)
    state.mkdir()
    run(smartsessions(db, "load", history))
    run(smartsessions(db, "build"))
    shutil.copytree(state, saved)
    figures = {}
    for label, repeats in (("refresh 1% new", 1), ("refresh, nothing new", 2)):
        timings = []
        for _ in range(runs):
            shutil.rmtree(state)
            shutil.copytree(saved, state)
            for _ in range(repeats):  # the last refresh is the one timed
                seconds, peak_mb, stdout = run(smartsessions(db, "refresh", latest))
            timings.append((seconds, peak_mb, refresh_steps(stdout)))
        figures[label] = {
            "seconds": statistics.median(t[0] for t in timings),
            "peak_mb": max(t[1] for t in timings),
            **{
                step: statistics.median(t[2][step] for t in timings)
                for step in ("load", "build", "publish")
            },
        }
    return figures


def refresh_steps(stdout: str) -> dict[str, float]:
    """The seconds of each step, as the refresh's summary line gives them."""
    found = re.search(r"load ([\d.]+), build ([\d.]+), publish ([\d.]+)", stdout)
    return dict(zip(("load", "build", "publish"), map(float, found.groups()), strict=True))


def bench_pandas(db: Path, event: str, runs: int, work: Path, rows: int) -> dict:
    """The same rows through pandas.DataFrame.to_excel, with each engine."""
    figures = {}
    for engine in PANDAS_ENGINES:
        result = measure(program("pandas_export", db, work / "pandas.xlsx", event, engine), runs)
        figures[f"pandas.to_excel, {engine}"] = {
            "seconds": result["seconds"],
            "rows_per_s": rows / result["seconds"],
            "peak_mb": result["peak_mb"],
        }
    return figures


def export_latency(db: Path, work: Path) -> dict:
    """Seconds of each of LATENCY_EXPORTS one-day exports (the busiest event days, in turn) run
    LATENCY_PARALLEL at a time, as the portal's workers run them: p50 and p95."""
    days = run(program("busiest", db, LATENCY_EXPORTS))[2].split()
    jobs = [days[n % len(days)].split("/") for n in range(LATENCY_EXPORTS)]

    def export(job: tuple[int, list[str]]) -> float:
        number, (event, day) = job
        out = work / f"latency-{number}.xlsx"
        window = ["--from", day, "--to", day]
        return run(smartsessions(db, "export", "--event", event, "--out", out, *window))[0]

    with ThreadPoolExecutor(LATENCY_PARALLEL) as pool:
        seconds = sorted(pool.map(export, enumerate(jobs)))
    return {
        "exports": LATENCY_EXPORTS,
        "parallel": LATENCY_PARALLEL,
        "p50": statistics.median(seconds),
        "p95": seconds[math.ceil(0.95 * len(seconds)) - 1],
    }


def portal(db: Path) -> dict:
    """bench/portal.py on the scale's database: pages and report requests under a bounded load
    (20 clients x 50 pages, then 20 one-day reports, 4 workers)."""
    return json.loads(run(program("portal", db, "--json"))[2])


def bench_big_tab(cache: Path, work: Path, big_rows: int) -> dict:
    """The export with one tab of `big_rows` rows, and of a tenth of that, at scale 1."""
    work.mkdir(parents=True, exist_ok=True)
    base = work / "big-tab-base.duckdb"
    base.unlink(missing_ok=True)
    run(smartsessions(base, "load", delivery(cache, 1, "parquet")))
    run(smartsessions(base, "build"))
    event = run(program("busiest", base))[2].split()[0]
    name, model = BIG_TAB
    figures = {}
    for rows in (big_rows // 10, big_rows):
        db, workbook = work / "big-tab.duckdb", work / "big-tab.xlsx"
        shutil.copy(base, db)
        run(program("inflate_tab", db, model, event, rows))
        seconds, peak_mb, _ = run(smartsessions(db, "export", "--event", event, "--out", workbook))
        book = load_workbook(workbook, read_only=True)
        sheets = {sheet: book[sheet].max_row - 1 for sheet in book.sheetnames if name in sheet}
        book.close()
        figures[rows] = {
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "peak_mb": peak_mb,
            "sheets": sheets,
        }
    return {"tab": name, "runs": 1, "by_rows": figures}


def expected_sheets(name: str, rows: int) -> dict[str, int]:
    """How a tab of `rows` rows must be laid out: full sheets, then the rest."""
    full, rest = divmod(rows, EXCEL_MAX_DATA_ROWS)
    counts = [EXCEL_MAX_DATA_ROWS] * full + ([rest] if rest else [])
    return {(name if n == 1 else f"{name} {n}"): count for n, count in enumerate(counts, 1)}


def targets(steps: dict, big_tab: dict, results: dict) -> list[tuple[str, bool]]:
    export, pandas = steps["export all history"], steps["pandas.to_excel, xlsxwriter"]
    models = steps["build data work"]["models"]
    checks = [
        (f"load {fmt} <= 3x DuckDB bulk read", steps[f"load {fmt}"]["ratio"] <= 3)
        for fmt in FORMATS
    ]
    checks += [
        ("build data work <= 2x baseline", steps["build data work"]["ratio"] <= 2),
        ("build fixed cost <= 20 s", steps["build fixed cost"]["seconds"] <= 20),
        ("export rows/s >= pandas.to_excel", export["rows_per_s"] >= pandas["rows_per_s"]),
        ("export peak <= 1/3 of pandas", export["peak_mb"] <= pandas["peak_mb"] / 3),
        ("one-day export <= 1.5x all history", steps["export one day"]["vs_all_history"] <= 1.5),
        ("one-day export <= 1.3x its floor", steps["export one day"]["ratio"] <= 1.3),
        ("all-history export <= 1.2x its floor", export["ratio"] <= 1.2),
        (
            "refresh of 1% new: data work <= 25% of the build's",
            steps["refresh 1% new"]["vs_build_data_work"] <= 0.25,
        ),
        (
            "refresh fixed cost (nothing new, smallest scale) <= 6 s",
            results[min(results, key=int)]["steps"]["refresh, nothing new"]["seconds"] <= 6,
        ),
        (
            "visits model <= the largest activity model (int_activity_checked)",
            models["int_room_visits"] <= models["int_activity_checked"],
        ),
    ]
    (small, small_figures), (big, big_figures) = big_tab["by_rows"].items()
    checks += [
        (
            f"export peak with a {big:,}-row tab <= 1.25x with {small:,} rows",
            big_figures["peak_mb"] <= 1.25 * small_figures["peak_mb"],
        ),
        (
            f"a {big:,}-row tab fills sheets up to Excel's limit, then continues",
            big_figures["sheets"] == expected_sheets(big_tab["tab"], big),
        ),
    ]
    served = results[target_scale(results)]["portal"]
    checks += [
        ("portal page p95 <= 100 ms", served["page_p95_ms"] <= 100),
        ("portal request-to-email p95 <= 3 s", served["request_to_email_p95_s"] <= 3),
    ]
    if "1000" in results:
        checks.append(
            (
                "build at scale 1000 peak <= 6 GB",
                results["1000"]["steps"]["build data work"]["peak_mb"] <= 6144,
            )
        )
    return checks


def target_scale(results: dict) -> str:
    """The targets are set at scale 100: there, or at the largest scale run below it."""
    return "100" if "100" in results else max(results, key=int)


def scaling(results: dict) -> dict[str, float]:
    """Exponent of time against scale, least squares on logs (1.0 = linear)."""
    scales = sorted(results, key=int)
    if len(scales) < 2:
        return {}
    exponents = {}
    for step in results[scales[0]]["steps"]:
        points = [
            (math.log(int(s)), math.log(max(results[s]["steps"][step]["seconds"], 1e-3)))
            for s in scales
        ]
        mean_x = statistics.mean(x for x, _ in points)
        mean_y = statistics.mean(y for _, y in points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        exponents[step] = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return exponents


def build_fits(results: dict, engines: list) -> dict:
    """Each engine's build as fixed seconds + seconds per record: the median of its builds with
    nothing loaded, and its data work against the records built (least squares through zero,
    so the largest scale weighs most), each paired with a build measured next to it."""
    fits = {}
    for engine in engines:
        prefix = "" if engine == "duckdb" else f"{engine} "
        steps = [result["steps"] for result in results.values()]
        fixed = statistics.median(step[f"{prefix}build fixed cost"]["seconds"] for step in steps)
        points = [
            (result["records"], result["steps"][f"{prefix}build data work"]["seconds"])
            for result in results.values()
        ]
        per_record = sum(x * y for x, y in points) / sum(x * x for x, _ in points)
        fits[engine] = {"fixed_s": fixed, "us_per_record": per_record * 1e6}
    return fits


def crossover(fits: dict, duckdb_cores: int, spark_cores: int) -> float | None:
    """Records past which Spark on `spark_cores` builds faster than DuckDB on one machine of
    `duckdb_cores`, when both engines' per-record work divides by their cores (measured here on
    this machine's) and their fixed costs stay as measured; None when it never does."""
    here = os.cpu_count()
    duck = fits["duckdb"]["us_per_record"] * here / duckdb_cores
    spark = fits["spark"]["us_per_record"] * here / spark_cores
    if spark >= duck:
        return None
    return (fits["spark"]["fixed_s"] - fits["duckdb"]["fixed_s"]) / (duck - spark) * 1e6


def build_parts(db: Path, engines: list) -> dict:
    """Where each engine's fixed cost goes: bench/build_parts.py on the database with nothing
    loaded (one run each)."""
    return {engine: json.loads(run(program("build_parts", db, engine))[2]) for engine in engines}


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
    if "duckdb" in fits and "spark" in fits and fits["duckdb"]["us_per_record"] > 0:
        ratio = fits["spark"]["us_per_record"] / fits["duckdb"]["us_per_record"]
        print(
            f"Spark overtakes DuckDB with over {ratio:.1f} times its cores (per-record work divided"
            " by cores, fixed costs as here):"
        )
        for duckdb_cores in (2, 16, 64):
            more = [math.ceil(duckdb_cores * ratio * times) for times in (2, 4)]
            past = ", ".join(
                f"on {cores:,} cores past {crossover(fits, duckdb_cores, cores):,.0f} records"
                for cores in more
            )
            print(f"  DuckDB on {duckdb_cores:>2} cores: Spark {past}")
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
    work = results[scale]["steps"]["build data work"]
    print(
        f"\nbuild data work at scale {scale} / baseline run for every event app: "
        f"{work['vs_baseline_every_event']:.2f}"
    )
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
    models = results[scale]["steps"]["build data work"]["models"]
    slowest = ", ".join(f"{name} {seconds:.2f}" for name, seconds in list(models.items())[:6])
    print(f"\nslowest models of the build at scale {scale} (s): {slowest}")
    print("\nrefresh, step by step (median s) against the history already loaded:")
    for scale_name, result in results.items():
        for label in ("refresh 1% new", "refresh, nothing new"):
            f = result["steps"][label]
            print(
                f"  scale {scale_name:>4}  {label:<22} {f['seconds']:6.2f} s = load {f['load']:.1f}"
                f" + build {f['build']:.1f} + publish {f['publish']:.1f} + start-up"
            )
    print(f"\ntargets at scale {scale}:")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {label}")


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
    results = {
        str(s): bench_scale(s, args.runs, args.cache, work, engines, args.steps) for s in scales
    }
    parts = build_parts(work / "empty.duckdb", engines)
    big_tab = bench_big_tab(args.cache, work, args.big_tab_rows) if args.steps == "all" else None
    shutil.rmtree(work, ignore_errors=True)
    exponents = scaling(results)
    fits = build_fits(results, engines)
    print_steps(results, exponents)
    print_engines(results, fits, parts)
    checks = []
    if big_tab is not None:
        checks = targets(results[target_scale(results)]["steps"], big_tab, results)
        print_summary(results, big_tab, checks)
    args.results.mkdir(parents=True, exist_ok=True)
    machine = re.sub(r"[^A-Za-z0-9_.-]", "-", platform.node()) or "machine"
    variant = (
        "" if (args.steps, engines) == ("all", ["duckdb"]) else f"-{args.steps}-{'-'.join(engines)}"
    )
    out = args.results / f"{date.today().isoformat()}-{machine}{variant}.json"
    for result in results.values():
        for figures in result["steps"].values():
            figures.pop("stdout", None)
    payload = {
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "engines": engines,
        "steps": args.steps,
        "scales": results,
        "scaling_exponents": exponents,
        "build_fits": fits,
        "build_parts": parts,
        "big_tab": big_tab,
        "targets": {label: passed for label, passed in checks},
    }
    out.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
