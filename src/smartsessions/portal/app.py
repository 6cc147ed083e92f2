"""The portal's ASGI app: the request flow of portal.md, steps 1 to 7, as server-rendered pages.

`create_app` makes the app: the Portal (what the handlers call), the routes (`routes/`, grouped
by what the person does), the middleware, and the worker threads while the app runs.
"""

from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.accounts import Accounts
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.links import Links
from smartsessions.portal.local_time import local_text
from smartsessions.portal.middleware import Guard, Segments
from smartsessions.portal.requests import Requests
from smartsessions.portal.reset import Resets
from smartsessions.portal.routes.downloads import download, workbook
from smartsessions.portal.routes.events import event_app, event_form, go, home, smart_sessions
from smartsessions.portal.routes.login import log_in, log_in_form, log_out
from smartsessions.portal.routes.page import Visit, event_url, page
from smartsessions.portal.routes.report import report_form, request_report, requested
from smartsessions.portal.routes.reset import changed, forgot, forgot_form, reset, reset_form
from smartsessions.portal.routes.subscriptions import cancel, subscribe
from smartsessions.portal.scheduler import RefreshDeliveries, Scheduler, SendSubscriptions
from smartsessions.portal.sessions import Sessions
from smartsessions.portal.settings import Settings
from smartsessions.portal.state import State
from smartsessions.portal.subscriptions import Subscriptions
from smartsessions.portal.workers import Workers

HERE = Path(__file__).resolve().parent


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
        self.subscriptions = Subscriptions(self.state)
        jobs = [SendSubscriptions(self.subscriptions, self.workers)]
        if settings.refresh_minutes:
            jobs.append(
                RefreshDeliveries(settings.db_path, settings.refresh_dir, settings.refresh_minutes)
            )
        self.scheduler = Scheduler(jobs)
        self.resets = Resets(settings, self.state, self.accounts)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["local"] = local_text
        # a date kept on one line: browsers break lines after its hyphens
        self.templates.filters["day"] = lambda day: Markup('<span class="nowrap">%s</span>') % day
        self.templates.globals["event_url"] = event_url


@page(login=False)
def _not_found(visit: Visit) -> Response:
    return visit.message(404, "Not found", "There is no such page.")


async def not_found(request: Request, _exc) -> Response:
    return await _not_found(request)


def create_app(settings: Settings) -> Starlette:
    """The portal for these settings (tests make their own: a temporary state, a test SMTP
    server). The worker threads and the scheduler run while the app does (ASGI lifespan)."""
    portal = Portal(settings)

    @asynccontextmanager
    async def lifespan(_app):
        portal.workers.start()
        portal.scheduler.start()
        portal.resets.start()
        try:
            yield
        finally:
            await run_in_threadpool(portal.resets.stop)
            await run_in_threadpool(portal.scheduler.stop)
            await run_in_threadpool(portal.workers.stop)

    event = "/events/{code:segment}"
    routes = [
        Route("/", home),
        Route("/login", log_in_form, methods=["GET"]),
        Route("/login", log_in, methods=["POST"]),
        Route("/logout", log_out, methods=["POST"]),
        Route("/password/forgot", forgot_form, methods=["GET"]),
        Route("/password/forgot", forgot, methods=["POST"]),
        Route("/password/reset", reset_form, methods=["GET"]),
        Route("/password/reset", reset, methods=["POST"]),
        Route("/password/changed", changed),
        Route("/events", event_form, methods=["GET"]),
        Route("/events", go, methods=["POST"]),
        Route(event, event_app),
        Route(f"{event}/smart-sessions", smart_sessions),
        Route(f"{event}/smart-sessions/report", report_form, methods=["GET"]),
        Route(f"{event}/smart-sessions/report", request_report, methods=["POST"]),
        Route(f"{event}/smart-sessions/requests/{{id:int}}", requested),
        Route(f"{event}/smart-sessions/requests/{{id:int}}/workbook", workbook),
        Route(f"{event}/smart-sessions/subscriptions", subscribe, methods=["POST"]),
        Route(f"{event}/smart-sessions/subscriptions/{{id:int}}/cancel", cancel, methods=["POST"]),
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
