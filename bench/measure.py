"""Measuring a step: each runs as its own process, timed, with its peak resident memory."""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SMARTSESSIONS = str(BIN / "smartsessions")
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
        # each step as it finishes: a run at several scales takes long, the report comes last
        step = " ".join([Path(command[0]).name, *command[1:]])
        print(f"bench: {seconds:7.1f} s  {step[:110]}", file=sys.stderr, flush=True)
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
