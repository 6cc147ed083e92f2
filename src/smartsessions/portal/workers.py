"""The workers that run report requests (`requests.py`): a few threads of the server process,
each taking the next request due (export, then email), and running again after a restart what a
stopped server left. Each thread has the export done in a process of a pool as large as the
workers: the workbook is written in Python (XlsxWriter), which the threads of one process could
only take turns at."""

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.links import Links
from smartsessions.portal.mail import Mailer, ReportMail, SendFailed, compose
from smartsessions.portal.requests import ReportRequest, Requests
from smartsessions.portal.routes.page import report_url
from smartsessions.portal.settings import Settings, private_folder
from smartsessions.portal.state import now
from smartsessions.report.export import ExportSummary, export_report
from smartsessions.report.window import Window

log = logging.getLogger("smartsessions.portal")
IDLE_POLL = 1.0  # seconds an idle worker waits before looking again (requests are also signalled)
STOP_WAIT = 5.0  # seconds the server waits for its workers when stopping
PARENT_POLL = 0.5  # seconds between a pool process's looks at whether the server still runs


def summary_of(export: ExportSummary) -> dict:
    """What the email says about a workbook, kept with the request (and any that reuse it)."""
    as_of = export.data_as_of

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "event_name": export.event.event_name,
        "timezone": export.event.timezone,
        "rows": export.rows,
        "last_load": moment(as_of.last_load),
        "last_build": moment(as_of.last_build),
        "last_build_failed": as_of.last_build_failed,
    }


def start_export_process(parent: int) -> None:
    """A process of the pool writes owner-only files, whatever the server's umask (a workbook
    holds attendees' names), and ends when the server does, not before."""
    os.umask(0o077)
    # Ctrl-C in a terminal, or a service manager, signals the whole process group: the server
    # ends its pool itself, leaving the requests being exported to run again at its next start
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_with_parent(parent)


def end_with_parent(parent: int) -> None:
    """A pool process ends when the server does. uvicorn ends by raising again the signal that
    stopped it, which skips the exit handlers that would have told the pool to end."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def export_summary(db: Path, event_id: str, out: Path, window: Window) -> dict:
    """The export of one request, in a process of the pool: what the email needs of it."""
    return summary_of(export_report(db, event_id, out, window))


class Stopping(Exception):
    """The server stopped while the request was being exported."""


class Workers:
    """A fixed number of threads running requests, one at a time each."""

    def __init__(self, settings: Settings, requests: Requests, catalog: Catalog, links: Links):
        self.settings = settings
        self.requests = requests
        self.catalog = catalog
        self.links = links
        self.mailer = Mailer(settings.smtp, settings.outbox)
        self._threads: list[threading.Thread] = []
        self._exports: ProcessPoolExecutor | None = None
        self._stopping = threading.Event()
        self._signal = threading.Condition()
        self._signals = 0

    def start(self) -> None:
        private_folder(self.settings.reports_dir)
        again = self.requests.release_all()
        if again:
            log.info("%d request(s) left queued or running: running them again", again)
        self._stopping.clear()
        self._exports = self._process_pool()
        for number in range(self.settings.workers):
            name = f"report-worker-{number}"
            thread = threading.Thread(target=self._loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop taking requests. One being run is left to finish, or to run again at the next
        start if the process ends first."""
        self._stopping.set()
        self.wake()
        deadline = now() + STOP_WAIT
        for thread in self._threads:
            thread.join(max(0.0, deadline - now()))
        self._threads = []
        self._end_exports()

    def _end_exports(self) -> None:
        """End the pool's processes and wait until the pool has ended: an export still running
        is run again at the next start. A pool left to end on its own after the server was
        stopped by a signal leaves its semaphores to multiprocessing's resource tracker, which
        then warns of "leaked semaphore objects"."""
        # the pool's own processes (Python 3.14 has kill_workers() for it); they ignore SIGTERM
        for process in list((self._exports._processes or {}).values()):
            process.kill()
        self._exports.shutdown(wait=True, cancel_futures=True)
        self._exports = None

    def run_to_end(self, request_ids: list[int]) -> list[ReportRequest]:
        """Run these requests in this thread until each is sent or failed, waiting out the
        pauses before retries (`subscriptions send-due`, with no server running)."""
        private_folder(self.settings.reports_dir)
        self._exports = self._process_pool()
        try:
            waiting = list(request_ids)
            while waiting:
                for request_id in waiting:
                    request = self.requests.claim(request_id)
                    if request is not None:
                        self.run(request)
                found = [self.requests.get(request_id) for request_id in waiting]
                waiting = [r.request_id for r in found if r and r.state not in ("sent", "failed")]
                if waiting:
                    time.sleep(self._idle_seconds())
        finally:
            self._exports.shutdown(wait=True)
        return [r for r in map(self.requests.get, request_ids) if r is not None]

    def _process_pool(self) -> ProcessPoolExecutor:
        # spawn: a fork of a process running threads may inherit a lock held by one of them
        spawn = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self.settings.workers,
            mp_context=spawn,
            initializer=start_export_process,
            initargs=(os.getpid(),),
        )

    def wake(self) -> None:
        with self._signal:
            self._signals += 1
            self._signal.notify_all()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._signal:
                seen = self._signals
            request = self.requests.claim()
            if request is not None:
                self.run(request)
                continue
            with self._signal:
                if self._signals == seen and not self._stopping.is_set():
                    self._signal.wait(self._idle_seconds())

    def _idle_seconds(self) -> float:
        due = self.requests.next_due()
        return IDLE_POLL if due is None else min(IDLE_POLL, max(0.01, due - now()))

    def run(self, claimed: ReportRequest) -> None:
        """Export (or reuse) and send one request, recording how it went. A request whose
        account was removed meanwhile is gone from the state, and one whose grant or
        subscription ended meanwhile fails saying so: nothing is sent."""
        try:
            request = claimed
            if self.requests.refusal(request) is None and not request.ready:
                self._make_workbook(request)
                request = self.requests.get(request.request_id)
            if request is None:
                return
            # checked again: an export takes a while
            if (refused := self.requests.refusal(request)) is not None:
                self.requests.finish(request, "failed", refused)
                return
            self._send(request)
        except Stopping:
            log.info("request %d: left to run again at the next start", claimed.request_id)
        except SmartSessionsError as error:  # e.g. the database is not built any more
            log.warning("request %d failed: %s", claimed.request_id, error)
            self.requests.finish(claimed, "failed", str(error))
        except Exception:  # a bug: the log has the traceback, the page a short reason
            log.exception("request %d failed", claimed.request_id)
            self.requests.finish(claimed, "failed", "internal error (see the server's log)")

    def _make_workbook(self, request: ReportRequest) -> None:
        started = now()
        publication = self.catalog.publication()
        earlier = self.requests.reusable(request, publication)
        if earlier is not None:
            self.requests.exported(
                request, earlier.workbook, earlier.summary, publication, earlier.request_id
            )
            log.info(
                "request %d: reusing the workbook of request %d",
                request.request_id,
                earlier.request_id,
            )
            return
        out = self.settings.reports_dir / f"{request.request_id}-{request.download_name}"
        summary = self._export(request, out) | {"has_activity": self._has_activity(request)}
        # The same publication before and after: the export read that one (see Catalog).
        same = self.catalog.publication() == publication
        self.requests.exported(request, out, summary, publication if same else None)
        log.info(
            "request %d: %s %s exported in %.1f s",
            request.request_id,
            request.event_id,
            request.window.describe(),
            now() - started,
        )

    def _has_activity(self, request: ReportRequest) -> bool:
        """What the report page said of the window (catalog.py), kept with the summary so that
        the email, and a reuse of the workbook, say the same."""
        app = self.catalog.event_apps().get(request.event_id)
        return app is None or app.has_activity(request.window)

    def _export(self, request: ReportRequest, out: Path) -> dict:
        db, event_id, window = self.settings.db_path, request.event_id, request.window
        try:
            return self._exports.submit(export_summary, db, event_id, out, window).result()
        except BrokenProcessPool as broken:  # a process of the pool was killed (out of memory?)
            if self._stopping.is_set():  # by stop(): the request runs again at the next start
                raise Stopping() from broken
            self._exports = self._process_pool()
            message = "the export stopped unexpectedly; ask for the report again"
            raise SmartSessionsError(message) from broken

    def _manage_link(self, request: ReportRequest) -> str | None:
        """A subscription's email links to the report page, where it is listed."""
        if request.subscription_id is None:
            return None
        return f"{self.settings.base_url}{report_url(request.event_id)}#subscriptions"

    def _send(self, request: ReportRequest) -> None:
        link, claim = self.links.make(request.request_id, request.account_id)
        summary = request.summary

        def moment(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        report = ReportMail(
            to=request.email,
            event_id=request.event_id,
            event_name=summary["event_name"],
            timezone=summary["timezone"],
            window=request.window,
            rows=summary["rows"],
            last_load=moment(summary["last_load"]),
            last_build=moment(summary["last_build"]),
            last_build_failed=summary["last_build_failed"],
            link=link,
            link_expires=claim.expires,
            workbook=request.workbook,
            filename=request.download_name,
            manage=self._manage_link(request),
            has_activity=summary.get("has_activity", True),  # unknown to an older summary
        )
        message = compose(report, self.settings.mail_from, self.settings.attach_max_mb)
        attempts = request.send_attempts + 1
        try:
            self.mailer.send(message, f"request-{request.request_id}")
        except SendFailed as failed:
            pauses = self.settings.retry_seconds
            if failed.retry and attempts <= len(pauses):
                log.warning("request %d: send failed (%s), retrying", request.request_id, failed)
                retry_at = now() + pauses[attempts - 1]
                self.requests.retry_later(request, failed.reply, attempts, retry_at)
                self.wake()
            else:
                log.warning("request %d: send failed (%s)", request.request_id, failed)
                self.requests.finish(request, "failed", failed.reply, attempts)
            return
        self.requests.finish(request, "sent", None, attempts)
        log.info("request %d: sent", request.request_id)
