"""The emailed report (portal.md, The emailed report) through a real SMTP server on 127.0.0.1
(aiosmtpd): the message, its link and attachment; a 4xx answer or a lost connection retried,
a 5xx answer or a third failure failing the request with the server's reply; log-in and
STARTTLS; and the message itself: rows per tab, data as of, text that cannot add a header."""

import os
import stat
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from openpyxl import load_workbook
from portal_kit import (
    ANN,
    SmtpServer,
    add_people,
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

from smartsessions.database import connect
from smartsessions.pipeline.freshness import read_data_as_of
from smartsessions.portal.app import create_app
from smartsessions.portal.mail import ReportMail, compose, subject
from smartsessions.portal.settings import Smtp
from smartsessions.report.window import Window
from smartsessions.workspace import Workspace

ACCEPTED = "250 Message accepted for delivery"


@contextmanager
def portal(portal_db, tmp_path, smtp: Smtp, **changes):
    """A portal sending through `smtp`, with Ann logged in."""
    settings = settings_for(portal_db, tmp_path, smtp=smtp, **changes)
    add_people(settings)
    with TestClient(create_app(settings)) as client:
        assert log_in(client, ANN).status_code == 303
        yield settings, client


def ask(client, start="2026-03-29", end="2026-03-30") -> int:
    answer = request_report(client, "LDN26", start, end)
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def smtp_to(server: SmtpServer, **options) -> Smtp:
    return Smtp("127.0.0.1", server.port, timeout=10, **options)


def data_rows(workbook_bytes: bytes, tmp_path) -> dict[str, int]:
    path = tmp_path / "attached.xlsx"
    path.write_bytes(workbook_bytes)
    book = load_workbook(path, read_only=True)
    return {name: book[name].max_row - 1 for name in book.sheetnames if name != "Report info"}


def test_the_report_arrives_with_its_link_and_workbook(portal_db, tmp_path):
    with SmtpServer() as server, portal(portal_db, tmp_path, smtp_to(server)) as (settings, ann):
        request_id = ask(ann)
        assert finished(settings, request_id)["state"] == "sent"
        (message,) = server.received
        assert server.sink.envelopes[0].rcpt_tos == [ANN]
        assert message["Subject"] == "Smart Sessions report — LDN26 — 2026-03-29 to 2026-03-30"
        assert message["To"] == ANN
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # as sent
        html = message.get_body(("html",)).get_content()
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == "smart-sessions-LDN26-2026-03-29-to-2026-03-30.xlsx"
        workbook = attachment.get_content()
        rows = data_rows(workbook, tmp_path)
        for tab, count in rows.items():
            assert f"\n{tab}: {count} rows\n" in text
            assert f"<li>{tab}: {count} rows</li>" in html
        assert list(rows) == [line.split(":")[0] for line in text.splitlines() if " rows" in line]
        with connect(Workspace(portal_db).published, read_only=True) as con:
            loaded = read_data_as_of(con).last_load
        assert f"\nData as of: {loaded:%Y-%m-%d %H:%M} UTC\n" in text
        assert "Event app: LDN26 — London Summit (Europe/London)" in text
        assert "Dates: 2026-03-29 to 2026-03-30" in text
        assert "The workbook is attached" in text
        # the link: in both bodies, for Ann, and it downloads the same workbook
        link = link_in(message)
        assert link.startswith("http://testserver/download/")
        assert f'href="{link}"' in html
        opened = ann.get(link.removeprefix(settings.base_url))  # the page that starts it
        downloaded = ann.get(f"{opened.url.path}/workbook")
        assert downloaded.status_code == 200 and downloaded.content == workbook


def test_workbooks_and_messages_are_owner_only(portal_db, tmp_path):
    """They hold attendees' names: owner-only whatever the umask."""
    umask = os.umask(0)
    try:
        with portal(portal_db, tmp_path, smtp=None) as (settings, client):
            row = finished(settings, ask(client))
    finally:
        os.umask(umask)
    assert row["state"] == "sent"
    message = settings.outbox / f"request-{row['request_id']}.eml"
    written = (settings.reports_dir, Path(row["workbook"]), settings.outbox, message)
    assert [oct(stat.S_IMODE(path.stat().st_mode)) for path in written] == [
        "0o700",
        "0o600",
        "0o700",
        "0o600",
    ]


def test_a_big_workbook_is_sent_by_link_only(portal_db, tmp_path):
    server = SmtpServer()
    with server, portal(portal_db, tmp_path, smtp_to(server), attach_max_mb=0.01) as (s, ann):
        assert finished(s, ask(ann))["state"] == "sent"
        (message,) = server.received
        assert list(message.iter_attachments()) == []
        text = message.get_body(("plain",)).get_content()
        assert "is too big to attach: available by link only." in text
        assert link_in(message)


def test_a_4xx_answer_is_retried_and_the_message_sent_once(portal_db, tmp_path):
    server = SmtpServer("451 4.3.0 Try again later")
    with server, portal(portal_db, tmp_path, smtp_to(server)) as (settings, ann):
        row = finished(settings, ask(ann))
        assert (row["state"], row["send_attempts"], row["reason"]) == ("sent", 2, None)
        assert server.sink.answered == ["451 4.3.0 Try again later", ACCEPTED]
        assert len(server.received) == 1


def test_a_5xx_answer_fails_the_request_with_the_reply(portal_db, tmp_path):
    server = SmtpServer("550 5.7.1 Delivery not authorized")
    with server, portal(portal_db, tmp_path, smtp_to(server)) as (settings, ann):
        request_id = ask(ann)
        row = finished(settings, request_id)
        assert (row["state"], row["send_attempts"]) == ("failed", 1)
        assert row["reason"] == "550 5.7.1 Delivery not authorized"
        page = ann.get(f"/events/LDN26/smart-sessions/requests/{request_id}").text
        assert "failed (550 5.7.1 Delivery not authorized)" in page
        assert f"/smart-sessions/requests/{request_id}/workbook" in page  # still downloadable
        assert server.received == []


def test_a_third_4xx_answer_fails_the_request(portal_db, tmp_path):
    replies = ("451 4.3.0 first", "451 4.3.0 second", "452 4.3.1 Insufficient storage")
    server = SmtpServer(*replies)
    with server, portal(portal_db, tmp_path, smtp_to(server)) as (settings, ann):
        row = finished(settings, ask(ann))
        assert (row["state"], row["send_attempts"]) == ("failed", 3)
        assert row["reason"] == "452 4.3.1 Insufficient storage"
        assert server.sink.answered == list(replies)


def test_a_lost_connection_is_retried(portal_db, tmp_path):
    port = free_port()  # nobody listens there yet
    smtp = Smtp("127.0.0.1", port, timeout=10)
    with portal(portal_db, tmp_path, smtp, retry_seconds=(1.0, 1.0)) as (settings, ann):
        request_id = ask(ann)
        first = wait_until(lambda: request_row(settings, request_id)["send_attempts"] == 1)
        assert first
        row = request_row(settings, request_id)
        assert row["state"] == "running"
        assert row["reason"].startswith(f"no connection to 127.0.0.1:{port}: ")
        page = ann.get(f"/events/LDN26/smart-sessions/requests/{request_id}").text
        assert "running (the email will be tried again: no connection to" in page
        with SmtpServer(port=port) as server:  # the server is back before the retry
            row = finished(settings, request_id)
            assert (row["state"], row["send_attempts"]) == ("sent", 2)
            assert len(server.received) == 1


def test_no_server_three_times_fails_the_request(portal_db, tmp_path):
    smtp = Smtp("127.0.0.1", free_port(), timeout=10)
    with portal(portal_db, tmp_path, smtp) as (settings, ann):
        row = finished(settings, ask(ann))
        assert (row["state"], row["send_attempts"]) == ("failed", 3)
        assert "Connection refused" in row["reason"]


def test_log_in_and_starttls(portal_db, tmp_path):
    logins = []

    def authenticator(_server, _session, _envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"smtp-password")

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False)
    login = smtp_to(server, user="portal", password="smtp-password")
    with server, portal(portal_db, tmp_path / "login", login) as (settings, ann):
        assert finished(settings, ask(ann))["state"] == "sent"
        assert [(user, password) for _, user, password in logins] == [(b"portal", b"smtp-password")]
    # this server offers no STARTTLS: a permanent failure, not sent in the clear
    plain = SmtpServer()
    with plain, portal(portal_db, tmp_path / "tls", smtp_to(plain, starttls=True)) as (s, ann):
        row = finished(s, ask(ann))
        assert (row["state"], row["send_attempts"]) == ("failed", 1)
        assert row["reason"] == "STARTTLS extension not supported by server."
        assert plain.received == []


def mail(tmp_path, **changes) -> ReportMail:
    workbook = tmp_path / "book.xlsx"
    workbook.write_bytes(b"PK" + b"x" * 3000)
    fields = {
        "to": "ann@example.com",
        "event_id": "LDN26",
        "event_name": "London Summit",
        "timezone": "Europe/London",
        "window": Window(date(2026, 3, 29), date(2026, 3, 30)),
        "rows": {"High Level (detailed view)": 2, "Usage graph": 15},
        "last_load": datetime(2026, 3, 31, 6, 5, 59),
        "last_build": datetime(2026, 3, 31, 6, 7),
        "last_build_failed": False,
        "link": "https://reports.example.com/download/abc.def",
        "link_expires": datetime(2026, 4, 7, 6, 8, tzinfo=UTC),
        "workbook": workbook,
        "filename": "smart-sessions-LDN26-2026-03-29-to-2026-03-30.xlsx",
    }
    return ReportMail(**(fields | changes))


def test_the_message_as_written(tmp_path):
    message = compose(mail(tmp_path), "Reports <reports@example.com>", 10)
    assert message.get_body(("plain",)).get_content() == (
        "Your Smart Sessions report is ready.\n"
        "\n"
        "Event app: LDN26 — London Summit (Europe/London)\n"
        "Dates: 2026-03-29 to 2026-03-30 (local dates of the event app)\n"
        "\n"
        "High Level (detailed view): 2 rows\n"
        "Usage graph: 15 rows\n"
        "\n"
        "Data as of: 2026-03-31 06:05 UTC\n"
        "Built: 2026-03-31 06:07 UTC\n"
        "\n"
        "Download (for you only, until 2026-04-07 07:08 Europe/London):\n"
        "https://reports.example.com/download/abc.def\n"
        "\n"
        "The workbook is attached, and available by the link.\n"
    )
    assert message["From"] == "Reports <reports@example.com>"
    assert message["Message-ID"].endswith("@example.com>")
    assert subject("LDN26", Window()) == "Smart Sessions report — LDN26 — all history"
    failed = compose(mail(tmp_path, last_build_failed=True), "r@example.com", 10)
    assert "The last build failed" in failed.get_body(("plain",)).get_content()


@pytest.mark.parametrize("field", ["event_name", "event_id", "to"])
def test_text_from_the_data_cannot_add_a_header(tmp_path, field):
    evil = "LDN26\r\nBcc: everyone@example.com\r\nX-Injected: yes"
    message = compose(mail(tmp_path, **{field: evil}), "r@example.com\nBcc: x@example.com", 10)
    assert message["Bcc"] is None and message["X-Injected"] is None
    headers = message.as_bytes().split(b"\n\n", 1)[0]  # as sent: the header block
    assert b"\nBcc:" not in headers and b"\nX-Injected:" not in headers
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
