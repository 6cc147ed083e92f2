"""Who is asking: the session cookie, the person behind it, and the forms' CSRF tokens.

Every visitor holds a random cookie value. Logged in, the portal's state keeps a hash of it
(never the value) with the account: logging out, `user remove` and the session's expiry end
it, and the person and their grants are read again on every request, so that `user revoke`
takes effect on the next page. A form's `csrf_token` is an HMAC of the cookie's value, so a
page of another site can neither read nor forge it; logging in gives a new cookie value.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from smartsessions.portal.state import State, now

COOKIE = "smartsessions_session"


@dataclass(frozen=True)
class Person:
    account_id: int
    email: str
    codes: frozenset[str]

    def may_see(self, event_id: str) -> bool:
        return event_id in self.codes


class Sessions:
    def __init__(self, state: State, secret_key: str, hours: float):
        self.state = state
        self.key = secret_key.encode()
        self.seconds = hours * 3600

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def start(self, account_id: int) -> str:
        """A new cookie value, logged in as the account."""
        cookie, moment = self.new_cookie(), now()
        with self.state.transaction() as con:
            con.execute("delete from sessions where expires_at <= ?", [moment])
            con.execute(
                "insert into sessions values (?, ?, ?, ?)",
                [_hash(cookie), account_id, moment, moment + self.seconds],
            )
        return cookie

    def person(self, cookie: str | None) -> Person | None:
        """The person logged in with this cookie, with their grants as they are now."""
        if not cookie:
            return None
        row = self.state.one(
            "select a.account_id, a.email from sessions as s join accounts as a using (account_id)"
            " where s.session_hash = ? and s.expires_at > ?",
            [_hash(cookie), now()],
        )
        if row is None:
            return None
        codes = self.state.all("select event_id from grants where account_id = ?", [row[0]])
        return Person(row[0], row[1], frozenset(code for (code,) in codes))

    def end(self, cookie: str | None) -> None:
        if cookie:
            self.state.run("delete from sessions where session_hash = ?", [_hash(cookie)])

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self.key, b"csrf\0" + cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.csrf_token(cookie), token)


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()
