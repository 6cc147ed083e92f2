"""Helpers for the portal's tests: the hand-made delivery built into a database (with markup in
the other tenant's event name, and an event app whose code a URL would split), settings in a
temporary folder, accounts, forms posted with their CSRF token, and a real SMTP server that
answers as told."""

import csv
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.portal.accounts import Accounts
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.settings import Settings
from smartsessions.portal.state import State

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
MARKUP_NAME = "<script>alert('x')</script> & Co"  # OTH26's name in the portal's database
ODD = "Q&A/26 ?#%+é"  # an event app (without activity) whose code a URL path would split
PASSWORD = "correct horse battery staple"
ANN, BOB = "ann@example.com", "bob@example.org"  # LDN26's organiser, OTH26's
SECRET = "a-test-signing-key-" + "k" * 40
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/download/[A-Za-z0-9_.\-]+")


def build_portal_db(folder: Path) -> Path:
    """The hand-made delivery, with OTH26 named in markup, loaded and built (and published)."""
    delivery = folder / "delivery"
    shutil.copytree(FIXTURE, delivery)
    apps = delivery / "event_apps.csv"
    name = MARKUP_NAME.replace('"', '""')
    apps.write_text(apps.read_text().replace("OTH26,Other Event,", f'OTH26,"{name}",'))
    with apps.open("a", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow([ODD, "Odd Codes", "Europe/Paris"])
    db = folder / "portal.duckdb"
    load_delivery(db, delivery)
    run_build(db)
    return db


def settings_for(db: Path, folder: Path, **changes) -> Settings:
    """Settings for a test: nothing from this machine's environment, state and mail in
    `folder`, retries after a few hundredths of a second."""
    folder.mkdir(parents=True, exist_ok=True)
    base = Settings.from_environ(db, environ={}, base_url="http://testserver")
    defaults = {
        "app_db": folder / "portal.sqlite3",
        "outbox": folder / "outbox",
        "reports_dir": folder / "reports",
        "secret_key": SECRET,
        "retry_seconds": (0.05, 0.1),
        "workers": 2,
    }
    return replace(base, **(defaults | changes))


def accounts(settings: Settings) -> Accounts:
    return Accounts(State(settings.app_db), Catalog(settings.db_path))


def add_people(settings: Settings) -> None:
    """Ann sees LDN26, Bob sees OTH26."""
    people = accounts(settings)
    people.add(ANN, PASSWORD, ["LDN26"])
    people.add(BOB, PASSWORD, ["OTH26"])


def csrf_of(page: str) -> str:
    return CSRF.search(page).group(1)


def post_form(client, page: str, action: str | None = None, **fields):
    """Open `page`, then post its form (to `action`, else to the page) with the page's token."""
    token = csrf_of(client.get(page).text)
    return client.post(action or page, data={"csrf_token": token, **fields}, follow_redirects=False)


def log_in(client, email: str, password: str = PASSWORD, next_page: str = "/events"):
    return post_form(client, "/login", email=email, password=password, next=next_page)


def client_of(app, email: str | None = None):
    """A test client of the app, logged in as `email` when given."""
    client = TestClient(app)
    if email:
        assert log_in(client, email).status_code == 303
    return client


def request_report(client, code: str, start: str, end: str):
    page = f"/events/{quote(code, safe='')}/smart-sessions/report"
    return post_form(client, page, **{"from": start, "to": end})


def wait_until(check, timeout: float = 30, what: str = "the condition"):
    """check()'s first truthy value, looked at every 20 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def request_row(settings: Settings, request_id: int):
    return State(settings.app_db).one("select * from requests where request_id = ?", [request_id])


def finished(settings: Settings, request_id: int):
    """Wait for the request to be sent or failed; its row."""

    def done():
        row = request_row(settings, request_id)
        return row if row["state"] in ("sent", "failed") else None

    return wait_until(done, what=f"request {request_id} to finish")


def read_eml(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def link_in(message: EmailMessage) -> str:
    return LINK.search(message.get_body(("plain",)).get_content()).group(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Sink:
    """An aiosmtpd handler: answers DATA with the scripted replies in turn, then 250; keeps
    what it accepted."""

    replies: list[str] = field(default_factory=list)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    answered: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        reply = self.replies.pop(0) if self.replies else "250 Message accepted for delivery"
        self.answered.append(reply)
        if reply.startswith("250"):
            self.envelopes.append(envelope)
            self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return reply


class SmtpServer:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), on a port of its own."""

    def __init__(self, *replies: str, port: int | None = None, **smtp_parameters):
        self.sink = Sink(list(replies))
        self.port = port or free_port()
        self.controller = Controller(
            self.sink, hostname="127.0.0.1", port=self.port, **smtp_parameters
        )

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[EmailMessage]:
        return self.sink.received


class LiveServer:
    """The app under a real uvicorn server on 127.0.0.1, in a thread of this process."""

    def __init__(self, app, port: int):
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        wait_until(lambda: self.server.started, what="uvicorn to start")
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)
