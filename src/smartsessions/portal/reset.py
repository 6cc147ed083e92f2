"""Password reset by email (portal.md, Password reset): the asks and their rate limit, the signed
one-time link, and the thread that sends the messages.

The page that takes an ask only records it, doing the same work whatever the address; a thread
of the server then looks the address up and sends the message. So the answer is the same, in
the same time, whether or not an account has the address: it tells nobody who has an account.

A link names the account, its expiry (1 hour after the ask) and a fingerprint of the account's
password hash when the link was made, all signed. Setting a password changes the hash (argon2
salts each hash afresh, even for the same password), so a link works once, and the links sent
before it stop working with it (as they do after `user password`).
"""

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer

from smartsessions.portal.accounts import Accounts, Credentials
from smartsessions.portal.links import LinkExpired, LinkInvalid
from smartsessions.portal.mail import Mailer, SendFailed
from smartsessions.portal.reset_mail import reset_message
from smartsessions.portal.settings import Settings
from smartsessions.portal.state import State, now

log = logging.getLogger("smartsessions.portal")
SALT = "smartsessions password reset"  # a download link's token is no reset link's
PATH = "/password/reset"  # the token goes in the query, which the server's log never shows
HOUR = 3600  # a link's life, and the rate limit's window
IDLE_POLL = 1.0  # seconds the idle sender waits before looking again (asks also wake it)
STOP_WAIT = 5.0


@dataclass(frozen=True)
class ResetClaim:
    """What a reset link says: the account, its password hash's fingerprint, its expiry."""

    account_id: int
    fingerprint: str
    expires_at: float


class LinkUsed(Exception):
    """A signed link whose account has had a new password since (or is gone)."""


class ResetLinks:
    def __init__(self, secret_key: str, base_url: str):
        self.key = secret_key.encode()
        self.serializer = URLSafeSerializer(secret_key, salt=SALT)
        self.base_url = base_url

    def fingerprint(self, password_hash: str) -> str:
        """Keyed, so that a link shows nothing of the hash."""
        digest = hmac.new(self.key, b"reset\0" + password_hash.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def make(self, holder: Credentials, expires_at: float) -> str:
        claim = [holder.account_id, self.fingerprint(holder.password_hash), int(expires_at)]
        return f"{self.base_url}{PATH}?{urlencode({'token': self.serializer.dumps(claim)})}"

    def read(self, token: str, moment: float) -> ResetClaim:
        """The claim of a token; LinkInvalid when not signed here, LinkExpired when too old."""
        try:
            account_id, fingerprint, expires_at = self.serializer.loads(token)
            claim = ResetClaim(int(account_id), str(fingerprint), float(expires_at))
        except (BadSignature, ValueError, TypeError):
            raise LinkInvalid() from None
        if claim.expires_at <= moment:
            raise LinkExpired(claim)
        return claim

    def works_for(self, claim: ResetClaim, holder: Credentials | None) -> bool:
        if holder is None:
            return False
        return hmac.compare_digest(claim.fingerprint, self.fingerprint(holder.password_hash))


class Resets:
    """The asks for a reset link (in the state) and the thread that answers them by email."""

    def __init__(
        self, settings: Settings, state: State, accounts: Accounts, clock: Callable[[], float] = now
    ):
        self.settings = settings
        self.state = state
        self.accounts = accounts
        self.links = ResetLinks(settings.secret_key, settings.base_url)
        self.mailer = Mailer(settings.smtp, settings.outbox)
        self.clock = clock  # tests move it
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the pages ---

    def ask(self, email: str) -> bool:
        """Record an ask for a link to the (normalised) address, unless the address had
        `requests_per_hour` asks in the last hour already: then False and nothing recorded.
        The same work whether or not an account has the address."""
        moment = self.clock()
        with self.state.transaction() as con:
            con.execute("delete from password_resets where asked_at <= ?", [moment - HOUR])
            (asked,) = con.execute(
                "select count(*) from password_resets where email = ?", [email]
            ).fetchone()
            if asked >= self.settings.requests_per_hour:
                return False
            con.execute(
                "insert into password_resets (email, asked_at) values (?, ?)", [email, moment]
            )
        self._wake.set()
        return True

    def holder(self, token: str) -> Credentials:
        """The account a link resets, while the link works; else LinkInvalid, LinkExpired or
        LinkUsed."""
        claim = self.links.read(token, self.clock())
        holder = self.accounts.credentials(account_id=claim.account_id)
        if not self.links.works_for(claim, holder):
            raise LinkUsed()
        return holder

    # --- the sender ---

    def start(self) -> None:
        self.state.run("update password_resets set state = 'queued' where state = 'sending'")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="password-reset-mail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(STOP_WAIT)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: an ask recorded meanwhile wakes the wait
            ask = self._claim()
            if ask is None:
                self._wake.wait(IDLE_POLL)
                continue
            try:
                outcome = self._answer(ask)
            except Exception:  # a bug: the log has the traceback; the person may ask again
                log.exception("password reset %d failed", ask["reset_id"])
                outcome = "failed"
            self.state.run(
                "update password_resets set state = ? where reset_id = ?",
                [outcome, ask["reset_id"]],
            )

    def _claim(self):
        with self.state.transaction() as con:
            ask = con.execute(
                "select * from password_resets where state = 'queued' order by reset_id limit 1"
            ).fetchone()
            if ask is not None:
                con.execute(
                    "update password_resets set state = 'sending' where reset_id = ?",
                    [ask["reset_id"]],
                )
        return ask

    def _answer(self, ask) -> str:
        """Send the link if an account has the address; the outcome (never the link)."""
        expires_at = ask["asked_at"] + HOUR
        if expires_at <= self.clock():  # the server was down for the link's whole life
            outcome = "too late"
        elif (holder := self.accounts.credentials(email=ask["email"])) is None:
            outcome = "no account"
        else:
            expires = datetime.fromtimestamp(int(expires_at), UTC)
            link = self.links.make(holder, expires_at)
            message = reset_message(holder.email, link, expires, self.settings.mail_from)
            try:
                self.mailer.send(message, f"password-reset-{ask['reset_id']}")
                outcome = "sent"
            except SendFailed as failed:
                log.warning("password reset %d: not sent (%s)", ask["reset_id"], failed.reply)
                return "failed"
        log.info("password reset %d: %s", ask["reset_id"], outcome)
        return outcome
