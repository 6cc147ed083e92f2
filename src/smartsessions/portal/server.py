"""`smartsessions serve`: the portal under uvicorn (and `subscriptions send-due`: what its
scheduler sends, once, without it).

The server's output names what it serves and where mail goes; it logs each request as method,
path and status (uvicorn's own access log, which would show query strings and download links,
is off), never a password, a session or a signed link.
"""

import logging
import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.publish import require_published
from smartsessions.portal.app import Portal, create_app
from smartsessions.portal.mail import Mailer
from smartsessions.portal.requests import ReportRequest
from smartsessions.portal.settings import Settings, with_secret_key
from smartsessions.portal.state import now


def prepare(db_path: Path, host: str, port: int) -> tuple[Starlette, list[str]]:
    """The app for the database, and the lines that tell the operator what it does."""
    require_published(db_path)
    _check_free(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    settings = Settings.from_environ(db_path, base_url=f"http://{shown_host}:{port}")
    settings, key_line = with_secret_key(settings)
    app = create_app(settings)
    lines = [key_line] if key_line else []
    lines.append(
        f"serving {db_path} at http://{shown_host}:{port} (links in emails: {settings.base_url});"
        f" state {settings.app_db}; {Mailer(settings.smtp, settings.outbox).describe()}"
    )
    if host in ("0.0.0.0", "::") and settings.base_url.startswith(f"http://{shown_host}"):
        lines.append("warning: set SMARTSESSIONS_BASE_URL: links in emails need the public address")
    return app, lines


def send_due_once(db_path: Path) -> list[ReportRequest]:
    """`subscriptions send-due`: queue the subscriptions due now and run their requests to the
    end in this process, with the settings and the signing key `serve` would use."""
    require_published(db_path)
    settings, _key_line = with_secret_key(Settings.from_environ(db_path))
    portal = Portal(settings)
    return portal.workers.run_to_end(portal.subscriptions.send_due(now()))


def run(app: Starlette, host: str, port: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    portal_log = logging.getLogger("smartsessions.portal")
    portal_log.addHandler(handler)
    portal_log.setLevel(logging.INFO)
    uvicorn.run(app, host=host, port=port, access_log=False, server_header=False, log_level="info")


def _check_free(host: str, port: int) -> None:
    """One line when the address is taken, rather than uvicorn's log after start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise SmartSessionsError(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
