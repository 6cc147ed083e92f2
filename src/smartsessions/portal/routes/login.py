"""Log in and out."""

from starlette.responses import Response

from smartsessions.portal.links import PATH, LinkExpired, LinkInvalid
from smartsessions.portal.routes.page import Visit, local_target, page, see_other

LOG_IN_FAILED = (
    "Wrong email or password. After several failed attempts in a row an account is locked for"
    " a while."
)


@page(login=False)
def log_in_form(visit: Visit) -> Response:
    target = local_target(visit.request.query_params.get("next"))
    if visit.person:
        return see_other(target)
    return visit.page("login.html", title="Log in", next=target, why=_why(visit, target))


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
            why=_why(visit, target),
            error=LOG_IN_FAILED,
        )
    visit.portal.sessions.end(visit.cookie)
    visit.new_cookie(visit.portal.sessions.start(account_id))  # a new value at log-in
    return see_other(target)


def _why(visit: Visit, target: str) -> str | None:
    """Why the log-in is asked for, when the person came by an emailed download link: a link
    this portal signed, so whoever holds it was sent the code it names."""
    if not target.startswith(PATH):
        return None
    try:
        claim = visit.portal.links.read(target.removeprefix(PATH))
    except (LinkInvalid, LinkExpired):
        return None
    asked = visit.portal.requests.get(claim.request_id)
    return f"Log in to download your report for {asked.event_id}" if asked else None


@page()
def log_out(visit: Visit) -> Response:
    visit.portal.sessions.end(visit.cookie)
    visit.new_cookie(visit.portal.sessions.new_cookie())
    return see_other("/login")
