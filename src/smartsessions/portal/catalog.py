"""What the pages show from the published catalog: the event apps and their activity dates.

Pages read the catalog readers open (`NAME.published.duckdb`, publish.py), read-only, and
keep what they read until a build publishes a new one (the file is replaced by a rename, so
its identity changes). Each read opens the file in a DuckDB instance of its own: DuckDB
shares one instance per path within a process, and an export still running on the previous
catalog would otherwise keep showing it to the pages.
"""

import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.publish import require_published
from smartsessions.report.event_codes import UnknownCode, lookup_code
from smartsessions.report.window import Window
from smartsessions.sql import literal


@dataclass(frozen=True)
class EventApp:
    event_id: str
    event_name: str | None
    timezone: str  # the IANA name
    first_activity: date | None  # local dates of its first and last counted activity
    last_activity: date | None

    def has_activity(self, window: Window) -> bool:
        """Whether the window meets the mart's first to last activity date: a window outside
        them holds no counted activity (report-sheets.md: in the report when its local date
        is in the window). A day without activity between them is not known here."""
        if self.first_activity is None or self.last_activity is None:
            return False
        after_start = window.end is None or window.end >= self.first_activity
        before_end = window.start is None or window.start <= self.last_activity
        return after_start and before_end


class Catalog:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        self._lock = threading.Lock()
        self._identity: tuple | None = None
        self._apps: dict[str, EventApp] = {}

    def event_apps(self) -> dict[str, EventApp]:
        """Every event app published, by code."""
        with self._lock:
            self._refresh()
            return self._apps

    def find(self, code: str) -> EventApp | None:
        """The event app of a code as typed, in any case (event_codes.lookup_code), or None."""
        apps = self.event_apps()
        try:
            return apps[lookup_code(apps, code, any_case=True)]
        except UnknownCode:
            return None

    def require_codes(self, codes: list[str]) -> list[str]:
        """The published codes for codes as typed, in any case, or one line listing the known
        ones."""
        apps = self.event_apps()
        return [lookup_code(apps, code, any_case=True) for code in codes]

    def publication(self) -> str:
        """Which publication an export opening the catalog now reads: its time and load. Read
        the way the export opens the file (one shared instance per path), so that the same
        answer before and after an export means the export read that publication."""
        with connect(require_published(self.db_path), read_only=True) as con:
            published_at, load_id = con.execute(
                "select published_at, load_id from publication.published"
            ).fetchone()
        return f"{published_at:%Y-%m-%d %H:%M:%S.%f} load {load_id}"

    def _refresh(self) -> None:
        """Read the event apps again when a new catalog was published."""
        path = require_published(self.db_path)
        found = os.stat(path)
        identity = (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size)
        if identity == self._identity:
            return
        with self._open() as con:
            rows = con.execute(
                "select event_id, event_name, timezone, first_activity_date, last_activity_date"
                " from marts.event_apps order by event_id"
            ).fetchall()
        self._apps = {row[0]: EventApp(*row) for row in rows}
        self._identity = identity

    def _open(self) -> duckdb.DuckDBPyConnection:
        path = require_published(self.db_path)
        con = duckdb.connect()  # an instance of its own (see the module's docstring)
        try:
            con.execute(f"attach {literal(path)} as published (read_only)")
            con.execute("use published")
            built = con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = 'marts' and table_name = 'event_apps'"
            ).fetchone()[0]
        except duckdb.Error as error:
            con.close()
            first = (str(error).strip().splitlines() or ["unreadable"])[0]
            raise SmartSessionsError(f"cannot read the published catalog {path}: {first}") from None
        if not built:
            con.close()
            raise SmartSessionsError(f"database {self.db_path} is not built yet")
        return con
