"""`smartsessions refresh DIR`: what a scheduler runs. Loads what is new in DIR, brings the marts
up to date (incremental models; data tests, no unit tests) and publishes them for readers, in
one step. Two refreshes of one database never write at once: the second waits for the first."""

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import LoadSummary, load_delivery
from smartsessions.pipeline.build import BuildSummary, run_build
from smartsessions.workspace import Workspace


@dataclass
class RefreshSummary:
    load: LoadSummary
    build: BuildSummary
    seconds: float
    load_seconds: float

    def describe(self) -> str:
        load, build = self.load, self.build
        published = build.published
        return (
            f"refresh: {load.files_loaded:,} files and {load.records_loaded:,} records new,"
            f" {load.records_rejected:,} records and {load.files_rejected:,} files rejected;"
            f" {build.describe()}; {self.seconds:.1f} s (load {self.load_seconds:.1f}, build"
            f" {build.seconds:.1f}, publish {published.seconds:.1f}); readers now see the marts"
            " published"
            f" {published.published_at:%Y-%m-%d %H:%M:%S} UTC ({published.files_written:,} files"
            f" written, {published.files_kept:,} kept) in {published.path}"
        )


def refresh(
    db_path: Path,
    folder: Path,
    progress: bool = False,
    on_wait: Callable[[str], None] = lambda message: None,
) -> RefreshSummary:
    """Load, build incrementally and publish; raises (one line) when a test fails, and readers
    stay on the last published marts."""
    with refresh_lock(db_path, on_wait):
        started = time.perf_counter()
        loaded = load_delivery(db_path, folder, progress=progress)
        load_seconds = time.perf_counter() - started
        built = run_build(db_path, progress=progress, unit_tests=False)
        return RefreshSummary(loaded, built, time.perf_counter() - started, load_seconds)


@contextmanager
def refresh_lock(db_path: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Held for a whole refresh (`NAME.refresh.lock` beside the database, never removed): a
    second refresh says it waits, then waits for the first to end."""
    lock_file = Workspace(db_path).refresh_lock
    try:
        # read-only: flock needs no more, so a lock file another user made serves as well
        handle = os.open(lock_file, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as error:
        raise SmartSessionsError(
            f"cannot open the refresh lock {lock_file}: {error.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"waiting for the refresh already running on {db_path}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock, also when the process is killed


def refresh_running(db_path: Path) -> bool:
    """Whether a refresh holds the database's refresh lock now (`status` says so)."""
    lock_file = Workspace(db_path).refresh_lock
    try:
        handle = os.open(lock_file, os.O_RDONLY)
    except OSError:  # no lock file: no refresh ever ran here
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False
