"""The emailed download link: signed, naming one request and the person who asked, with the
moment it expires inside the signature."""

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from smartsessions.portal.state import now

SALT = "smartsessions download link"
PATH = "/download/"


@dataclass(frozen=True)
class Claim:
    """What a link says: the request, the account that asked, and until when it works."""

    request_id: int
    account_id: int
    expires_at: float

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)


class LinkInvalid(Exception):
    """Not a link this portal signed (or altered since)."""


class LinkExpired(Exception):
    def __init__(self, claim: Claim):
        super().__init__("This link has expired")
        self.claim = claim


class Links:
    def __init__(self, secret_key: str, base_url: str, days: int):
        self.serializer = URLSafeSerializer(secret_key, salt=SALT)
        self.base_url = base_url
        self.days = days

    def make(self, request_id: int, account_id: int, issued_at: float | None = None):
        """(url, claim) of a link to the request's workbook for the account."""
        issued_at = now() if issued_at is None else issued_at
        claim = Claim(request_id, account_id, issued_at + self.days * 86400)
        token = self.serializer.dumps([claim.request_id, claim.account_id, int(claim.expires_at)])
        return f"{self.base_url}{PATH}{token}", claim

    def read(self, token: str) -> Claim:
        """The claim of a token; LinkInvalid when tampered with, LinkExpired when too old."""
        try:
            request_id, account_id, expires_at = self.serializer.loads(token)
            claim = Claim(int(request_id), int(account_id), float(expires_at))
        except (BadSignature, ValueError, TypeError):
            raise LinkInvalid() from None
        if claim.expires_at <= now():
            raise LinkExpired(claim)
        return claim
