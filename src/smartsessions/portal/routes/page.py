"""What every page needs first: `page` reads the session cookie, the person, the CSRF check on a
post and the log-in when required, and runs the handler on a worker thread, since it reads
files; a handler `handler(visit) -> Response` gets the Visit (one request to a page)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.catalog import EventApp
from smartsessions.portal.sessions import COOKIE, Person

if TYPE_CHECKING:
    from smartsessions.portal.app import Portal

log = logging.getLogger("smartsessions.portal")

FORM_REFUSED = (
    "This form is out of date or did not come from this site: go back, reload the page and try"
    " again."
)
NOT_AVAILABLE = "no event app with that code is available to you"


@dataclass
class Visit:
    """One request to a page: who asks, with which cookie, and the form they posted."""

    request: Request
    portal: "Portal"
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
        """An unknown code and a code not granted: the same page, message and status, with
        the event apps the person may see (the same list whichever code was typed)."""
        apps = self.portal.catalog.event_apps().values()
        mine = [app for app in apps if self.person and self.person.may_see(app.event_id)]
        return self.page(
            "events.html", 404, title="Event", code=code, error=NOT_AVAILABLE, apps=mine
        )

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
