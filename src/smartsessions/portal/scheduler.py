"""The one scheduler thread of `serve`: it runs each job when due and sleeps until the next due
time, at most a minute (so that a change made by another process, a subscription added by
another server or a clock set right, is seen within a minute). A job is anything with
`run(moment) -> float | None`: do what is due at the moment, and say when it is next due.
Subscriptions are the first job, the scheduled refresh (when set) the second. For the
subscriptions, the portal's state is the only memory, so a restart or a second server on the
same state neither repeats nor loses what is due (each job's storage decides once, see
subscriptions.py); a refresh is safe to repeat, and runs when a server starts."""

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.state import now

log = logging.getLogger("smartsessions.portal")
MAX_SLEEP = 60.0  # seconds
STOP_WAIT = 5.0


class Job(Protocol):
    name: str

    def run(self, moment: float) -> float | None: ...


class SendSubscriptions:
    """Queue the subscriptions due (their requests), and have the workers take them."""

    name = "subscriptions"

    def __init__(self, subscriptions, workers):
        self.subscriptions = subscriptions
        self.workers = workers

    def run(self, moment: float) -> float | None:
        made = self.subscriptions.send_due(moment)
        if made:
            log.info("subscriptions due: request(s) %s queued", ", ".join(map(str, made)))
            self.workers.wake()
        return self.subscriptions.next_due(moment)


class RefreshDeliveries:
    """`smartsessions refresh FOLDER` every `minutes` (SMARTSESSIONS_REFRESH_*), the first when
    the server starts. It runs in the scheduler's thread, so subscriptions due meanwhile are
    queued when it ends (seconds later). dbt's parse of the project is kept between its runs
    (parsed_project.py); the working database is not held open between them, so a refresh from
    cron or a `load` by hand still runs, taking turns through the same lock."""

    name = "refresh"

    def __init__(self, db_path, folder, minutes: float):
        self.db_path, self.folder, self.seconds = db_path, folder, minutes * 60
        self.next_due: float | None = None
        self.projects = None  # dbt's parse, made at the first refresh that runs dbt

    def run(self, moment: float) -> float | None:
        if self.next_due is not None and moment < self.next_due:
            return self.next_due
        self.next_due = moment + self.seconds
        # imported here: a portal without a scheduled refresh never imports dbt
        from smartsessions.pipeline.parsed_project import ParsedProjects
        from smartsessions.pipeline.refresh import refresh

        self.projects = self.projects or ParsedProjects()
        try:
            summary = refresh(self.db_path, self.folder, on_wait=log.info, projects=self.projects)
        except SmartSessionsError as error:
            log.error("scheduled refresh of %s failed: %s", self.folder, error)
        else:
            for warning in summary.load.warnings:
                log.warning("scheduled refresh: %s", warning)
            log.info("scheduled %s", summary.describe())
        return self.next_due


class Scheduler:
    def __init__(self, jobs: list[Job], clock: Callable[[], float] = now):
        self.jobs = jobs
        self.clock = clock
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._woken = threading.Event()

    def tick(self, moment: float) -> float:
        """Run every job due at the moment; when to tick next. A job that fails is logged and
        tried again at the next tick: the others still run."""
        soonest = moment + MAX_SLEEP
        for job in self.jobs:
            try:
                due = job.run(moment)
            except Exception:
                log.exception("scheduled job %s failed", job.name)
                continue
            if due is not None:
                soonest = min(soonest, due)
        return soonest

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
        self._thread = None

    def wake(self) -> None:
        """Tick now: a job's next due time may have changed (a subscription was added)."""
        self._woken.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()  # before the tick: a wake during it ticks again
            due = self.tick(self.clock())
            self._woken.wait(max(0.0, due - self.clock()))
