"""`make bench`: how fast the pipeline is, against peers measured in the same run.

For each scale (BENCH_SCALES, default 1,10,100) it times every step as a separate process,
BENCH_RUNS times (default 3), and reports the median seconds, rows per second and peak memory
(the step process's maximum resident set), with the peers:

- load: `smartsessions load` of a parquet, csv.gz and jsonl.gz delivery, against DuckDB's own
  unvalidated bulk read of the same files (`create table as select * from read_...`);
- build: `smartsessions build`, split into dbt's fixed cost (the same build with nothing
  loaded) and the data work (the rest), against bench/baseline.sql;
- export: the busiest event, all history and its busiest local day, against
  bench/baseline.sql, and the workbook writer against pandas.DataFrame.to_excel.

It prints one table and writes the figures to bench/results/<date>-<machine>.json.
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
import time
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SMARTSESSIONS = str(BIN / "smartsessions")
FORMATS = ("parquet", "csv.gz", "jsonl.gz")
SEED = 1
# DuckDB's readers as a bulk load would call them: planted malformed records are skipped.
READERS = {
    "parquet": "read_parquet({files})",
    "csv.gz": "read_csv({files}, ignore_errors = true)",
    "jsonl.gz": "read_json({files}, ignore_errors = true)",
}
TABLES = (
    "event_apps",
    "rooms",
    "attendees",
    "room_joins",
    "room_leaves",
    "bubble_events",
    "teleports",
    "chat_messages",
)


def run(command: list[str]) -> tuple[float, float, str]:
    """Run a step as its own process: (seconds, peak resident MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"step failed: {' '.join(command)}\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


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


def bulk_read_command(db: Path, folder: Path, fmt: str) -> list[str]:
    """DuckDB's own read of every file of the delivery into tables: the floor for loading."""
    statements = []
    for table in TABLES:
        files = sorted(str(p) for p in folder.rglob(f"*.{fmt}") if _table_of(p, folder) == table)
        if files:
            statements.append(
                f"create or replace table {table} as select * from "
                + READERS[fmt].format(files=repr(files))
            )
    code = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\n"
    code += "".join(f"con.execute({statement!r})\n" for statement in statements)
    return python(code, str(db))


def _table_of(path: Path, folder: Path) -> str:
    first = path.relative_to(folder).parts[0]
    return first.split(".")[0]


def records_loaded(stdout: str) -> int:
    return int(re.search(r"([\d,]+) records loaded", stdout).group(1).replace(",", ""))


def rows_written(stdout: str) -> int:
    return sum(int(n.replace(",", "")) for n in re.findall(r": ([\d,]+)(?:,|$)", stdout.strip()))


EVENT_AND_DAY = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
event = con.execute("select event_id from marts.event_apps order by join_count desc limit 1")
event = event.fetchone()[0]
day = con.execute("select activity_date from marts.user_room_days where event_id = ?"
                  " group by 1 order by count(*) desc, 1 limit 1", [event]).fetchone()[0]
print(event, day)
"""

BASELINE = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
sql = open(sys.argv[2]).read().replace("$event", "'" + sys.argv[3] + "'")
con.execute(sql).fetchall()
print(sum(con.execute(f"select count(*) from tab_{n}").fetchone()[0] for n in range(1, 8)))
"""

PANDAS = """
import duckdb, sys
import pandas
from smartsessions.report import TABS
con = duckdb.connect(sys.argv[1], read_only=True)
with pandas.ExcelWriter(sys.argv[2], engine="openpyxl") as writer:
    for name, model in TABS:
        frame = con.execute(
            f"select * from marts.{model} where event_id = ? order by report_order", [sys.argv[3]]
        ).df()
        frame.to_excel(writer, sheet_name=name[:31], index=False)
"""


def bench_scale(scale: int, runs: int, cache: Path, work: Path) -> dict:
    figures: dict[str, dict] = {}
    work.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        folder = delivery(cache, scale, fmt)
        db = work / f"load-{fmt.replace('.', '-')}.duckdb"
        loads = []
        for _ in range(runs):
            db.unlink(missing_ok=True)
            loads.append(run([SMARTSESSIONS, "--db", str(db), "load", str(folder)]))
        records = records_loaded(loads[-1][2])
        seconds = statistics.median(r[0] for r in loads)
        bulk_db = work / "bulk.duckdb"
        bulk = [run(bulk_read_command(bulk_db, folder, fmt)) for _ in range(runs)]
        bulk_db.unlink(missing_ok=True)
        bulk_seconds = statistics.median(r[0] for r in bulk)
        figures[f"load {fmt}"] = {
            "seconds": seconds,
            "rows_per_s": records / seconds,
            "peak_mb": max(r[1] for r in loads),
            "peer": "duckdb bulk read",
            "peer_seconds": bulk_seconds,
            "ratio": seconds / bulk_seconds,
        }
    db = work / "load-jsonl-gz.duckdb"  # the last delivery loaded: build on it
    empty = work / "empty.duckdb"
    empty.unlink(missing_ok=True)
    fixed = measure([SMARTSESSIONS, "--db", str(empty), "build"], runs)
    full = measure([SMARTSESSIONS, "--db", str(db), "build"], runs)
    event, day = run(python(EVENT_AND_DAY, str(db)))[2].split()
    baseline = measure(python(BASELINE, str(db), str(BENCH / "baseline.sql"), event), runs)
    figures["baseline (seven tabs, one event)"] = {
        "seconds": baseline["seconds"],
        "rows_per_s": int(baseline["stdout"]) / baseline["seconds"],
        "peak_mb": baseline["peak_mb"],
    }
    data_work = full["seconds"] - fixed["seconds"]
    figures["build fixed cost"] = {"seconds": fixed["seconds"], "peak_mb": fixed["peak_mb"]}
    figures["build data work"] = {
        "seconds": data_work,
        "peak_mb": full["peak_mb"],
        "peer": "baseline",
        "peer_seconds": baseline["seconds"],
        "ratio": data_work / baseline["seconds"],
    }
    workbook = work / "report.xlsx"
    pandas = measure(python(PANDAS, str(db), str(work / "pandas.xlsx"), event), runs)
    for label, window in (
        ("export all history", []),
        ("export one day", ["--from", day, "--to", day]),
    ):
        result = measure(
            [
                SMARTSESSIONS,
                "--db",
                str(db),
                "export",
                "--event",
                event,
                "--out",
                str(workbook),
                *window,
            ],
            runs,
        )
        rows = rows_written(result["stdout"])
        figures[label] = {
            "seconds": result["seconds"],
            "rows_per_s": rows / result["seconds"],
            "peak_mb": result["peak_mb"],
            "rows": rows,
            "workbook_mb": workbook.stat().st_size / 2**20,
            "peer": "baseline",
            "peer_seconds": baseline["seconds"],
            "ratio": result["seconds"] / baseline["seconds"],
        }
    all_history = figures["export all history"]
    figures["pandas.to_excel (same rows)"] = {
        "seconds": pandas["seconds"],
        "rows_per_s": all_history["rows"] / pandas["seconds"],
        "peak_mb": pandas["peak_mb"],
    }
    figures["export one day"]["vs_all_history"] = (
        figures["export one day"]["seconds"] / all_history["seconds"]
    )
    return {"event": event, "day": day, "steps": figures}


def targets(steps: dict) -> list[tuple[str, bool]]:
    export, pandas = steps["export all history"], steps["pandas.to_excel (same rows)"]
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
    ]
    return checks


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


def print_table(results: dict, exponents: dict) -> None:
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
    largest = max(results, key=int)
    print(f"\ntargets at scale {largest}:")
    for label, passed in targets(results[largest]["steps"]):
        print(f"  {'PASS' if passed else 'MISS'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "1,10,100"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    parser.add_argument("--cache", type=Path, default=BENCH / "cache")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    work = args.cache / "work"
    results = {str(s): bench_scale(s, args.runs, args.cache, work) for s in scales}
    shutil.rmtree(work, ignore_errors=True)
    exponents = scaling(results)
    print_table(results, exponents)
    args.results.mkdir(parents=True, exist_ok=True)
    machine = re.sub(r"[^A-Za-z0-9_.-]", "-", platform.node()) or "machine"
    out = args.results / f"{date.today().isoformat()}-{machine}.json"
    for result in results.values():
        for figures in result["steps"].values():
            figures.pop("stdout", None)
    payload = {
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "scales": results,
        "scaling_exponents": exponents,
        "targets": {label: ok for label, ok in targets(results[str(max(scales))]["steps"])},
    }
    out.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
