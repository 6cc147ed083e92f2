"""Download a workbook: from the Requested page, or by the emailed link."""

from urllib.parse import urlencode

from starlette.responses import FileResponse, Response

from smartsessions.portal.links import LinkExpired, LinkInvalid
from smartsessions.portal.routes.page import Visit, log_in_url, page, report_url, see_other
from smartsessions.portal.routes.report import requested_url


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
    # A page that says the download started, and starts it: the browser shows a page, also
    # after the log-in (a workbook answering the log-in's post would leave its form showing).
    return see_other(requested_url(asked, downloading=True))


def _again_url(asked) -> str:
    window = {"from": asked.window.start or "", "to": asked.window.end or ""}
    return f"{report_url(asked.event_id)}?{urlencode(window)}"
