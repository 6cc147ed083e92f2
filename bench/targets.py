"""The figures over all scales: the targets checked, the scaling exponents and the build fits."""

import math
import os
import statistics

from smartsessions.report.workbook import EXCEL_MAX_DATA_ROWS

from deliveries import FORMATS
from writer_features import has_every_feature


def targets(steps: dict, big_tab: dict, results: dict) -> list[tuple[str, bool]]:
    export, pandas = steps["export all history"], steps["pandas.to_excel, xlsxwriter"]
    models = steps["build data work"]["models"]
    checks = [
        (f"load {fmt} <= 3x DuckDB bulk read", steps[f"load {fmt}"]["ratio"] <= 3)
        for fmt in FORMATS
    ]
    checks += [
        ("build data work <= 2x peer", steps["build data work"]["ratio"] <= 2),
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
    return checks + refresh_targets(results)


def refresh_targets(results: dict) -> list[tuple[str, bool]]:
    """Issue 25's: a refresh costs what changed, and nothing when nothing is new."""
    at, smallest = target_scale(results), min(results, key=int)
    new = {scale: result["steps"]["refresh 1% new"] for scale, result in results.items()}
    return [
        (f"refresh of 1% new <= 2x the nine-tab peer (scale {at})", new[at]["ratio"] <= 2),
        (f"refresh of 1% new <= 3 s (scale {smallest})", new[smallest]["seconds"] <= 3),
        (
            "refresh with nothing new <= 1 s at every scale",
            all(
                result["steps"]["refresh, nothing new"]["seconds"] <= 1
                for result in results.values()
            ),
        ),
    ]


def target_scale(results: dict) -> str:
    """The targets are set at scale 100: there, or at the largest scale run below it."""
    return "100" if "100" in results else max(results, key=int)


def expected_sheets(name: str, rows: int) -> dict[str, int]:
    """How a tab of `rows` rows must be laid out: full sheets, then the rest."""
    full, rest = divmod(rows, EXCEL_MAX_DATA_ROWS)
    counts = [EXCEL_MAX_DATA_ROWS] * full + ([rest] if rest else [])
    return {(name if n == 1 else f"{name} {n}"): count for n, count in enumerate(counts, 1)}


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


def crossover(fits: dict, duckdb_cores: int, spark_cores: int, spark: str) -> float | None:
    """Records past which `spark` (local mode or a cluster) on `spark_cores` builds faster than
    DuckDB on one machine of `duckdb_cores`, when both engines' per-record work divides by
    their cores (measured here on this machine's) and their fixed costs stay as measured; None
    when it never does."""
    here = os.cpu_count()
    duck = fits["duckdb"]["us_per_record"] * here / duckdb_cores
    on_spark = fits[spark]["us_per_record"] * here / spark_cores
    if on_spark >= duck:
        return None
    return (fits[spark]["fixed_s"] - fits["duckdb"]["fixed_s"]) / (duck - on_spark) * 1e6


WRITER_SPEED_UP = 3  # issue 25: another writer is adopted only this much faster, with every feature


def writer_checks(results: dict) -> list[tuple[str, bool]]:
    """The writer decision (issue 25), as information: a writer with every feature of the
    workbook (writer_features.py) at least WRITER_SPEED_UP times as fast as XlsxWriter on the
    busiest tabs of all history and of one day, whole steps, at the targets' scale."""
    windows = results[target_scale(results)]["writers"].values()
    adoptable = [
        writer
        for writer in next(iter(windows))["writers"]
        if writer not in ("xlsxwriter", "none")
        and has_every_feature(writer)
        and all(window["writers"][writer]["speed_up"] >= WRITER_SPEED_UP for window in windows)
    ]
    label = (
        f"(information) a writer >= {WRITER_SPEED_UP}x XlsxWriter on the busiest tabs, with"
        f" every feature: {', '.join(adoptable) or 'none'}"
    )
    return [(label, bool(adoptable))]
