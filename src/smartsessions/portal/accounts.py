"""Accounts and grants (`smartsessions user ...`), and checking a log-in.

Passwords are kept as argon2id hashes. A log-in fails the same way for an unknown email, a
wrong password and a locked account (the same work is done in each case, a hash checked),
so nothing tells whether an account exists.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smartsessions.errors import SmartSessionsError
from smartsessions.portal.catalog import Catalog
from smartsessions.portal.settings import Settings
from smartsessions.portal.state import State, now

HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
MIN_PASSWORD = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Checked when the email is unknown, so that an unknown email costs what a wrong password does.
UNKNOWN_HASH = HASHER.hash("not anybody's password")


@dataclass(frozen=True)
class Account:
    account_id: int
    email: str
    codes: tuple[str, ...]
    locked_until: float | None

    def describe(self) -> str:
        line = f"{self.email}  {', '.join(self.codes) or '(no event apps)'}"
        if self.locked_until and self.locked_until > now():
            until = datetime.fromtimestamp(self.locked_until, UTC)
            line += f"  (locked until {until:%Y-%m-%d %H:%M} UTC)"
        return line


@dataclass(frozen=True)
class Credentials:
    """An account as a password reset reads it: the hash changes with every new password."""

    account_id: int
    email: str
    password_hash: str


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise SmartSessionsError(f"{email!r} is not an email address")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise SmartSessionsError(f"a password needs at least {MIN_PASSWORD} characters")
    if "\n" in password or "\r" in password:
        raise SmartSessionsError("a password is one line")
    return password


class Accounts:
    def __init__(self, state: State, catalog: Catalog):
        self.state = state
        self.catalog = catalog

    # --- managed from the command line ---

    def add(self, email: str, password: str, codes: list[str]) -> Account:
        email, password = normal_email(email), check_password(password)
        codes = self.catalog.require_codes(codes)
        password_hash = HASHER.hash(password)
        with self.state.transaction() as con:
            if con.execute("select 1 from accounts where email = ?", [email]).fetchone():
                raise SmartSessionsError(
                    f"{email} already has an account: `user grant` gives it more event apps"
                )
            account_id = con.execute(
                "insert into accounts (email, password_hash, created_at) values (?, ?, ?)",
                [email, password_hash, now()],
            ).lastrowid
            con.executemany(
                "insert or ignore into grants values (?, ?)", [(account_id, c) for c in codes]
            )
        return self.get(email)

    def set_password(self, email: str, password: str) -> Account:
        """A new password: the account is unlocked and every session of it ends."""
        account = self.get(email)
        self._new_password(account.account_id, password)
        return self.get(email)

    def reset_password(self, holder: Credentials, password: str) -> bool:
        """A new password as `set_password` sets it, only while the account's password hash is
        still the one read in `holder` (a reset link's, which thus works once): False if not."""
        return self._new_password(holder.account_id, password, holder.password_hash)

    def _new_password(self, account_id: int, password: str, was: str | None = None) -> bool:
        password_hash = HASHER.hash(check_password(password))
        with self.state.transaction() as con:
            changed = con.execute(
                "update accounts set password_hash = ?, failed_logins = 0, locked_until = null"
                " where account_id = ? and (? is null or password_hash = ?)",
                [password_hash, account_id, was, was],
            ).rowcount
            if changed:
                con.execute("delete from sessions where account_id = ?", [account_id])
        return bool(changed)

    def credentials(
        self, email: str | None = None, account_id: int | None = None
    ) -> Credentials | None:
        """The account with this email (or id) and its password hash; None when there is none."""
        column, value = ("account_id", account_id) if email is None else ("email", email)
        row = self.state.one(
            f"select account_id, email, password_hash from accounts where {column} = ?", [value]
        )
        return Credentials(*row) if row else None

    def grant(self, email: str, code: str) -> Account:
        account = self.get(email)
        (code,) = self.catalog.require_codes([code])
        self.state.run("insert or ignore into grants values (?, ?)", [account.account_id, code])
        return self.get(email)

    def revoke(self, email: str, code: str) -> Account:
        """Takes effect on the person's next page: every page checks the grant. Their
        subscriptions to the event app end with it (a new grant does not bring them back)."""
        account = self.get(email)
        held = [c for c in account.codes if c.casefold() == code.strip().casefold()]
        if not held:
            raise SmartSessionsError(f"{account.email} has no grant for {code!r}")
        with self.state.transaction() as con:
            for table in ("grants", "subscriptions"):
                con.execute(
                    f"delete from {table} where account_id = ? and event_id = ?",
                    [account.account_id, held[0]],
                )
        return self.get(email)

    def remove(self, email: str) -> None:
        """The account, its grants, sessions, requests and subscriptions."""
        account = self.get(email)
        self.state.run("delete from accounts where account_id = ?", [account.account_id])

    def get(self, email: str) -> Account:
        email = email.strip().lower()
        row = self.state.one("select * from accounts where email = ?", [email])
        if row is None:
            raise SmartSessionsError(f"no account for {email!r}")
        return self._account(row)

    def all(self) -> list[Account]:
        return [self._account(row) for row in self.state.all("select * from accounts order by 2")]

    def _account(self, row) -> Account:
        codes = self.state.all(
            "select event_id from grants where account_id = ? order by 1", [row["account_id"]]
        )
        return Account(
            row["account_id"], row["email"], tuple(c[0] for c in codes), row["locked_until"]
        )

    # --- log-in ---

    def authenticate(
        self, email: str, password: str, failures_to_lock: int, lock_minutes: float
    ) -> int | None:
        """The account id when the email and password match an account that is not locked;
        else None, having counted the failure (and locked the account after
        `failures_to_lock` in a row)."""
        row = self.state.one(
            "select account_id, password_hash, locked_until from accounts where email = ?",
            [email.strip().lower()],
        )
        matches = _verify(row["password_hash"] if row else UNKNOWN_HASH, password)
        if row is None:
            return None
        moment = now()
        locked = row["locked_until"] is not None and row["locked_until"] > moment
        if matches and not locked:
            self.state.run(
                "update accounts set failed_logins = 0, locked_until = null where account_id = ?",
                [row["account_id"]],
            )
            if HASHER.check_needs_rehash(row["password_hash"]):
                self.state.run(
                    "update accounts set password_hash = ? where account_id = ?",
                    [HASHER.hash(password), row["account_id"]],
                )
            return row["account_id"]
        if not locked:  # failures while locked neither count nor extend the lock
            with self.state.transaction() as con:
                failed = con.execute(
                    "update accounts set failed_logins = failed_logins + 1 where account_id = ?"
                    " returning failed_logins",
                    [row["account_id"]],
                ).fetchone()[0]
                if failed >= failures_to_lock:
                    con.execute(
                        "update accounts set failed_logins = 0, locked_until = ?"
                        " where account_id = ?",
                        [moment + lock_minutes * 60, row["account_id"]],
                    )
        return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def accounts_for(db_path: Path) -> Accounts:
    """The accounts of the portal of a database (`user ...` commands); the database must exist,
    so that a mistyped --db makes no state beside it."""
    if not db_path.exists():
        raise SmartSessionsError(f"no database at {db_path}: load a delivery first")
    settings = Settings.from_environ(db_path)
    return Accounts(State(settings.app_db), Catalog(db_path))
