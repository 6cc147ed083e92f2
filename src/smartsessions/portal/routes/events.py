"""Find an event app: the code typed, the event app's page and its Smart Sessions section."""

from starlette.responses import Response

from smartsessions.portal.routes.page import Visit, event_url, page, see_other

# The event app's sections, as the organisers' app shows them; Smart Sessions is this project's.
SECTIONS = ("Streams", "Documents", "Agenda", "Speakers", "Exhibitors", "Polls", "Smart Sessions")


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
