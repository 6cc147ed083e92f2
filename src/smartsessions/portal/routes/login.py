"""Log in and out."""

from starlette.responses import Response

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
