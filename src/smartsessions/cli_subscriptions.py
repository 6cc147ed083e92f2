"""`smartsessions subscriptions send-due`: the portal's due subscriptions, sent once (for a cron
line when no server runs; `serve` sends them itself)."""

import typer

from smartsessions.cli_options import (
    DbOption,
    FlagsWithoutValues,
    GroupFlagsWithoutValues,
    database,
    say,
)
from smartsessions.errors import SmartSessionsError

subscriptions_app = typer.Typer(
    cls=GroupFlagsWithoutValues,
    help="The portal's subscriptions: reports emailed on a schedule.",
    no_args_is_help=True,
)


@subscriptions_app.command("send-due", cls=FlagsWithoutValues)
def send_due(db: DbOption = None) -> None:
    """Send the subscriptions due now (each due time once, whoever sends it: `serve` too) and
    exit when every email is sent or failed (settings: SMARTSESSIONS_* as for `serve`)."""
    from smartsessions.portal.server import send_due_once

    done = send_due_once(database(db))
    for request in done:
        say(
            f"request {request.request_id}: {request.event_id}, {request.window.describe()},"
            f" to {request.email}: {request.shown_state}"
        )
    if not done:
        say("no subscription is due")
    failed = [r for r in done if r.state == "failed"]
    if failed:
        raise SmartSessionsError(f"{len(failed)} of {len(done)} subscription report(s) failed")
