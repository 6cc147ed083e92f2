"""`smartsessions refresh DIR`: what a scheduler runs. Loads what is new in DIR, brings the marts
up to date (incremental models; data tests, no unit tests) and publishes them for readers, in
one step: the models new records can change, tested on what the run wrote, or the complete build
when the marts' last build is not known to have passed; with nothing new since a build that
passed, no dbt at all (refresh_plan.py).
Two refreshes of one database never write at once: the second waits for the first, and so do a
`load` and a `build` (the same lock). Each
refresh notes when it ended in `NAME.last_checked`, which `status` shows."""

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import LoadSummary, load_delivery
from smartsessions.pipeline.refresh_plan import Plan, plan_refresh
from smartsessions.workspace import Workspace

if TYPE_CHECKING:
    from smartsessions.pipeline.build import BuildSummary
    from smartsessions.pipeline.parsed_project import ParsedProjects


@dataclass
class RefreshSummary:
    load: LoadSummary
    build: "BuildSummary | None"  # None: nothing new, no dbt run
    seconds: float
    load_seconds: float
    plan: Plan

    def describe(self) -> str:
        load, build = self.load, self.build
        landed = (
            f"refresh: {load.files_loaded:,} files and {load.records_loaded:,} records new,"
            f" {load.records_rejected:,} records and {load.files_rejected:,} files rejected;"
        )
        if build is None:
            return (
                f"{landed} nothing new since the last build passed: no dbt run, nothing"
                f" published, readers see what they saw; {self.seconds:.1f} s"
            )
        published = build.published
        scope = "the complete build" if self.plan is Plan.COMPLETE else "the refresh selection"
        return (
            f"{landed} {build.describe()} ({scope}); {self.seconds:.1f} s (load"
            f" {self.load_seconds:.1f}, build {build.seconds:.1f}, publish"
            f" {published.seconds:.1f}); readers now see the marts published"
            f" {published.published_at:%Y-%m-%d %H:%M:%S} UTC ({published.files_written:,} files"
            f" written, {published.files_kept:,} kept) in {published.path}"
        )


def refresh(
    db_path: Path,
    folder: Path,
    progress: bool = False,
    on_wait: Callable[[str], None] = lambda message: None,
    full_check: bool = False,
    projects: "ParsedProjects | None" = None,
) -> RefreshSummary:
    """Load, build incrementally and publish; raises (one line) when a test fails, and readers
    stay on the last published marts. With `full_check`, the complete build, every data test on
    every row (refresh_plan.py). A process that refreshes again and again passes `projects`,
    which keeps dbt's parse of the project between its refreshes."""
    workspace = Workspace(db_path)
    with refresh_lock(db_path, on_wait):
        started = time.perf_counter()
        loaded = load_delivery(
            db_path, folder, progress=progress, hash_cache=workspace.delivered_hashes
        )
        load_seconds = time.perf_counter() - started
        built = None
        plan = plan_refresh(db_path, loaded, full_check)
        if plan is not Plan.NOTHING:
            # imported here: importing dbt alone takes a second a refresh with nothing new spares
            from smartsessions.pipeline.build import run_build

            selector = "refresh" if plan is Plan.REFRESH else None
            manifest = projects.manifest(db_path) if projects else None
            built = run_build(
                db_path, progress=progress, unit_tests=False, selector=selector, manifest=manifest
            )
        _note_checked(workspace.last_checked)
        return RefreshSummary(loaded, built, time.perf_counter() - started, load_seconds, plan)


def _note_checked(path: Path) -> None:
    """When the delivery folder was last looked at, for `status`: kept beside the database, so
    that a refresh with nothing new never writes the published catalog."""
    # a full disk: `status` shows an older time, which is what it knows
    with contextlib.suppress(OSError):
        path.write_text(datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S") + "\n")


def last_checked(db_path: Path) -> datetime | None:
    """When a refresh last looked for new files (UTC), or None."""
    try:
        text = Workspace(db_path).last_checked.read_text().strip()
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (OSError, ValueError):
        return None


@contextmanager
def refresh_lock(
    db_path: Path, on_wait: Callable[[str], None], create: bool = True
) -> Iterator[None]:
    """Held for a whole refresh, load or build (`NAME.refresh.lock` beside the database, never
    removed; not by run_build and load_delivery themselves, which a refresh calls holding it): a
    second one says it waits, then waits for the first to end. A refresh makes the lock file; a
    `load` or `build` (`create` off) takes it where a refresh made it, and otherwise leaves no
    file behind (a mistyped path, a full disk): two of those take turns by DuckDB's own lock."""
    lock_file = Workspace(db_path).refresh_lock
    if not create and not lock_file.exists():
        yield
        return
    try:
        # read-only: flock needs no more, so a lock file another user made serves as well
        handle = os.open(lock_file, os.O_RDONLY | (os.O_CREAT if create else 0), 0o644)
    except OSError as error:
        raise SmartSessionsError(
            f"cannot open the refresh lock {lock_file}: {error.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"waiting for the load, build or refresh already running on {db_path}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock, also when the process is killed


def refresh_running(db_path: Path) -> bool:
    """Whether a refresh, load or build holds the database's lock now (`status` says so)."""
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
