"""The emailed report (portal.md): the message, and sending it by SMTP or into the outbox.

Text from the data (event names) goes into the body only, and every header value is cleared
of line breaks first, so it can never add a header. A send that may work later (a 4xx answer,
a lost connection) raises SendFailed with `retry` set; a 5xx answer without it.
"""

import html
import math
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from smartsessions.pipeline.freshness import utc_text
from smartsessions.portal.local_time import local_text
from smartsessions.portal.settings import Smtp, private_folder
from smartsessions.report.window import Window

MANAGE = "Manage or cancel this subscription"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class ReportMail:
    """What the message says, gathered by the worker."""

    to: str
    event_id: str
    event_name: str | None
    timezone: str
    window: Window
    rows: dict[str, int]
    last_load: datetime | None  # UTC: "data as of"
    last_build: datetime | None
    last_build_failed: bool
    link: str
    link_expires: datetime
    workbook: Path
    filename: str  # the attachment's name
    manage: str | None = None  # a subscription's: the page to change or cancel it
    has_activity: bool = True  # False: the window holds no counted activity (catalog.py)


class SendFailed(Exception):
    def __init__(self, reply: str, retry: bool):
        super().__init__(reply)
        self.reply = reply
        self.retry = retry


def header_text(text: str) -> str:
    """A header value from any text: line breaks and other control characters become spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


NO_ACTIVITY = "No activity in this window"  # the first line of such a report's email


def subject(event_id: str, window: Window, has_activity: bool = True) -> str:
    ending = "" if has_activity else " — no activity"
    return header_text(f"Smart Sessions report — {event_id} — {window.describe()}{ending}")


def headed(subject_text: str, mail_from: str, to: str) -> EmailMessage:
    """A message with its headers, each cleared of line breaks, and no body yet."""
    message = EmailMessage()
    message["Subject"] = header_text(subject_text)
    message["From"] = header_text(mail_from)
    message["To"] = header_text(to)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(header_text(mail_from))[1].rpartition("@")[2] or "smartsessions.invalid"
    message["Message-ID"] = make_msgid("smartsessions", domain=domain)
    return message


def compose(report: ReportMail, mail_from: str, attach_max_mb: float) -> EmailMessage:
    message = headed(
        subject(report.event_id, report.window, report.has_activity), mail_from, report.to
    )
    size = report.workbook.stat().st_size
    attach = _fits(size, attach_max_mb)
    message.set_content(_text(report, attach, size))
    message.add_alternative(_html(report, attach, size), subtype="html")
    if attach:
        message.add_attachment(
            report.workbook.read_bytes(),
            maintype=XLSX[0],
            subtype=XLSX[1],
            filename=report.filename,
        )
    return message


def _fits(size: int, attach_max_mb: float) -> bool:
    """Whether the workbook, base64-encoded (4 bytes for 3, lines of 76 and a line break),
    leaves the message under the limit; the text around it is allowed 64 KiB."""
    encoded = math.ceil(size / 3) * 4
    encoded += math.ceil(encoded / 76) * 2
    return encoded + 65536 < attach_max_mb * 2**20


def _facts(report: ReportMail) -> list[tuple[str, str]]:
    name = f"{report.event_id} — {report.event_name}" if report.event_name else report.event_id
    return [
        ("Event app", f"{name} ({report.timezone})"),
        ("Dates", f"{report.window.describe()} (local dates of the event app)"),
    ]


def _as_of(report: ReportMail) -> list[str]:
    lines = [f"Data as of: {utc_text(report.last_load)}", f"Built: {utc_text(report.last_build)}"]
    if report.last_build_failed:
        lines.append("The last build failed: this report is from the previous successful build.")
    return lines


def _availability(attach: bool, size: int) -> str:
    if attach:
        return "The workbook is attached, and available by the link."
    return f"The workbook ({size / 2**20:.1f} MB) is too big to attach: available by link only."


def _expiry(report: ReportMail) -> str:
    return local_text(report.link_expires, report.timezone)


def _opening(report: ReportMail) -> list[str]:
    ready = "Your Smart Sessions report is ready."
    return [ready] if report.has_activity else [NO_ACTIVITY, ready]


def _text(report: ReportMail, attach: bool, size: int) -> str:
    lines = [*_opening(report), ""]
    lines += [f"{label}: {value}" for label, value in _facts(report)]
    lines.append("")
    lines += [f"{tab}: {count} rows" for tab, count in report.rows.items()]
    lines.append("")
    lines += _as_of(report)
    lines += [
        "",
        f"Download (for you only, until {_expiry(report)}):",
        report.link,
        "",
        _availability(attach, size),
    ]
    if report.manage:
        lines += ["", f"{MANAGE}: {report.manage}"]
    return "\n".join(lines) + "\n"


def _html(report: ReportMail, attach: bool, size: int) -> str:
    e = html.escape
    facts = "".join(f"<li>{e(label)}: {e(value)}</li>" for label, value in _facts(report))
    rows = "".join(f"<li>{e(tab)}: {count} rows</li>" for tab, count in report.rows.items())
    opening = "".join(f"<p>{e(line)}</p>" for line in _opening(report))
    as_of = "".join(f"<p>{e(line)}</p>" for line in _as_of(report))
    return (
        "<!doctype html><html><body>"
        f"{opening}"
        f"<ul>{facts}</ul><ul>{rows}</ul>{as_of}"
        f'<p><a href="{e(report.link)}">Download the workbook</a>'
        f" (for you only, until {e(_expiry(report))})</p>"
        f"<p>{e(_availability(attach, size))}</p>"
        f"{_manage_html(report)}"
        "</body></html>"
    )


def _manage_html(report: ReportMail) -> str:
    return f'<p><a href="{html.escape(report.manage)}">{MANAGE}</a></p>' if report.manage else ""


class Mailer:
    """Sends by SMTP when a host is set, else writes NAME.eml files into the outbox."""

    def __init__(self, smtp: Smtp | None, outbox: Path):
        self.smtp = smtp
        self.outbox = outbox

    def describe(self) -> str:
        if self.smtp:
            tls = ", STARTTLS" if self.smtp.starttls else ""
            return f"mail by SMTP to {self.smtp.host}:{self.smtp.port}{tls}"
        return f"mail written to {self.outbox}/ (no SMARTSESSIONS_SMTP_HOST)"

    def send(self, message: EmailMessage, name: str) -> None:
        if self.smtp is None:
            self._write(message, name)
        else:
            self._send(message)

    def _write(self, message: EmailMessage, name: str) -> None:
        path = self.outbox / f"{name}.eml"
        partial = path.with_name(f".{path.name}.partial")
        try:
            private_folder(self.outbox)
            _write_private(partial, message.as_bytes())
            os.replace(partial, path)  # a reader of the outbox never sees half a message
        except OSError as error:  # a full disk may have room later
            partial.unlink(missing_ok=True)
            raise SendFailed(f"cannot write {path}: {error.strerror or error}", True) from None

    def _send(self, message: EmailMessage) -> None:
        smtp = self.smtp
        try:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        except smtplib.SMTPConnectError as error:  # the greeting was a refusal
            raise _answer(error.smtp_code, error.smtp_error) from None
        except OSError as error:
            raise SendFailed(f"no connection to {smtp.host}:{smtp.port}: {error}", True) from None
        try:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _answer(code, reply) from None
        except smtplib.SMTPResponseException as error:
            raise _answer(error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPServerDisconnected as error:
            raise SendFailed(f"connection lost: {error or type(error).__name__}", True) from None
        except smtplib.SMTPException as error:  # e.g. the server offers no STARTTLS
            raise SendFailed(str(error), False) from None
        except OSError as error:  # a reset, a time-out
            raise SendFailed(f"connection lost: {error or type(error).__name__}", True) from None
        finally:
            _close(client)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read (a message holds the workbook), whatever the umask."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # a file left by a crash keeps its mode when opened
        out.write(data)


def _answer(code: int, reply: bytes | str) -> SendFailed:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return SendFailed(header_text(f"{code} {text}"), not 500 <= code <= 599)


def _close(client: smtplib.SMTP) -> None:
    """QUIT, ignoring its answer: the message is sent (or not) whatever it says."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
