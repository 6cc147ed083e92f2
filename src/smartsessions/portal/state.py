"""The portal's own state: one SQLite file beside the DuckDB database (SMARTSESSIONS_APP_DB).

Accounts, grants, log-in sessions and report requests. Every thread keeps one connection;
writes that read first (a rate limit, claiming a request) run in `BEGIN IMMEDIATE`
transactions, so that two threads or processes never both take the same decision. The file
holds password hashes: it is made owner-only.
"""

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smartsessions.errors import SmartSessionsError

SCHEMA = """
create table if not exists accounts (
    account_id integer primary key,
    email text not null unique,
    password_hash text not null,
    created_at real not null,
    failed_logins integer not null default 0,  -- in a row, since the last success or lock
    locked_until real  -- unix seconds; log-ins fail until then
);
create table if not exists grants (
    account_id integer not null references accounts on delete cascade,
    event_id text not null,
    primary key (account_id, event_id)
);
create table if not exists sessions (
    session_hash text primary key,  -- sha256 of the cookie's value, never the value
    account_id integer not null references accounts on delete cascade,
    created_at real not null,
    expires_at real not null
);
-- Password reset asks (reset.py), kept one hour: the rate limit per address counts them.
create table if not exists password_resets (
    reset_id integer primary key,
    email text not null,  -- as typed (normalised), whether or not an account has it
    asked_at real not null,
    state text not null default 'queued'
        check (state in ('queued', 'sending', 'sent', 'no account', 'failed', 'too late'))
);
create index if not exists password_resets_by_email on password_resets (email, asked_at);
create table if not exists requests (
    request_id integer primary key,  -- given by `counters`, never twice
    account_id integer not null references accounts on delete cascade,
    email text not null,  -- where the report goes, as the account said when asked
    event_id text not null,
    window_from text,  -- local dates YYYY-MM-DD; null is an open end
    window_to text,
    state text not null default 'queued'
        check (state in ('queued', 'running', 'sent', 'failed')),
    reason text,  -- why it failed, or the last answer before a retry
    requested_at real not null,
    started_at real,
    finished_at real,
    claimed integer not null default 0,  -- a worker of this process holds it
    next_try_at real,  -- a send to retry waits until then
    send_attempts integer not null default 0,
    workbook text,  -- the file, once written
    summary text,  -- JSON: what the email says about the workbook
    published_at text,  -- the publication the workbook was made from (reuse key)
    reused_from integer  -- the earlier request whose workbook this one sends
);
-- The last number given, by what it numbers ('requests'). A request's number is never given
-- again once the request is deleted (`user remove`): files in the outbox and the reports folder
-- are named by it. A state made before this table starts after its highest request.
create table if not exists counters (
    name text primary key,
    last integer not null
);
-- A person's report of one event app emailed on a schedule (subscriptions.py); numbers never
-- given twice, since a request names its subscription.
create table if not exists subscriptions (
    subscription_id integer primary key autoincrement,
    account_id integer not null references accounts on delete cascade,
    event_id text not null,
    weekday integer check (weekday between 0 and 6),  -- Monday 0; null: every day
    local_time text not null,  -- HH:MM in the time zone below
    timezone text not null,  -- the event app's, as it was when subscribed
    dates text not null check (dates in ('day', 'week', 'all')),
    created_at real not null
);
create index if not exists requests_by_person on requests (account_id, requested_at);
create index if not exists requests_to_run on requests (state, claimed, next_try_at);
create index if not exists requests_reusable
    on requests (event_id, window_from, window_to, published_at);
"""

ADDED_REQUEST_COLUMNS = {
    "subscription_id": "integer",  # the subscription it was sent for; null: asked by hand
    "due_at": "integer",  # that subscription's due time, unix seconds
}


class State:
    """The SQLite file, one connection per thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        if not path.parent.is_dir():
            raise SmartSessionsError(f"folder {path.parent} for the portal's state does not exist")
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.connection().executescript(SCHEMA)  # idempotent: `if not exists`
        self._add_columns()

    def _add_columns(self) -> None:
        """Columns added since a state was made: a state of an older version keeps working."""
        with self.transaction() as con:  # two servers starting at once add them once
            have = {row["name"] for row in con.execute("pragma table_info(requests)")}
            for column, kind in ADDED_REQUEST_COLUMNS.items():
                if column not in have:
                    con.execute(f"alter table requests add column {column} {kind}")
            # one request per subscription and due time, whoever queues it
            con.execute(
                "create unique index if not exists requests_per_due"
                " on requests (subscription_id, due_at)"
            )

    def connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            except sqlite3.Error as error:
                raise SmartSessionsError(
                    f"cannot open the portal's state {self.path}: {error}"
                ) from None
            con.row_factory = sqlite3.Row
            con.execute("pragma journal_mode = wal")
            con.execute("pragma synchronous = normal")
            con.execute("pragma foreign_keys = on")
            self._local.con = con
        return con

    def all(self, sql: str, parameters=()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, parameters).fetchall()

    def one(self, sql: str, parameters=()) -> sqlite3.Row | None:
        return self.connection().execute(sql, parameters).fetchone()

    def run(self, sql: str, parameters=()) -> sqlite3.Cursor:
        return self.connection().execute(sql, parameters)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the file's write lock from its start."""
        con = self.connection()
        con.execute("begin immediate")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")


def now() -> float:
    return time.time()
