"""The portal under a bounded load on loopback: page latency, and request to email.

Usage: portal.py DB [--clients 20] [--pages 50] [--workers 4] [--json]

`smartsessions serve` runs as a process of its own on a built database, with its state, reports
and outbox in a temporary folder (mail goes to the outbox: the .eml file appearing is the
email sent). CLIENTS people, each an account of their own, log in; then each asks for PAGES
pages (the event, the event app, Smart Sessions and the report page, in turn), all at once,
each waiting for its answer before asking again; then each asks for one report of one day (the
busiest event-app days, one each), all at once, served by WORKERS workers. Then, on a portal
of fresh state (no workbook to reuse), 5 of those reports are asked for one after another,
each once the one before has arrived: the time one organiser waits when nobody else is asking.
It prints the pages' p50 and p95 latency and request to email (from sending the form to the
message in the outbox) for both, or the figures as JSON with --json.
"""

import argparse
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx2

from smartsessions.portal.accounts import Accounts
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.state import State
from smartsessions.workspace import Workspace

SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
PASSWORD = "a benchmark password"
CSRF = 'name="csrf_token" value="'
LONE_REQUESTS = 5  # one-day reports asked for one after another, nothing else queued


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def busiest_days(db: Path, count: int) -> list[tuple[str, str]]:
    """The `count` busiest (event app, local day) pairs, as the export latency bench takes."""
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        rows = con.execute(
            "select event_id, cast(activity_date as varchar) from marts.user_room_days"
            " group by all order by count(*) desc, 1, 2 limit ?",
            [count],
        ).fetchall()
    return [rows[n % len(rows)] for n in range(count)]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def token(page: str) -> str:
    start = page.index(CSRF) + len(CSRF)
    return page[start : page.index('"', start)]


class Portal:
    """`smartsessions serve` on a free port, its state in `work`."""

    def __init__(self, db: Path, work: Path, workers: int, people: int):
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTSESSIONS_")}
        self.env |= {
            "SMARTSESSIONS_APP_DB": str(work / "portal.sqlite3"),
            "SMARTSESSIONS_OUTBOX": str(work / "outbox"),
            "SMARTSESSIONS_REPORTS": str(work / "reports"),
            "SMARTSESSIONS_SECRET_KEY": secrets.token_urlsafe(48),
            "SMARTSESSIONS_WORKERS": str(workers),
            "SMARTSESSIONS_REQUESTS_PER_HOUR": str(people + 10),
        }
        self.db = db

    def __enter__(self) -> "Portal":
        command = [SMARTSESSIONS, "serve", "--db", str(self.db), "--port", str(self.port)]
        self.log = (self.work / "serve.log").open("wb")
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{self.url}/login").status_code == 200:
                    return self
            except httpx2.TransportError:
                time.sleep(0.05)
        raise SystemExit(f"the portal did not start: {(self.work / 'serve.log').read_text()}")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


def log_in(url: str, email: str) -> httpx2.Client:
    client = httpx2.Client(base_url=url, follow_redirects=False, timeout=120)
    fields = {"email": email, "password": PASSWORD, "next": "/events"}
    answer = client.post("/login", data={"csrf_token": token(client.get("/login").text), **fields})
    assert answer.status_code == 303, answer.text
    return client


def all_at_once(count: int, work) -> list:
    """work(n) for n in range(count), each on a thread of its own, started together."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(n: int) -> None:
        start.wait()
        results[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def measure(db: Path, clients: int, pages: int, workers: int) -> dict:
    days = busiest_days(db, clients)
    with served(db, workers, clients, days) as (portal, sessions):
        page_seconds = [
            s for client in all_at_once(clients, browse(sessions, days, pages)) for s in client
        ]
        report_seconds = request_reports(sessions, days, portal.work / "outbox", all_at_once)
        # where the time went: waiting for a worker, then the export and the send
        worked = State(portal.work / "portal.sqlite3").all(
            "select started_at - requested_at, finished_at - started_at from requests"
        )
    # A fresh portal (no workbook to reuse): the same days asked for one after another.
    alone = min(LONE_REQUESTS, clients)
    with served(db, workers, alone, days[:alone]) as (portal, sessions):
        alone_seconds = request_reports(sessions, days[:alone], portal.work / "outbox", one_by_one)
    return {
        "clients": clients,
        "pages_per_client": pages,
        "workers": workers,
        "page_p50_ms": statistics.median(page_seconds) * 1000,
        "page_p95_ms": percentile(page_seconds, 0.95) * 1000,
        "requests": len(report_seconds),
        "request_to_email_p50_s": statistics.median(report_seconds),
        "request_to_email_p95_s": percentile(report_seconds, 0.95),
        "queued_p95_s": percentile([queued for queued, _ in worked], 0.95),
        "export_and_send_p50_s": statistics.median(run for _, run in worked),
        "export_and_send_p95_s": percentile([run for _, run in worked], 0.95),
        "alone_requests": alone,
        "alone_p50_s": statistics.median(alone_seconds),
        "alone_max_s": max(alone_seconds),
    }


@contextmanager
def served(db: Path, workers: int, clients: int, days: list[tuple[str, str]]):
    """A portal of its own state on `db`, and `clients` people logged in to it."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        work = Path(folder)
        people = Accounts(State(work / "portal.sqlite3"), Catalog(db))
        codes = sorted({event for event, _ in days})
        emails = [f"organiser{n}@example.com" for n in range(clients)]
        for email in emails:
            people.add(email, PASSWORD, codes)
        with Portal(db, work, workers, clients) as portal:
            sessions = [log_in(portal.url, email) for email in emails]
            try:
                yield portal, sessions
            finally:
                for session in sessions:
                    session.close()


def browse(sessions: list, days: list[tuple[str, str]], pages: int):
    """Client n's walk: `pages` pages of its event app, in turn, timed one by one."""

    def walk(n: int) -> list[float]:
        code = days[n][0]
        paths = [
            "/events",
            f"/events/{code}",
            f"/events/{code}/smart-sessions",
            f"/events/{code}/smart-sessions/report",
        ]
        seconds = []
        for number in range(pages):
            started = time.perf_counter()
            answer = sessions[n].get(paths[number % len(paths)])
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.status_code
        return seconds

    return walk


def one_by_one(count: int, work) -> list:
    return [work(n) for n in range(count)]


def request_reports(sessions, days, outbox: Path, how) -> list[float]:
    """Each client asks for one day's report, `how` says when (all_at_once or one_by_one, each
    waiting for its email): seconds from sending the form to its message in the outbox."""
    forms = []
    for session, (code, _) in zip(sessions, days, strict=True):
        page = f"/events/{code}/smart-sessions/report"
        forms.append((page, token(session.get(page).text)))

    def ask(n: int) -> tuple[float, int, float | None]:
        page, csrf = forms[n]
        day = days[n][1]
        started = time.monotonic()
        answer = sessions[n].post(page, data={"csrf_token": csrf, "from": day, "to": day})
        assert answer.status_code == 303, answer.text
        request_id = int(answer.headers["location"].rsplit("/", 1)[1])
        alone = wait_for_emails(outbox, [request_id])[request_id] if how is one_by_one else None
        return started, request_id, alone

    asked = how(len(sessions), ask)
    if how is one_by_one:
        return [alone - started for started, _, alone in asked]
    arrived = wait_for_emails(outbox, [request_id for _, request_id, _ in asked])
    return [arrived[request_id] - started for started, request_id, _ in asked]


def wait_for_emails(outbox: Path, request_ids: list[int]) -> dict[int, float]:
    """When each request's message appeared in the outbox (polled every 10 ms)."""
    arrived: dict[int, float] = {}
    deadline = time.monotonic() + 600
    while len(arrived) < len(request_ids) and time.monotonic() < deadline:
        for request_id in request_ids:
            if request_id not in arrived and (outbox / f"request-{request_id}.eml").exists():
                arrived[request_id] = time.monotonic()
        time.sleep(0.01)
    if len(arrived) < len(request_ids):
        raise SystemExit(f"only {len(arrived)} of {len(request_ids)} emails arrived")
    return arrived


def describe(figures: dict) -> list[str]:
    return [
        f"portal pages ({figures['clients']} clients x {figures['pages_per_client']}):"
        f" p50 {figures['page_p50_ms']:.0f} ms, p95 {figures['page_p95_ms']:.0f} ms",
        f"portal request to email ({figures['requests']} one-day reports,"
        f" {figures['workers']} workers): p50 {figures['request_to_email_p50_s']:.2f} s,"
        f" p95 {figures['request_to_email_p95_s']:.2f} s (waiting for a worker: p95"
        f" {figures['queued_p95_s']:.2f} s; export and send: p50"
        f" {figures['export_and_send_p50_s']:.2f} s, p95 {figures['export_and_send_p95_s']:.2f} s)",
        f"portal request to email, {figures['alone_requests']} one-day reports one after"
        f" another: p50 {figures['alone_p50_s']:.2f} s, max {figures['alone_max_s']:.2f} s",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="a built database")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure(args.db.resolve(), args.clients, args.pages, args.workers)
    print(json.dumps(figures) if args.json else "\n".join(describe(figures)))


if __name__ == "__main__":
    main()
