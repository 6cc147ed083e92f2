"""The export steps: against their floors and pandas, their latency, and a tab near Excel's row
limit."""

import math
import os
import re
import shutil
import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from openpyxl import load_workbook

from smartsessions.report.workbook import EXCEL_MAX_DATA_ROWS

from deliveries import delivery
from measure import measure, program, run, smartsessions
from writers import WRITERS

# The tab made long for the row-limit check (bench/inflate_tab.py copies its rows).
BIG_TAB = ("Usage (detailed view)", "room_user_entries")
BIG_TAB_SCALE = 1
BIG_TAB_ROWS = 1_100_000  # past Excel's 1,048,575 data rows: continued on a second sheet
# The latency run: one-day exports of the busiest (event, local day) pairs, so many at a time.
LATENCY_EXPORTS, LATENCY_PARALLEL = 20, 4
PANDAS_ENGINES = ("xlsxwriter", "openpyxl")  # pandas' default when installed, and the other


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


def rows_written(stdout: str) -> int:
    return sum(int(n.replace(",", "")) for n in re.findall(r": ([\d,]+)(?:,|$)", stdout.strip()))


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


def bench_big_tab(cache: Path, work: Path, big_rows: int, base: Path | None = None) -> dict:
    """The export with one tab of `big_rows` rows, and of a tenth of that, at BIG_TAB_SCALE:
    from `base`, that scale's database already built (the same records in any format), if the
    run benched that scale, else from a build of its own."""
    if base is None:
        work.mkdir(parents=True, exist_ok=True)
        base = work / "big-tab-base.duckdb"
        base.unlink(missing_ok=True)
        run(smartsessions(base, "load", delivery(cache, BIG_TAB_SCALE, "parquet")))
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


def bench_writers(db: Path, event: str, day: str, runs: int, work: Path) -> dict:
    """The busiest tab of all history and of the busiest day written by each writer of
    bench/writers.py, against XlsxWriter as the exporter uses it."""
    return {
        "all history": writers_on(db, event, [], runs, work),
        "one day": writers_on(db, event, [day], runs, work),
    }


def bench_writers_long_tab(work: Path, base: Path, rows: int) -> dict:
    """Each writer on `rows` rows of BIG_TAB (inflated from `base`, one run each; at most a whole
    sheet, EXCEL_MAX_DATA_ROWS): the writing's own speed, and its memory with a long tab."""
    event = run(program("busiest", base))[2].split()[0]
    db = work / "writers-long-tab.duckdb"
    shutil.copy(base, db)
    run(program("inflate_tab", db, BIG_TAB[1], event, min(rows, EXCEL_MAX_DATA_ROWS)))
    return writers_on(db, event, [], 1, work) | {"runs": 1}


def writers_on(db: Path, event: str, day_option: list, runs: int, work: Path) -> dict:
    """The event app's busiest tab in the window written by each writer: the whole step
    (reading, cells made ready, writing) and the writing alone (less the `none` writer's step),
    each against XlsxWriter as the exporter uses it."""
    found = {}
    for writer in WRITERS:
        out = work / "writer.xlsx"
        result = measure(program("writers", db, out, event, writer, *day_option), runs)
        tab, rows = result["stdout"].split("\t")
        found[writer] = {
            "seconds": result["seconds"],
            "rows_per_s": int(rows) / result["seconds"],
            "peak_mb": result["peak_mb"],
        }
    floor, reference = found["none"]["seconds"], found["xlsxwriter"]["seconds"]
    for f in found.values():
        f["speed_up"] = reference / f["seconds"]
        f["writing_s"] = f["seconds"] - floor
        # none when the writing is lost in the noise of the step's start (a small tab)
        writing = reference - floor
        f["writing_speed_up"] = writing / f["writing_s"] if f["writing_s"] > 0 else None
    return {"tab": tab, "rows": int(rows), "writers": found}


def burst_floor(db: Path, work: Path) -> dict:
    """The portal burst's floor: the same LATENCY_EXPORTS one-day reports exported one after
    another in one process, as a worker exports them; their seconds summed over the cores."""
    days = run(program("busiest", db, LATENCY_EXPORTS))[2].split()
    jobs = [days[n % len(days)] for n in range(LATENCY_EXPORTS)]
    seconds = [float(s) for s in run(program("burst_floor", db, work, *jobs))[2].split()]
    return {
        "exports": len(seconds),
        "export_s": sum(seconds),
        "cores": os.cpu_count(),
        "floor_s": sum(seconds) / os.cpu_count(),
    }
