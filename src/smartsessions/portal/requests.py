"""Report requests: the request (`ReportRequest`) and its storage in the portal's state. A
request is `queued`, then `running` (exporting, then sending), then `sent` or `failed` with the
reason; `workers.py` runs them.

A send that may work later waits `retry_seconds` (30 s, then 120 s) and is tried again, a third
failure fails the request. A request for the same event app and window as an earlier one made
from the same publication sends that workbook instead of exporting again.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from smartsessions.portal.sessions import Person
from smartsessions.portal.state import State, now
from smartsessions.report.window import Window

HOUR = 3600
RECENT = 10  # requests listed on the report and Requested pages


@dataclass(frozen=True)
class ReportRequest:
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
    subscription_id: int | None  # the subscription it was sent for, if any

    @classmethod
    def from_row(cls, row) -> "ReportRequest":
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
            subscription_id=row["subscription_id"],
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
            times = con.execute(  # a subscription's requests are the server's, not counted
                "select requested_at from requests where account_id = ? and requested_at > ?"
                " and subscription_id is null order by requested_at",
                [person.account_id, moment - HOUR],
            ).fetchall()
            if len(times) >= per_hour:
                raise RateLimited(per_hour, times[len(times) - per_hour][0] + HOUR)
            request_id = add_request(con, person.account_id, person.email, event_id, window, moment)
        return request_id

    def get(self, request_id: int) -> ReportRequest | None:
        row = self.state.one("select * from requests where request_id = ?", [request_id])
        return ReportRequest.from_row(row) if row else None

    def of_person(self, person: Person, request_id: int) -> ReportRequest | None:
        """The person's request, when they may still see its event app."""
        request = self.get(request_id)
        if request is None or request.account_id != person.account_id:
            return None
        return request if person.may_see(request.event_id) else None

    def recent(self, person: Person, event_id: str) -> list[ReportRequest]:
        rows = self.state.all(
            "select * from requests where account_id = ? and event_id = ?"
            " order by request_id desc limit ?",
            [person.account_id, event_id, RECENT],
        )
        return [ReportRequest.from_row(row) for row in rows]

    # --- the workers' side ---

    def release_all(self) -> int:
        """At start: what a stopped server left queued or running is to be run again now."""
        return self.state.run(
            "update requests set claimed = 0, next_try_at = null"
            " where state in ('queued', 'running')"
        ).rowcount

    def claim(self, request_id: int | None = None) -> ReportRequest | None:
        """The oldest request due (or this one, if due), now held by the calling worker."""
        moment = now()
        with self.state.transaction() as con:
            row = con.execute(
                "select request_id from requests where state in ('queued', 'running')"
                " and claimed = 0 and (next_try_at is null or next_try_at <= ?)"
                " and (? is null or request_id = ?) order by request_id limit 1",
                [moment, request_id, request_id],
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

    def refusal(self, request: ReportRequest) -> str | None:
        """Why the request may not be sent any more (None: it may): the account was removed or
        may no longer see the event app, or the subscription it was made for was cancelled
        while it waited for a worker."""
        granted = self.state.one(
            "select 1 from grants where account_id = ? and event_id = ?",
            [request.account_id, request.event_id],
        )
        if granted is None:
            return "the event app is no longer available"
        if request.subscription_id is not None and (
            self.state.one(
                "select 1 from subscriptions where subscription_id = ?", [request.subscription_id]
            )
            is None
        ):
            return "the subscription was cancelled before this was sent"
        return None

    def reusable(self, request: ReportRequest, publication: str) -> ReportRequest | None:
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
        found = (ReportRequest.from_row(row) for row in rows)
        return next((earlier for earlier in found if earlier.ready), None)

    def exported(
        self,
        request: ReportRequest,
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

    def retry_later(self, request: ReportRequest, reply: str, attempts: int, at: float) -> None:
        self.state.run(
            "update requests set claimed = 0, reason = ?, send_attempts = ?, next_try_at = ?"
            " where request_id = ?",
            [reply, attempts, at, request.request_id],
        )

    def finish(self, request: ReportRequest, state: str, reason: str | None = None, attempts=None):
        self.state.run(
            "update requests set state = ?, reason = ?, claimed = 0, finished_at = ?,"
            " send_attempts = coalesce(?, send_attempts) where request_id = ?",
            [state, reason, now(), attempts, request.request_id],
        )


def add_request(
    con,
    account_id: int,
    email: str,
    event_id: str,
    window: Window,
    moment: float,
    subscription: tuple[int, int] | None = None,
) -> int:
    """Queue a request in the caller's write transaction; its number. A subscription's names
    the subscription and its due time (unique together)."""
    request_id = _next_request_number(con)
    subscription_id, due_at = subscription or (None, None)
    con.execute(
        "insert into requests (request_id, account_id, email, event_id, window_from, window_to,"
        " requested_at, subscription_id, due_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            request_id,
            account_id,
            email,
            event_id,
            _day(window.start),
            _day(window.end),
            moment,
            subscription_id,
            due_at,
        ],
    )
    return request_id


def _next_request_number(con) -> int:
    """A number no request has had, in the caller's write transaction."""
    return con.execute(
        "insert into counters values"
        " ('requests', (select coalesce(max(request_id), 0) + 1 from requests))"
        " on conflict (name) do update set last = last + 1 returning last"
    ).fetchone()[0]


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None
