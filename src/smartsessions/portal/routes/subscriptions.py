"""Subscribe to an event app's report, and cancel a subscription (portal.md, Subscriptions); the
report page lists them (`listed`)."""

from starlette.responses import Response

from smartsessions.portal.catalog import EventApp
from smartsessions.portal.routes.page import Visit, page, report_url, see_other
from smartsessions.portal.state import now
from smartsessions.portal.subscriptions import DATES, EVERY, HOURS, NotASchedule, read_schedule

DEFAULT_HOUR = "08:00"


def listed(visit: Visit, app: EventApp) -> dict:
    """What the report page's Subscriptions section shows: the person's, and the form."""
    return {
        "subscriptions": visit.portal.subscriptions.of_person(visit.person, app.event_id),
        "moment": now(),
        "choices": {"every": EVERY, "hours": HOURS, "dates": DATES, "hour": DEFAULT_HOUR},
    }


def _back(app: EventApp) -> Response:
    return see_other(f"{report_url(app.event_id)}#subscriptions")


@page()
def subscribe(visit: Visit) -> Response:
    """Subscribing twice to the same schedule keeps the one subscription."""
    app = visit.event_app(visit.request.path_params["code"])
    if app is None:
        return visit.not_available(visit.request.path_params["code"])
    try:
        schedule = read_schedule(visit.field("every"), visit.field("at"), visit.field("dates"))
    except NotASchedule as wrong:  # only a forged or stale form: the page offers lists
        return visit.message(400, "Not subscribed", f"Not subscribed: {wrong}.")
    visit.portal.subscriptions.add(visit.person, app, schedule)
    visit.portal.scheduler.wake()  # its first due time may be sooner than the next tick
    return _back(app)


@page()
def cancel(visit: Visit) -> Response:
    """Cancelling one already cancelled (another tab) shows the list as it is."""
    app = visit.event_app(visit.request.path_params["code"])
    if app is None:
        return visit.not_available(visit.request.path_params["code"])
    visit.portal.subscriptions.cancel(visit.person, app.event_id, visit.request.path_params["id"])
    return _back(app)
