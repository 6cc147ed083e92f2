"""Ask for the report: the form with its window, the request, the page of a request."""

from dataclasses import dataclass, field

from starlette.responses import Response

from smartsessions.portal.catalog import EventApp
from smartsessions.portal.requests import RateLimited, ReportRequest
from smartsessions.portal.routes.page import Visit, event_url, page, see_other
from smartsessions.portal.routes.subscriptions import listed
from smartsessions.report.window import NotADate, Window, read_window

DOWNLOAD = "download"  # the Requested page's query that starts the download


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
        try:
            window = read_window(start or None, end or None)  # empty: that end open
        except NotADate as wrong:
            for bound, text in wrong.texts.items():
                dates.errors[bound] = f"{text!r} is not a date: use YYYY-MM-DD."
            return dates
        if window.is_reversed:
            dates.errors["start"] = f"From ({start}) is after To ({end})."
        else:
            dates.window = window
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
        **listed(visit, app),
    )


@page()
def report_form(visit: Visit) -> Response:
    app = visit.event_app(visit.request.path_params["code"])
    if app is None:
        return visit.not_available(visit.request.path_params["code"])
    first, last = app.first_activity, app.last_activity
    asked = visit.request.query_params  # "request again" links carry the window
    dates = Dates.read(asked.get("from", str(first or "")), asked.get("to", str(last or "")))
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
    # ?download: opened by the emailed link (downloads.py), the page starts the download
    downloading = DOWNLOAD in visit.request.query_params and asked.ready
    title = "Download" if downloading else "Requested"
    return visit.page(
        "requested.html", title=title, app=app, asked=asked, recent=recent, downloading=downloading
    )


def requested_url(asked: ReportRequest, downloading: bool = False) -> str:
    """The page of a request; downloading: the page that starts its workbook's download."""
    path = event_url(asked.event_id, "smart-sessions", "requests", asked.request_id)
    return f"{path}?{DOWNLOAD}" if downloading else path
