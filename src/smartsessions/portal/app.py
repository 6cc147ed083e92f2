"""The portal's ASGI app: the request flow of portal.md, steps 1 to 7, as server-rendered pages.

Routes are grouped by what the person does: log in and out, find an event app, ask for its
report, download it. Each handler is a few lines calling the portal's modules; `page` does
what every page needs first (the session cookie, the person, the CSRF check on a post, the
log-in when required) and runs the handler on a worker thread, since it reads files.
"""

import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.accounts import Accounts
from smartsessions.portal.catalog import Catalog, EventApp
from smartsessions.portal.links import LinkExpired, LinkInvalid, Links
from smartsessions.portal.requests import RateLimited, Requests, Workers
from smartsessions.portal.sessions import COOKIE, Person, Sessions
from smartsessions.portal.settings import Settings
from smartsessions.portal.state import State
from smartsessions.report.tabs import Window, read_date

HERE = Path(__file__).resolve().parent
log = logging.getLogger("smartsessions.portal")

# The event app's sections, as the organisers' app shows them; Smart Sessions is this project's.
SECTIONS = ("Streams", "Documents", "Agenda", "Speakers", "Exhibitors", "Polls", "Smart Sessions")
LOG_IN_FAILED = (
    "Wrong email or password. After several failed attempts in a row an account is locked for"
    " a while."
)
FORM_REFUSED = (
    "This form is out of date or did not come from this site: go back, reload the page and try"
    " again."
)
NOT_AVAILABLE = "no event app with that code is available to you"
HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none';"
        " object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class Portal:
    """What the handlers call, made once per app."""

    def __init__(self, settings: Settings):
        if not settings.secret_key:
            raise SmartSessionsError("the portal needs a signing key (SMARTSESSIONS_SECRET_KEY)")
        self.settings = settings
        self.state = State(settings.app_db)
        self.catalog = Catalog(settings.db_path)
        self.accounts = Accounts(self.state, self.catalog)
        self.sessions = Sessions(self.state, settings.secret_key, settings.session_hours)
        self.requests = Requests(self.state)
        self.links = Links(settings.secret_key, settings.base_url, settings.link_days)
        self.workers = Workers(settings, self.requests, self.catalog, self.links)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["utc"] = lambda moment: f"{moment:%Y-%m-%d %H:%M} UTC"
        self.templates.globals["event_url"] = event_url


@dataclass
class Visit:
    """One request to a page: who asks, with which cookie, and the form they posted."""

    request: Request
    portal: Portal
    cookie: str
    person: Person | None
    form: dict[str, str] | None
    set_cookie: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def field(self, name: str) -> str:
        return (self.form or {}).get(name, "").strip()

    def page(self, template: str, status: int = 200, **context) -> HTMLResponse:
        csrf_token = self.portal.sessions.csrf_token(self.cookie)
        text = self.portal.templates.get_template(template).render(
            person=self.person, csrf_token=csrf_token, **context
        )
        return HTMLResponse(text, status)

    def message(self, status: int, title: str, text: str, link=None) -> HTMLResponse:
        return self.page("message.html", status, title=title, text=text, link=link)

    def event_app(self, code: str) -> EventApp | None:
        """The event app of a code, when it exists and the person may see it."""
        app = self.portal.catalog.event_apps().get(code)
        return app if app and self.person and self.person.may_see(app.event_id) else None

    def not_available(self, code: str) -> HTMLResponse:
        """An unknown code and a code not granted: the same page, message and status."""
        return self.page("events.html", 404, title="Event", code=code, error=NOT_AVAILABLE)

    def new_cookie(self, value: str) -> None:
        self.cookie, self.set_cookie = value, True


def page(login: bool = True):
    """The endpoint of a handler `handler(visit) -> Response`."""

    def decorate(handler: Callable[[Visit], Response]):
        async def endpoint(request: Request) -> Response:
            form = None
            if request.method == "POST":
                posted = await request.form(max_files=0, max_fields=20)
                form = {key: value for key, value in posted.items() if isinstance(value, str)}
            return await run_in_threadpool(_visit, handler, request, form, login)

        return endpoint

    return decorate


def _visit(handler, request: Request, form, login: bool) -> Response:
    portal: Portal = request.app.state.portal
    cookie = request.cookies.get(COOKIE)
    person = portal.sessions.person(cookie)
    visit = Visit(request, portal, cookie or portal.sessions.new_cookie(), person, form)
    visit.set_cookie = cookie is None
    try:
        if form is not None and not portal.sessions.csrf_ok(cookie, form.get("csrf_token")):
            response = visit.message(403, "Form refused", FORM_REFUSED)
        elif login and person is None:
            response = RedirectResponse(log_in_url(request.url.path, request.url.query), 303)
        else:
            response = handler(visit)
    except SmartSessionsError as error:  # the published catalog is missing or unreadable
        log.error("%s %s: %s", request.method, request.url.path, error)
        response = visit.message(
            503, "Not available", "Reports are not available right now; please try again later."
        )
    if visit.set_cookie:
        response.set_cookie(
            COOKIE,
            visit.cookie,
            httponly=True,
            samesite="lax",
            secure=portal.settings.secure_cookies,
        )
    return response


def log_in_url(path: str, query: str = "") -> str:
    target = f"{path}?{query}" if query else path
    return "/login?" + urlencode({"next": target})


def local_target(target: str | None) -> str:
    """Where to go after logging in: a path of this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/events"
    return target


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303)


def event_url(event_id: str, *below) -> str:
    """The path of an event app's page, or of a page below it: the code is one segment
    whatever it holds (`/`, `?`, `#`, `%`, spaces), as `Segment` reads it back."""
    return "/".join(["/events", quote(event_id, safe=""), *map(str, below)])


def report_url(event_id: str) -> str:
    return event_url(event_id, "smart-sessions", "report")


# --- log in and out ---


@page(login=False)
def log_in_form(visit: Visit) -> Response:
    target = local_target(visit.request.query_params.get("next"))
    if visit.person:
        return see_other(target)
    return visit.page("login.html", title="Log in", next=target)


@page(login=False)
def log_in(visit: Visit) -> Response:
    settings = visit.portal.settings
    account_id = visit.portal.accounts.authenticate(
        visit.field("email"),
        (visit.form or {}).get("password", ""),
        settings.lockout_failures,
        settings.lockout_minutes,
    )
    target = local_target(visit.field("next"))
    if account_id is None:
        return visit.page(
            "login.html",
            401,
            title="Log in",
            email=visit.field("email"),
            next=target,
            error=LOG_IN_FAILED,
        )
    visit.portal.sessions.end(visit.cookie)
    visit.new_cookie(visit.portal.sessions.start(account_id))  # a new value at log-in
    return see_other(target)


@page()
def log_out(visit: Visit) -> Response:
    visit.portal.sessions.end(visit.cookie)
    visit.new_cookie(visit.portal.sessions.new_cookie())
    return see_other("/login")


# --- find an event app ---


@page(login=False)
def home(visit: Visit) -> Response:
    return see_other("/events" if visit.person else "/login")


@page()
def event_form(visit: Visit) -> Response:
    return visit.page("events.html", title="Event", code="")


@page()
def go(visit: Visit) -> Response:
    code = visit.field("code")
    found = visit.portal.catalog.find(code) if code else None
    app = visit.event_app(found.event_id) if found else None
    if app is None:
        return visit.not_available(code)
    return see_other(event_url(app.event_id))


@page()
def event_app(visit: Visit) -> Response:
    code = visit.request.path_params["code"]
    app = visit.event_app(code)
    if app is None:
        return visit.not_available(code)
    title = app.event_name or app.event_id
    return visit.page("event.html", title=title, app=app, sections=SECTIONS)


@page()
def smart_sessions(visit: Visit) -> Response:
    code = visit.request.path_params["code"]
    app = visit.event_app(code)
    if app is None:
        return visit.not_available(code)
    return visit.page("smart_sessions.html", title="Smart Sessions", app=app, sections=SECTIONS)


# --- ask for the report ---


@dataclass
class Dates:
    """The report form's From and To as typed, the window they make, and what is wrong."""

    start: str
    end: str
    window: Window | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, start: str, end: str) -> "Dates":
        dates = cls(start, end)
        parsed = {}
        for name, text in (("start", start), ("end", end)):
            try:
                parsed[name] = read_date(text) if text else None
            except ValueError:
                dates.errors[name] = f"{text!r} is not a date: use YYYY-MM-DD."
        if not dates.errors:
            dates.window = Window(parsed["start"], parsed["end"])
            if dates.window.start and dates.window.end and dates.window.start > dates.window.end:
                dates.errors["start"] = f"From ({start}) is after To ({end})."
                dates.window = None
        return dates


def _report_page(visit: Visit, app: EventApp, dates: Dates, status: int = 200, limit=None):
    recent = visit.portal.requests.recent(visit.person, app.event_id)
    return visit.page(
        "report.html",
        status,
        title="Smart Sessions Report",
        app=app,
        dates=dates,
        recent=recent,
        limit=limit,
    )


@page()
def report_form(visit: Visit) -> Response:
    app = visit.event_app(visit.request.path_params["code"])
    if app is None:
        return visit.not_available(visit.request.path_params["code"])
    first, last = visit.portal.catalog.activity_dates(app.event_id)
    asked = visit.request.query_params  # "request again" links carry the window
    dates = Dates(asked.get("from", str(first or "")), asked.get("to", str(last or "")))
    return _report_page(visit, app, dates)


@page()
def request_report(visit: Visit) -> Response:
    app = visit.event_app(visit.request.path_params["code"])
    if app is None:
        return visit.not_available(visit.request.path_params["code"])
    dates = Dates.read(visit.field("from"), visit.field("to"))
    if dates.window is None:
        return _report_page(visit, app, dates, 400)
    per_hour, requests = visit.portal.settings.requests_per_hour, visit.portal.requests
    try:
        request_id = requests.submit(visit.person, app.event_id, dates.window, per_hour)
    except RateLimited as limited:
        return _report_page(visit, app, dates, 429, limit=limited)
    visit.portal.workers.wake()
    return see_other(event_url(app.event_id, "smart-sessions", "requests", request_id))


@page()
def requested(visit: Visit) -> Response:
    app = visit.event_app(visit.request.path_params["code"])
    asked = visit.portal.requests.of_person(visit.person, visit.request.path_params["id"])
    if app is None or asked is None or asked.event_id != app.event_id:
        return visit.message(404, "Not found", "There is no such request of yours.")
    recent = visit.portal.requests.recent(visit.person, app.event_id)
    return visit.page("requested.html", title="Requested", app=app, asked=asked, recent=recent)


# --- download ---


@page()
def workbook(visit: Visit) -> Response:
    asked = visit.portal.requests.of_person(visit.person, visit.request.path_params["id"])
    if asked is None or asked.event_id != visit.request.path_params["code"] or not asked.ready:
        return visit.message(404, "Not found", "There is no such workbook of yours.")
    return FileResponse(asked.workbook, filename=asked.download_name)


@page(login=False)
def download(visit: Visit) -> Response:
    """The emailed link: for the person who asked only, until it expires."""
    try:
        claim = visit.portal.links.read(visit.request.path_params["token"])
    except LinkInvalid:
        return visit.message(404, "Not found", "This link is not valid: check that it is whole.")
    except LinkExpired as expired:
        asked = visit.portal.requests.get(expired.claim.request_id)
        again = _again_url(asked) if asked else "/events"
        return visit.message(410, "Link expired", "This link has expired", link=again)
    if visit.person is None:
        return see_other(log_in_url(visit.request.url.path))
    asked = visit.portal.requests.of_person(visit.person, claim.request_id)
    if asked is None or claim.account_id != visit.person.account_id or not asked.ready:
        return visit.message(404, "Not found", "There is no such workbook of yours.")
    return FileResponse(asked.workbook, filename=asked.download_name)


def _again_url(asked) -> str:
    window = {"from": asked.window.start or "", "to": asked.window.end or ""}
    return f"{report_url(asked.event_id)}?{urlencode(window)}"


# --- the app ---


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


@page(login=False)
def _not_found(visit: Visit) -> Response:
    return visit.message(404, "Not found", "There is no such page.")


async def not_found(request: Request, _exc) -> Response:
    return await _not_found(request)


def create_app(settings: Settings) -> Starlette:
    """The portal for these settings (tests make their own: a temporary state, a test SMTP
    server). The worker threads run while the app does (ASGI lifespan)."""
    portal = Portal(settings)

    @asynccontextmanager
    async def lifespan(_app):
        portal.workers.start()
        try:
            yield
        finally:
            await run_in_threadpool(portal.workers.stop)

    event = "/events/{code:segment}"
    routes = [
        Route("/", home),
        Route("/login", log_in_form, methods=["GET"]),
        Route("/login", log_in, methods=["POST"]),
        Route("/logout", log_out, methods=["POST"]),
        Route("/events", event_form, methods=["GET"]),
        Route("/events", go, methods=["POST"]),
        Route(event, event_app),
        Route(f"{event}/smart-sessions", smart_sessions),
        Route(f"{event}/smart-sessions/report", report_form, methods=["GET"]),
        Route(f"{event}/smart-sessions/report", request_report, methods=["POST"]),
        Route(f"{event}/smart-sessions/requests/{{id:int}}", requested),
        Route(f"{event}/smart-sessions/requests/{{id:int}}/workbook", workbook),
        Route("/download/{token}", download),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Segments), Middleware(Guard)],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.portal = portal
    return app
