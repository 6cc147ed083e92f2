"""What wraps every request: `Segments` routes on the percent-encoded path, `Guard` adds the
security headers and logs each request."""

import logging
import time
from urllib.parse import quote, unquote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import MutableHeaders

log = logging.getLogger("smartsessions.portal")

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none';"
        " object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class Segment(Convertor[str]):
    """A path parameter that may hold any character: the router matches the path as `Segments`
    leaves it, each segment still percent-encoded, and this decodes the segment matched."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


register_url_convertor("segment", Segment())


class Segments:
    """Routes see the path with each segment percent-encoded, one way: the server decodes the
    path before routing, after which an event code's `/` (%2F) could not be told from the
    path's own. Any spelling of a segment (`é` or `%C3%A9`, `%41` or `A`) routes alike."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope = dict(scope, path=routed_path(scope))
        await self.app(scope, receive, send)


def routed_path(scope) -> str:
    raw = scope.get("raw_path") or quote(scope["path"]).encode()  # raw_path is optional in ASGI
    return "/".join(quote(unquote_to_bytes(part), safe="") for part in raw.split(b"/"))


class Guard:
    """Every response gets the security headers (and pages are never cached); every request
    is logged as method, path and status, without the query nor a download link's token."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def send_guarded(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
                log.info(
                    "%s %s %d %.0f ms",
                    scope["method"],
                    shown_path(scope["path"]),
                    message["status"],
                    (time.perf_counter() - started) * 1000,
                )
            await send(message)

        await self.app(scope, receive, send_guarded)


def shown_path(path: str) -> str:
    """A path as the log shows it: a signed link's token is a secret."""
    return "/download/…" if path.startswith("/download/") else path
