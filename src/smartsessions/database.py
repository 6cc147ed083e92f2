"""Opening the DuckDB file with errors a user can act on."""

import re
from pathlib import Path

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.workspace import Workspace

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
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.Error as error:
        if creating and write_failure(error):  # a file left half-written would never open again
            for path in (db_path, Workspace(db_path).wal):
                path.unlink(missing_ok=True)
        raise _cannot_open(db_path, read_only, error) from None
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")  # the CLI shows its own, on a terminal only
    return con


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
