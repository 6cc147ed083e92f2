"""The portal's settings, read once from the environment (portal.md, Settings)."""

import os
import secrets
import socket
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.workspace import Workspace, key_file_of

PREFIX = "SMARTSESSIONS_"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 60.0  # seconds a connection may stay silent

    def __repr__(self) -> str:  # never the password
        return f"Smtp(host={self.host!r}, port={self.port}, starttls={self.starttls})"


@dataclass(frozen=True)
class Settings:
    db_path: Path  # the working database NAME.duckdb; reports read NAME.published.duckdb
    base_url: str  # links in emails point here
    app_db: Path  # the portal's state (SQLite)
    outbox: Path  # messages as .eml files when there is no SMTP host
    reports_dir: Path  # the workbooks requested
    mail_from: str
    smtp: Smtp | None = None
    secret_key: str | None = None
    link_days: int = 7
    attach_max_mb: float = 10
    requests_per_hour: int = 10
    lockout_failures: int = 5
    lockout_minutes: float = 15
    workers: int = 4
    retry_seconds: tuple[float, ...] = (30, 120)  # pauses before the 2nd and 3rd send
    session_hours: float = 12
    refresh_dir: Path | None = None  # the delivery folder the server refreshes from, if any
    refresh_minutes: float | None = None  # how often; None: never (a refresh from cron)

    def __repr__(self) -> str:  # never the secret key nor the SMTP password
        return f"Settings(db_path={self.db_path}, base_url={self.base_url!r}, smtp={self.smtp!r})"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.lower().startswith("https://")

    @property
    def key_file(self) -> Path:
        """Where a generated signing key is kept: beside the portal's state."""
        return key_file_of(self.app_db)

    @classmethod
    def from_environ(
        cls,
        db_path: Path,
        environ: Mapping[str, str] | None = None,
        base_url: str = "http://127.0.0.1:8000",
    ) -> "Settings":
        """The settings for the database `db_path` from SMARTSESSIONS_* variables; a value
        that does not parse is one line naming the variable."""
        env = Reader(os.environ if environ is None else environ)
        workspace = Workspace(db_path)
        host = env.text("SMTP_HOST")
        smtp = None
        if host:
            smtp = Smtp(
                host=host,
                port=env.number("SMTP_PORT", 25, int, low=1),
                user=env.text("SMTP_USER"),
                password=env.text("SMTP_PASSWORD"),
                starttls=env.flag("SMTP_STARTTLS", False),
                timeout=env.number("SMTP_TIMEOUT", 60.0, float, low=0.1),
            )
        return cls(
            db_path=db_path,
            base_url=(env.url("BASE_URL") or base_url).rstrip("/"),
            app_db=env.file_path("APP_DB") or workspace.portal_db,
            outbox=env.path("OUTBOX") or workspace.outbox,
            reports_dir=env.path("REPORTS") or workspace.reports,
            mail_from=env.text("MAIL_FROM") or f"Smart Sessions <smartsessions@{socket.getfqdn()}>",
            smtp=smtp,
            secret_key=env.text("SECRET_KEY"),
            link_days=env.number("LINK_DAYS", 7, int, low=1),
            attach_max_mb=env.number("ATTACH_MAX_MB", 10.0, float, low=0),
            requests_per_hour=env.number("REQUESTS_PER_HOUR", 10, int, low=1),
            lockout_failures=env.number("LOCKOUT_FAILURES", 5, int, low=1),
            lockout_minutes=env.number("LOCKOUT_MINUTES", 15.0, float, low=0),
            workers=env.number("WORKERS", 4, int, low=1),
            retry_seconds=env.pauses("SMTP_RETRY_SECONDS", (30.0, 120.0)),
            **_scheduled_refresh(env),
        )


def _scheduled_refresh(env: "Reader") -> dict:
    """SMARTSESSIONS_REFRESH_MINUTES and SMARTSESSIONS_REFRESH_DIR, both or neither: the server
    runs `smartsessions refresh DIR` every so many minutes."""
    minutes = env.number("REFRESH_MINUTES", None, float, low=1)
    folder = env.path("REFRESH_DIR")
    if minutes is None and folder is None:
        return {}
    if minutes is None or folder is None:
        given, missing = ("DIR", "MINUTES") if minutes is None else ("MINUTES", "DIR")
        raise SmartSessionsError(
            f"{PREFIX}REFRESH_{given} is set but not {PREFIX}REFRESH_{missing}: a scheduled"
            " refresh needs both (the delivery folder, and how often in minutes)"
        )
    if not folder.is_dir():
        raise SmartSessionsError(f"{PREFIX}REFRESH_DIR={env.text('REFRESH_DIR')!r}: no such folder")
    return {"refresh_dir": folder, "refresh_minutes": minutes}


class Reader:
    """SMARTSESSIONS_<name> values, each checked, with one-line errors."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def text(self, name: str) -> str | None:
        value = self.environ.get(PREFIX + name, "").strip()
        return value or None

    def url(self, name: str) -> str | None:
        """An address for links in emails: without http:// or https:// a mail program would
        not open it as a link (`example.com` would be taken for a file)."""
        value = self.text(name)
        scheme, _, rest = (value or "").partition("://")
        if value and (scheme.lower() not in ("http", "https") or not rest.strip("/")):
            raise SmartSessionsError(
                f"{PREFIX}{name}={value!r}: expected an address starting with http:// or"
                " https://, e.g. https://reports.example.com"
            )
        return value

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        return Path(value).expanduser().resolve() if value else None

    def file_path(self, name: str) -> Path | None:
        """A file's path whose folder exists: a mistyped folder stops the command rather than
        being made, to run on an empty file there."""
        path = self.path(name)
        if path and not path.parent.is_dir():
            raise SmartSessionsError(
                f"{PREFIX}{name}={self.text(name)!r}: folder {path.parent} does not exist"
            )
        return path

    def number(self, name: str, default, kind, low):
        value = self.text(name)
        if value is None:
            return default
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or number < low:
            raise SmartSessionsError(f"{PREFIX}{name}={value!r}: expected a number >= {low}")
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise SmartSessionsError(f"{PREFIX}{name}={value!r}: expected true or false")
        return value.lower() == "true"

    def pauses(self, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
        value = self.text(name)
        if value is None:
            return default
        try:
            pauses = tuple(float(part) for part in value.split(","))
        except ValueError:
            pauses = ()
        if not pauses or min(pauses) < 0:
            raise SmartSessionsError(
                f"{PREFIX}{name}={value!r}: expected seconds separated by commas, e.g. 30,120"
            )
        return pauses


def private_folder(path: Path) -> None:
    """Make a folder the portal writes attendees' names into (workbooks, messages), owner-only
    whatever the umask. A folder that exists is the operator's, and is left as it is."""
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return
    path.chmod(0o700)  # mkdir's mode is narrowed by the umask


def with_secret_key(settings: Settings) -> tuple[Settings, str | None]:
    """The settings with a signing key: SMARTSESSIONS_SECRET_KEY, else the key kept in a file
    beside the portal's state (made once, owner-only). Returns a line to tell the operator
    where the key comes from when it is not from the environment (never the key itself)."""
    if settings.secret_key:
        return settings, None
    path = settings.key_file
    created = False
    if not path.exists():
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: read theirs
            pass
        else:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            created = True
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SmartSessionsError(
            f"the portal's key file {path} is readable by others: chmod 600 {path}"
        )
    key = path.read_text().strip()
    if len(key) < 32:
        raise SmartSessionsError(f"the portal's key file {path} holds no key: remove it")
    made = "generated now" if created else "generated earlier"
    line = f"no SMARTSESSIONS_SECRET_KEY: signing with the key in {path} ({made}, owner-only)"
    return replace(settings, secret_key=key), line
