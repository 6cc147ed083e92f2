"""Pages that never leave the organiser guessing (issue 24, points 1, 2 and 7), through the ASGI
test client and a real SMTP server: the report page names the range with activity and warns of a
window without any, whose email says so; an emailed link opened logged out says why the log-in,
then starts the download; a code the person may not see lists the ones they can; times in the
event app's time zone, named; a base URL without a scheme stops `serve`, and stopping `serve`
leaves no semaphore behind.

Expectations from tests/fixtures/delivery: LDN26 (Europe/London, 2 rooms) has counted activity
on the local dates 2026-03-29 and 2026-03-30; the event app ODD has none.
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from portal_kit import (
    ANN,
    ODD,
    PASSWORD,
    SmtpServer,
    accounts,
    add_people,
    client_of,
    csrf_of,
    finished,
    free_port,
    link_in,
    log_in,
    request_report,
    request_row,
    settings_for,
    wait_until,
)
from starlette.testclient import TestClient
from test_portal_browser import smtp  # noqa: F401 (a fixture: the real SMTP server)
from typer.testing import CliRunner

from smartsessions.cli import app as cli
from smartsessions.portal import requests as portal_requests
from smartsessions.portal.app import create_app
from smartsessions.portal.settings import Smtp

REPORT = "/events/LDN26/smart-sessions/report"
OLGA = "olga@example.com"  # sees ODD only
NO_ACTIVITY_TABS = [  # a window without activity: every tab but the rooms' is empty
    "High Level (detailed view): 2 rows",
    "User by countries: 0 rows",
    "Usage graph: 0 rows",
    "Usage (detailed view): 0 rows",
    "User engagement (high level): 0 rows",
    "User engagement (bubble): 0 rows",
    "User engagement (teleport): 0 rows",
    "Time in rooms: 0 rows",
    "Room occupancy: 0 rows",
]
SMARTSESSIONS = Path(sys.executable).with_name("smartsessions")


@pytest.fixture(scope="module")
def settings(portal_db, smtp, tmp_path_factory):  # noqa: F811
    settings = settings_for(
        portal_db,
        tmp_path_factory.mktemp("guidance"),
        smtp=Smtp("127.0.0.1", smtp.port, timeout=10),
    )
    add_people(settings)
    accounts(settings).add(OLGA, PASSWORD, [ODD])
    return settings


@pytest.fixture(scope="module")
def app(settings):
    app = create_app(settings)
    with TestClient(app):  # the workers run for the whole module
        yield app


def shown(page: str, css_class: str) -> list[str]:
    """The texts of the page's paragraphs of a class, whitespace as a reader sees it."""
    found = re.findall(rf'<p class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</p>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", text).split()) for text in found]


def message_for(server: SmtpServer, subject_start: str):
    return wait_until(
        lambda: next((m for m in server.received if m["Subject"].startswith(subject_start)), None),
        what=f"the email {subject_start!r}",
    )


def test_the_report_page_names_the_range_with_activity(app):
    ann = client_of(app, ANN)
    page = ann.get(REPORT).text
    assert shown(page, "activity") == [
        "Activity from 2026-03-29 to 2026-03-30 (local dates, Europe/London);"
        " the dates are filled in with it."
    ]
    assert shown(page, "warning") == []
    # a window the "request again" link carries: the range is named, not said to fill the dates
    overlapping = ann.get(f"{REPORT}?from=2026-03-30&to=2026-04-02").text
    assert shown(overlapping, "activity") == [
        "Activity from 2026-03-29 to 2026-03-30 (local dates, Europe/London)."
    ]
    assert shown(overlapping, "warning") == []


@pytest.mark.parametrize(
    ("start", "end", "warning"),
    [
        ("2026-04-01", "2026-04-02", "No activity between 2026-04-01 and 2026-04-02"),
        ("2026-03-01", "2026-03-28", "No activity between 2026-03-01 and 2026-03-28"),
        ("2026-03-31", "", "No activity from 2026-03-31 on"),
        ("", "2026-03-28", "No activity up to 2026-03-28"),
    ],
)
def test_a_window_without_activity_is_warned_of_before_download(app, start, end, warning):
    page = client_of(app, ANN).get(f"{REPORT}?from={start}&to={end}").text
    assert shown(page, "warning") == [
        f"{warning}; this event app has activity from 2026-03-29 to 2026-03-30."
        " You can still ask for the report: its email will say so."
    ]
    # before the Download button
    assert page.index('class="warning"') < page.index(">Download</button>")


def test_an_event_app_without_activity_says_so(app):
    page = client_of(app, OLGA).get(
        f"/events/{urllib.parse.quote(ODD, safe='')}/smart-sessions/report"
    )
    assert page.status_code == 200
    assert shown(page.text, "activity") == []
    assert shown(page.text, "warning") == [
        "This event app has no activity yet. You can still ask for the report: its email will"
        " say so."
    ]


def test_a_report_without_activity_says_so_in_its_email(app, settings, smtp):  # noqa: F811
    ann = client_of(app, ANN)
    answer = request_report(ann, "LDN26", "2026-04-01", "2026-04-02")
    assert answer.status_code == 303
    request_id = int(answer.headers["location"].rsplit("/", 1)[1])
    requested = ann.get(answer.headers["location"]).text
    assert shown(requested, "warning") == [
        "No activity between 2026-04-01 and 2026-04-02; this event app has activity from"
        " 2026-03-29 to 2026-03-30. The report is sent anyway, and its email says so."
    ]
    assert finished(settings, request_id)["state"] == "sent"
    subject = "Smart Sessions report — LDN26 — 2026-04-01 to 2026-04-02"
    message = message_for(smtp, subject)
    assert message["Subject"] == f"{subject} — no activity"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    lines = text.splitlines()
    assert lines[:2] == ["No activity in this window", "Your Smart Sessions report is ready."]
    assert [line for line in lines if line.endswith(" rows")] == NO_ACTIVITY_TABS
    assert re.search(r"^Data as of: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", text, re.M)
    html = message.get_body(("html",)).get_content()
    assert re.search(r"<body><p>No activity in this window</p>", html)
    # the same window again reuses the workbook, and says the same
    again = request_report(ann, "LDN26", "2026-04-01", "2026-04-02")
    again_id = int(again.headers["location"].rsplit("/", 1)[1])
    assert finished(settings, again_id)["reused_from"] == request_id
    wait_until(lambda: len([m for m in smtp.received if m["Subject"] == message["Subject"]]) == 2)


def test_a_report_with_activity_has_no_such_line(app, settings, smtp):  # noqa: F811
    ann = client_of(app, ANN)
    answer = request_report(ann, "LDN26", "2026-03-30", "2026-04-02")  # 03-30 has activity
    assert shown(ann.get(answer.headers["location"]).text, "warning") == []
    assert finished(settings, int(answer.headers["location"].rsplit("/", 1)[1]))["state"] == "sent"
    message = message_for(smtp, "Smart Sessions report — LDN26 — 2026-03-30 to 2026-04-02")
    assert message["Subject"] == "Smart Sessions report — LDN26 — 2026-03-30 to 2026-04-02"
    first = message.get_body(("plain",)).get_content().splitlines()[0]
    assert first == "Your Smart Sessions report is ready."


def test_a_link_opened_logged_out_says_why_then_starts_the_download(app, settings, smtp):  # noqa: F811
    ann = client_of(app, ANN)
    answer = request_report(ann, "LDN26", "2026-03-29", "2026-03-29")
    request_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert finished(settings, request_id)["state"] == "sent"
    message = message_for(smtp, "Smart Sessions report — LDN26 — 2026-03-29 to 2026-03-29")
    path = link_in(message).removeprefix(settings.base_url)
    visitor = client_of(app)
    login_page = visitor.get(path)  # to the log-in page, which says why
    assert login_page.url.path == "/login"
    assert shown(login_page.text, "why") == ["Log in to download your report for LDN26"]
    token = csrf_of(login_page.text)
    fields = {"csrf_token": token, "email": ANN, "password": "wrong", "next": path}
    refused = visitor.post("/login", data=fields)  # a failed try keeps saying why
    assert refused.status_code == 401
    assert shown(refused.text, "why") == ["Log in to download your report for LDN26"]
    landed = visitor.post("/login", data=fields | {"password": PASSWORD})
    page = f"/events/LDN26/smart-sessions/requests/{request_id}"
    assert (landed.status_code, landed.url.path, landed.url.query) == (200, page, b"download")
    workbook = f"{page}/workbook"
    assert f'<meta http-equiv="refresh" content="0; url={workbook}">' in landed.text
    assert shown(landed.text, "done") == [
        "Your download has started: smart-sessions-LDN26-2026-03-29-to-2026-03-29.xlsx"
    ]
    assert f'If it did not start, <a href="{workbook}">download the workbook</a>.' in landed.text
    assert visitor.get(workbook).content[:2] == b"PK"
    # the plain Requested page starts nothing; a link not signed here gives no reason
    assert "http-equiv" not in visitor.get(page).text
    assert shown(client_of(app).get("/login?next=/download/forged.x").text, "why") == []


def test_a_code_not_available_lists_the_event_apps_one_may_see(app):
    ann = client_of(app, ANN)
    answers = [
        ann.post("/events", data={"csrf_token": csrf_of(ann.get("/events").text), "code": code})
        for code in ("OTH26", "NOPE26")
    ]
    assert [answer.status_code for answer in answers] == [404, 404]
    for answer in answers:
        assert "no event app with that code is available to you" in answer.text
        listed = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', answer.text)
        assert listed == [("/events/LDN26", "LDN26")]
        assert "London Summit" in answer.text and "OTH26</a>" not in answer.text
    assert client_of(app, ANN).get("/events/OTH26").status_code == 404


def test_times_are_in_the_event_apps_time_zone(portal_db, tmp_path, monkeypatch):
    """2026-03-29 00:30 UTC is 00:30 in London (GMT); an hour later the clocks have gone
    forward: 01:30 UTC is 02:30 BST."""
    settings = settings_for(portal_db, tmp_path, requests_per_hour=1)
    add_people(settings)
    monkeypatch.setattr(portal_requests, "now", lambda: 1774744200.0)  # 2026-03-29 00:30 UTC
    with TestClient(create_app(settings)) as ann:
        assert log_in(ann, ANN).status_code == 303
        first = request_report(ann, "LDN26", "2026-03-29", "2026-03-29")
        requested = ann.get(first.headers["location"]).text
        assert '<td class="nowrap">2026-03-29 00:30 Europe/London</td>' in requested
        refused = request_report(ann, "LDN26", "2026-03-30", "2026-03-30")
        assert refused.status_code == 429
        assert "you can ask again after 2026-03-29 02:30 Europe/London." in refused.text
        assert "UTC" not in refused.text


@pytest.mark.parametrize("url", ["example.com", "ftp://example.com", "https://", "http//x.org"])
def test_a_base_url_without_http_stops_serve(portal_db, tmp_path, url):
    environ = {
        "SMARTSESSIONS_BASE_URL": url,
        "SMARTSESSIONS_APP_DB": str(tmp_path / "portal.sqlite3"),
    }
    result = CliRunner().invoke(
        cli, ["serve", "--db", str(portal_db), "--port", str(free_port())], env=environ
    )
    assert result.exit_code == 1
    assert result.output == (
        f"error: SMARTSESSIONS_BASE_URL={url!r}: expected an address starting with http:// or"
        " https://, e.g. https://reports.example.com\n"
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stopping_serve_leaves_no_semaphore(portal_db, tmp_path, stop):
    """A real `smartsessions serve`, stopped while it exports: nothing on stderr but its log,
    and the request is left to run again at the next start (or was sent)."""
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    port = free_port()
    environ = os.environ | {
        "SMARTSESSIONS_APP_DB": str(settings.app_db),
        "SMARTSESSIONS_OUTBOX": str(settings.outbox),
        "SMARTSESSIONS_REPORTS": str(settings.reports_dir),
        "SMARTSESSIONS_SECRET_KEY": settings.secret_key,
        "SMARTSESSIONS_WORKERS": "2",
    }
    command = [str(SMARTSESSIONS), "serve", "--db", str(portal_db), "--port", str(port)]
    server = subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        browser = Visitor(f"http://127.0.0.1:{port}")
        wait_until(browser.answers, timeout=60, what="serve to answer")
        browser.post("/login", "/login", email=ANN, password=PASSWORD, next="/events")
        browser.post(REPORT, REPORT, **{"from": "2026-03-29", "to": "2026-03-30"})
        wait_until(lambda: request_row(settings, 1)["state"] != "queued", what="the export")
        server.send_signal(stop)
        _, stderr = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    errors = stderr.decode()
    assert "leaked semaphore" not in errors
    assert "Traceback" not in errors and "WARNING" not in errors
    assert request_row(settings, 1)["state"] in ("running", "sent")


class Visitor:
    """A person's browser without JavaScript: cookies, and forms posted with their token."""

    def __init__(self, url: str):
        self.url = url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def answers(self) -> bool:
        try:
            return self.opener.open(f"{self.url}/login", timeout=5).status == 200
        except OSError:
            return False

    def post(self, page: str, action: str, **fields) -> None:
        token = csrf_of(self.opener.open(self.url + page, timeout=30).read().decode())
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        self.opener.open(self.url + action, data, timeout=30)
