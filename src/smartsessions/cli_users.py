"""`smartsessions user ...`: the portal's accounts, who may ask for which event app's report."""

import sys
from typing import Annotated

import typer

from smartsessions.cli_options import (
    FLAG,
    DbOption,
    FlagsWithoutValues,
    GroupFlagsWithoutValues,
    database,
    say,
)

user_app = typer.Typer(
    cls=GroupFlagsWithoutValues,
    help="The portal's accounts: who may ask for which event app's report.",
    no_args_is_help=True,
)
EventsOption = Annotated[
    list[str], typer.Option("--event", help="An event app's short code (repeat for more).")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.", **FLAG)
]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def accounts(db: str | None):
    from smartsessions.portal.accounts import accounts_for

    return accounts_for(database(db))


@user_app.command("add", cls=FlagsWithoutValues)
def user_add(
    email: str, event: EventsOption, password_stdin: PasswordStdin = False, db: DbOption = None
) -> None:
    """Add an account with the event apps it may see (the password is asked twice)."""
    account = accounts(db).add(email, read_password(password_stdin), event)
    say(f"added {account.describe()}")


@user_app.command("password", cls=FlagsWithoutValues)
def user_password(email: str, password_stdin: PasswordStdin = False, db: DbOption = None) -> None:
    """Set a new password (unlocks the account and logs it out everywhere)."""
    account = accounts(db).set_password(email, read_password(password_stdin))
    say(f"new password for {account.email}")


@user_app.command("grant", cls=FlagsWithoutValues)
def user_grant(email: str, code: str, db: DbOption = None) -> None:
    """Let an account see one more event app."""
    say(accounts(db).grant(email, code).describe())


@user_app.command("revoke", cls=FlagsWithoutValues)
def user_revoke(email: str, code: str, db: DbOption = None) -> None:
    """Take an event app away from an account (from its next page on)."""
    say(accounts(db).revoke(email, code).describe())


@user_app.command("remove", cls=FlagsWithoutValues)
def user_remove(email: str, db: DbOption = None) -> None:
    """Remove an account, its grants, sessions and requests."""
    accounts(db).remove(email)
    say(f"removed {email.strip().lower()}")


@user_app.command("list", cls=FlagsWithoutValues)
def user_list(db: DbOption = None) -> None:
    """Every account with its event apps."""
    found = accounts(db).all()
    for account in found:
        say(account.describe())
    if not found:
        say("no accounts yet: `smartsessions user add EMAIL --event CODE`")
