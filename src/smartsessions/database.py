"""Opening the DuckDB file with errors a user can act on."""

import os
import re
import sys
import time
from pathlib import Path

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.workspace import Workspace

LOCK_WAIT_SETTING = "SMARTSESSIONS_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 300.0
LOCK_POLL_SECONDS = 1.0

# DuckDB names a file's catalog after it: a file named like a schema makes names ambiguous,
# and `temp`, `system` and `memory` are DuckDB's own catalogs.
RESERVED_NAMES = {"main", "raw", "reference", "staging", "intermediate", "marts", "report"} | {
    "temp",
    "system",
    "memory",
}


def connect(
    db_path: Path, read_only: bool = False, create: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection in UTC, or one line saying why the file cannot be opened. Only a command
    that lands data may `create` the file: elsewhere a missing file is a mistyped path."""
    if db_path.stem.lower() in RESERVED_NAMES:
        raise SmartSessionsError(
            f"database {db_path}: name the file anything but {', '.join(sorted(RESERVED_NAMES))}"
        )
    if {'"', "'"} & set(db_path.stem):  # SQL quotes the catalog name with them
        raise SmartSessionsError(f"database {db_path}: name the file without quotes")
    if "?" in str(db_path):  # DuckDB's options start there: it would make a file of the rest
        raise SmartSessionsError(
            f"database {db_path}: DuckDB reads a `?` in the path as the start of options;"
            " move or rename it"
        )
    if not create and not db_path.exists():
        raise SmartSessionsError(f"no database at {db_path}: load a delivery first")
    creating = not db_path.exists()
    waited_since = None
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
            break
        except duckdb.Error as error:
            if creating and write_failure(error):  # a file left half-written never opens again
                for path in (db_path, Workspace(db_path).wal):
                    path.unlink(missing_ok=True)
            holder = _lock_holder(error)
            if read_only or holder is None:
                raise _cannot_open(db_path, read_only, error) from None
            # A writer (load, build, refresh) waits for another process to let go: an
            # analyst's session on the working database delays the schedule, never breaks it.
            limit = lock_wait_seconds()
            if waited_since is None:
                waited_since = time.monotonic()
                if limit > 0:
                    print(
                        f"waiting up to {limit:g} s for process {holder}, which holds {db_path}",
                        file=sys.stderr,
                        flush=True,
                    )
            if time.monotonic() - waited_since >= limit:
                raise SmartSessionsError(
                    f"database {db_path} is in use by another process (process {holder})"
                    + (f"; gave up after {limit:g} s" if limit > 0 else "")
                    + "; try again when it is done"
                ) from None
            time.sleep(LOCK_POLL_SECONDS)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")  # the CLI shows its own, on a terminal only
    return con


def lock_wait_seconds() -> float:
    """How long a writer waits for another process holding the file (a setting)."""
    text = os.environ.get(LOCK_WAIT_SETTING, "")
    try:
        return max(0.0, float(text)) if text.strip() else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        raise SmartSessionsError(
            f"{LOCK_WAIT_SETTING}={text!r}: give a number of seconds"
        ) from None


def _lock_holder(error: duckdb.Error) -> str | None:
    """The process id DuckDB names as holding the file's lock ("?" when it names none); None
    when the error is not a lock."""
    if not isinstance(error, duckdb.IOException) or "lock" not in str(error).lower():
        return None
    found = re.search(r"PID (\d+)", str(error))
    return found[1] if found else "?"


def _cannot_open(db_path: Path, read_only: bool, error: duckdb.Error) -> SmartSessionsError:
    if isinstance(error, duckdb.IOException):
        if "lock" in str(error).lower():
            holder = "being written by" if read_only else "in use by"
            return SmartSessionsError(
                f"database {db_path} is {holder} another process"
                f"{' (a load or a build)' if read_only else ''}; try again when it is done"
            )
        reason = write_failure(error)
        if reason:
            return SmartSessionsError(f"cannot write database {db_path}: {reason}")
        return SmartSessionsError(f"cannot open database {db_path}: {_first_line(error)}")
    # not a DuckDB file, truncated, damaged
    return SmartSessionsError(
        f"cannot open database {db_path}: it is damaged or not a DuckDB database"
        f" ({_first_line(error)})"
    )


def write_failure(error: duckdb.Error | OSError) -> str | None:
    """The system's reason when the error is DuckDB failing to write a file (the database, its
    log, its temporary files, a parquet file, an attached database at its checkpoint): a full
    disk, a read-only or failing device; None for any other. A system error is its reason."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    for line in str(error).splitlines():
        if "Could not write" in line or "No space left on device" in line:
            # the reason ends the line, or an asynchronous write's error, quoted inside JSON
            return re.match(r'[^"\\]*', line.rsplit(": ", 1)[-1]).group()
    return None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
