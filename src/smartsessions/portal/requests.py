"""Report requests as jobs: queued in the portal's state, run by a few worker threads of the
server process (export, then email), and run again after a restart. Each thread has the
export done in a process of a pool as large as the workers: the workbook is written in Python
(XlsxWriter), which the threads of one process could only take turns at.

A request is `queued`, then `running` (exporting, then sending), then `sent` or `failed` with
the reason. A send that may work later waits `retry_seconds` (30 s, then 120 s) and is tried
again, a third failure fails the request. A request for the same event app and window as an
earlier one made from the same publication sends that workbook instead of exporting again.
"""

import json
import logging
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.links import Links
from smartsessions.portal.mail import Mailer, ReportMail, SendFailed, compose
from smartsessions.portal.sessions import Person
from smartsessions.portal.settings import Settings, private_folder
from smartsessions.portal.state import State, now
from smartsessions.report.export import ExportSummary, export_report
from smartsessions.report.tabs import Window

log = logging.getLogger("smartsessions.portal")
HOUR = 3600
RECENT = 10  # requests listed on the report and Requested pages
IDLE_POLL = 1.0  # seconds an idle worker waits before looking again (requests are also signalled)
STOP_WAIT = 5.0  # seconds the server waits for its workers when stopping
PARENT_POLL = 0.5  # seconds between a pool process's looks at whether the server still runs


@dataclass(frozen=True)
class Request:
    request_id: int
    account_id: int
    email: str
    event_id: str
    window: Window
    state: str
    reason: str | None
    requested_at: float
    send_attempts: int
    workbook: Path | None
    summary: dict | None
    reused_from: int | None

    @classmethod
    def from_row(cls, row) -> "Request":
        def day(text):
            return date.fromisoformat(text) if text else None

        return cls(
            request_id=row["request_id"],
            account_id=row["account_id"],
            email=row["email"],
            event_id=row["event_id"],
            window=Window(day(row["window_from"]), day(row["window_to"])),
            state=row["state"],
            reason=row["reason"],
            requested_at=row["requested_at"],
            send_attempts=row["send_attempts"],
            workbook=Path(row["workbook"]) if row["workbook"] else None,
            summary=json.loads(row["summary"]) if row["summary"] else None,
            reused_from=row["reused_from"],
        )

    @property
    def shown_state(self) -> str:
        """The state as the pages show it, with the reason of a failure or of a retry."""
        if self.state == "failed":
            return f"failed ({self.reason})"
        if self.state == "running" and self.reason:
            return f"running (the email will be tried again: {self.reason})"
        return self.state

    @property
    def ready(self) -> bool:
        return self.workbook is not None and self.workbook.is_file()

    @property
    def requested(self) -> datetime:
        return datetime.fromtimestamp(self.requested_at, UTC)

    @property
    def download_name(self) -> str:
        """The workbook's name for the person: smart-sessions-CODE-FROM-to-TO.xlsx."""
        start, end = self.window.start or "start", self.window.end or "end"
        dates = "all-history" if self.window.is_open else f"{start}-to-{end}"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"smart-sessions-{self.event_id}-{dates}.xlsx")


class RateLimited(Exception):
    def __init__(self, per_hour: int, retry_at: float):
        super().__init__(f"at most {per_hour} requests an hour")
        self.per_hour = per_hour
        self.retry_at = datetime.fromtimestamp(retry_at, UTC)


class Requests:
    """The requests in the portal's state (every query about them is here)."""

    def __init__(self, state: State):
        self.state = state

    def submit(self, person: Person, event_id: str, window: Window, per_hour: int) -> int:
        """Queue a request, unless the person asked `per_hour` times in the last hour."""
        moment = now()
        with self.state.transaction() as con:
            times = con.execute(
                "select requested_at from requests where account_id = ? and requested_at > ?"
                " order by requested_at",
                [person.account_id, moment - HOUR],
            ).fetchall()
            if len(times) >= per_hour:
                raise RateLimited(per_hour, times[len(times) - per_hour][0] + HOUR)
            request_id = _next_request_number(con)
            con.execute(
                "insert into requests (request_id, account_id, email, event_id, window_from,"
                " window_to, requested_at) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    request_id,
                    person.account_id,
                    person.email,
                    event_id,
                    _day(window.start),
                    _day(window.end),
                    moment,
                ],
            )
        return request_id

    def get(self, request_id: int) -> Request | None:
        row = self.state.one("select * from requests where request_id = ?", [request_id])
        return Request.from_row(row) if row else None

    def of_person(self, person: Person, request_id: int) -> Request | None:
        """The person's request, when they may still see its event app."""
        request = self.get(request_id)
        if request is None or request.account_id != person.account_id:
            return None
        return request if person.may_see(request.event_id) else None

    def recent(self, person: Person, event_id: str) -> list[Request]:
        rows = self.state.all(
            "select * from requests where account_id = ? and event_id = ?"
            " order by request_id desc limit ?",
            [person.account_id, event_id, RECENT],
        )
        return [Request.from_row(row) for row in rows]

    # --- the workers' side ---

    def release_all(self) -> int:
        """At start: what a stopped server left queued or running is to be run again now."""
        return self.state.run(
            "update requests set claimed = 0, next_try_at = null"
            " where state in ('queued', 'running')"
        ).rowcount

    def claim(self) -> Request | None:
        """The oldest request due, now held by the calling worker."""
        moment = now()
        with self.state.transaction() as con:
            row = con.execute(
                "select request_id from requests where state in ('queued', 'running')"
                " and claimed = 0 and (next_try_at is null or next_try_at <= ?)"
                " order by request_id limit 1",
                [moment],
            ).fetchone()
            if row is None:
                return None
            con.execute(
                "update requests set claimed = 1, state = 'running', next_try_at = null,"
                " started_at = coalesce(started_at, ?) where request_id = ?",
                [moment, row[0]],
            )
        return self.get(row[0])

    def next_due(self) -> float | None:
        row = self.state.one(
            "select min(next_try_at) from requests where state = 'running' and claimed = 0"
        )
        return row[0]

    def allowed(self, request: Request) -> bool:
        """Whether the account still exists and may still see the event app."""
        return (
            self.state.one(
                "select 1 from grants where account_id = ? and event_id = ?",
                [request.account_id, request.event_id],
            )
            is not None
        )

    def reusable(self, request: Request, publication: str) -> Request | None:
        """An earlier request's workbook of the same event app, window and publication."""
        rows = self.state.all(
            "select * from requests where event_id = ? and window_from is ? and window_to is ?"
            " and published_at = ? and workbook is not null and request_id < ?"
            " order by request_id desc",
            [
                request.event_id,
                _day(request.window.start),
                _day(request.window.end),
                publication,
                request.request_id,
            ],
        )
        found = (Request.from_row(row) for row in rows)
        return next((earlier for earlier in found if earlier.ready), None)

    def exported(
        self,
        request: Request,
        workbook: Path,
        summary: dict,
        publication: str | None,
        reused_from: int | None = None,
    ) -> None:
        self.state.run(
            "update requests set workbook = ?, summary = ?, published_at = ?, reused_from = ?"
            " where request_id = ?",
            [str(workbook), json.dumps(summary), publication, reused_from, request.request_id],
        )

    def retry_later(self, request: Request, reply: str, attempts: int, at: float) -> None:
        self.state.run(
            "update requests set claimed = 0, reason = ?, send_attempts = ?, next_try_at = ?"
            " where request_id = ?",
            [reply, attempts, at, request.request_id],
        )

    def finish(self, request: Request, state: str, reason: str | None = None, attempts=None):
        self.state.run(
            "update requests set state = ?, reason = ?, claimed = 0, finished_at = ?,"
            " send_attempts = coalesce(?, send_attempts) where request_id = ?",
            [state, reason, now(), attempts, request.request_id],
        )


def _next_request_number(con) -> int:
    """A number no request has had, in the caller's write transaction."""
    return con.execute(
        "insert into counters values"
        " ('requests', (select coalesce(max(request_id), 0) + 1 from requests))"
        " on conflict (name) do update set last = last + 1 returning last"
    ).fetchone()[0]


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


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
    holds attendees' names), and ends when the server does."""
    os.umask(0o077)
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
        self._exports.shutdown(wait=False, cancel_futures=True)

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

    def run(self, claimed: Request) -> None:
        """Export (or reuse) and send one request, recording how it went. A request whose
        account was removed meanwhile is gone from the state: nothing is sent."""
        try:
            request = claimed
            if self.requests.allowed(request) and not request.ready:
                self._make_workbook(request)
                request = self.requests.get(request.request_id)
            if request is None:
                return
            if not self.requests.allowed(request):  # checked again: an export takes a while
                self.requests.finish(request, "failed", "the event app is no longer available")
                return
            self._send(request)
        except SmartSessionsError as error:  # e.g. the database is not built any more
            log.warning("request %d failed: %s", claimed.request_id, error)
            self.requests.finish(claimed, "failed", str(error))
        except Exception:  # a bug: the log has the traceback, the page a short reason
            log.exception("request %d failed", claimed.request_id)
            self.requests.finish(claimed, "failed", "internal error (see the server's log)")

    def _make_workbook(self, request: Request) -> None:
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
        summary = self._export(request, out)
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

    def _export(self, request: Request, out: Path) -> dict:
        db, event_id, window = self.settings.db_path, request.event_id, request.window
        try:
            return self._exports.submit(export_summary, db, event_id, out, window).result()
        except BrokenProcessPool as broken:  # a process of the pool was killed (out of memory?)
            self._exports = self._process_pool()
            message = "the export stopped unexpectedly; ask for the report again"
            raise SmartSessionsError(message) from broken

    def _send(self, request: Request) -> None:
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
