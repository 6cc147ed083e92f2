"""Forgot your password: ask for a link by email, then set a new password with it (reset.py)."""

from starlette.responses import Response

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.accounts import MIN_PASSWORD, Credentials, check_password, normal_email
from smartsessions.portal.links import LinkExpired, LinkInvalid
from smartsessions.portal.reset import LinkUsed
from smartsessions.portal.routes.page import Visit, page, see_other

ASKED = "If an account uses this address, a link is on its way."
NOT_AN_ADDRESS = "That is not an email address: type the one you log in with."
DIFFERENT = "The two passwords differ: type the same one twice."
# A link that no longer works: (status, page title, what to tell), by why.
PROBLEMS = {
    LinkInvalid: (404, "Link not valid", "This link is not valid: copy it whole from the email."),
    LinkExpired: (410, "Link expired", "This link has expired: each works for 1 hour."),
    LinkUsed: (410, "Link used", "This link has been used already: each works once."),
}


@page(login=False)
def forgot_form(visit: Visit) -> Response:
    return visit.page("forgot.html", title="Reset your password")


@page(login=False)
def forgot(visit: Visit) -> Response:
    typed = visit.field("email")
    try:
        email = normal_email(typed)
    except SmartSessionsError:
        return visit.page(
            "forgot.html", 400, title="Reset your password", email=typed, error=NOT_AN_ADDRESS
        )
    visit.portal.resets.ask(email)  # refused past the rate limit: the same answer
    return visit.page("forgot.html", title="Check your email", email=email, asked=ASKED)


@page(login=False)
def reset_form(visit: Visit) -> Response:
    return _new_password(visit, visit.request.query_params.get("token", ""))


@page(login=False)
def reset(visit: Visit) -> Response:
    return _new_password(visit, visit.field("token"), (visit.form or {}))


def _new_password(visit: Visit, token: str, form: dict[str, str] | None = None) -> Response:
    """The new-password form of a link that works (posted: the password set and the person
    logged in, every other session ended); else why the link does not work."""
    try:
        holder = visit.portal.resets.holder(token)
    except tuple(PROBLEMS) as problem:
        status, title, text = PROBLEMS[type(problem)]
        return visit.page("reset.html", status, title=title, problem=text)
    if form is None:
        return _form(visit, holder, token)
    password, again = form.get("password", ""), form.get("again", "")
    errors = password_errors(password, again)
    if errors:
        return _form(visit, holder, token, errors)
    if not visit.portal.accounts.reset_password(holder, password):  # another tab was first
        status, title, text = PROBLEMS[LinkUsed]
        return visit.page("reset.html", status, title=title, problem=text)
    visit.portal.sessions.end(visit.cookie)
    visit.new_cookie(visit.portal.sessions.start(holder.account_id))
    return see_other("/password/changed")


def _form(visit: Visit, holder: Credentials, token: str, errors=None) -> Response:
    return visit.page(
        "reset.html",
        400 if errors else 200,
        title="Set a new password",
        email=holder.email,
        token=token,
        errors=errors,
        min_password=MIN_PASSWORD,
    )


def password_errors(password: str, again: str) -> dict[str, str]:
    """What is wrong, by field: the rules of `user password` (check_password), and the same
    password twice."""
    errors = {}
    try:
        check_password(password)
    except SmartSessionsError as error:
        text = str(error)
        errors["password"] = f"{text[:1].upper()}{text[1:]}."
    if again != password:
        errors["again"] = DIFFERENT
    return errors


@page()
def changed(visit: Visit) -> Response:
    return visit.message(
        200,
        "Password changed",
        "Your new password is set and you are logged in; any other session of your account has"
        " ended.",
    )
