"""The password reset message (portal.md, Password reset): the link, until when it works, and
what to do when the person did not ask. The account belongs to no one event app, so the expiry
is in UTC, named."""

import html
from datetime import datetime
from email.message import EmailMessage

from smartsessions.portal.mail import headed

SUBJECT = "Reset your Smart Sessions password"


def reset_message(to: str, link: str, expires: datetime, mail_from: str) -> EmailMessage:
    message = headed(SUBJECT, mail_from, to)
    until = f"{expires:%Y-%m-%d %H:%M} UTC"
    asked = (
        f"Someone, probably you, asked for a new password for {to} on the Smart Sessions portal."
    )
    works = f"The link works once, until {until}."
    ignore = "If you did not ask, ignore this message: your password stays as it is."
    lines = [asked, "", "Set a new password:", link, works, "", ignore]
    message.set_content("\n".join(lines) + "\n")
    e = html.escape
    message.add_alternative(
        "<!doctype html><html><body>"
        f"<p>{e(asked)}</p>"
        f'<p><a href="{e(link)}">Set a new password</a></p>'
        f"<p>{e(works)}</p><p>{e(ignore)}</p>"
        "</body></html>",
        subtype="html",
    )
    return message
