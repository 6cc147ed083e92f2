"""The portal's burst floor: the burst's one-day reports exported one after another, alone.

Usage: burst_floor.py DB FOLDER EVENT/DAY... exports each (event app, local day) report into
FOLDER in this one process, as a portal worker exports it (export_report, no process start),
and prints each export's seconds, one a line. Their sum divided by the cores is the least time
the burst of the same reports all at once can take on this machine, however it is scheduled.
"""

import sys
import time
from datetime import date
from pathlib import Path

from smartsessions.report.export import export_report
from smartsessions.report.window import Window


def main(db: str, folder: str, *jobs: str) -> None:
    for number, job in enumerate(jobs):
        event, day = job.split("/")
        window = Window(date.fromisoformat(day), date.fromisoformat(day))
        started = time.perf_counter()
        export_report(Path(db), event, Path(folder) / f"burst-{number}.xlsx", window)
        print(time.perf_counter() - started)


if __name__ == "__main__":
    main(*sys.argv[1:])
