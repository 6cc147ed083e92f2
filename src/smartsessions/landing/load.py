"""`smartsessions load DIR`: land a delivery in the raw tables (../shared/spec/raw-landing.md).

Each file is streamed once in Python (content hash, gzip and UTF-8 checks), then read by DuckDB
with every column as text into a temporary table; the contract's checks and casts are SQL over
that table, so no Python loop touches a record. A file loads in one transaction: its good
records, its rejects and its book-keeping row, or nothing.

DuckDB reads each file through the load's scratch folder, a work folder beside the database
named after the process (`work_files`): the next load removes what a killed one left there.

For Spark (`landing=True`, or once the database has a landing folder), each file's outcome is
also written as parquet in that transaction (`parquet_mirror`).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import Progress

from smartsessions.database import connect, write_failure
from smartsessions.display import progress_label
from smartsessions.errors import SmartSessionsError
from smartsessions.landing.checks import JUDGED, FileRejected, judge
from smartsessions.landing.delivery import DeliveryFile, find_delivery_files
from smartsessions.landing.file_checks import FileUnreadable, Scan, readable, scan_file
from smartsessions.landing.hash_cache import HashCache
from smartsessions.landing.parquet_mirror import Landing
from smartsessions.landing.raw_schema import create_raw_schema
from smartsessions.landing.raw_tables import (
    Batch,
    already_offered,
    insert_good_records,
    insert_rejects,
    next_load_id,
    record_file,
    reject_file,
    transaction,
)
from smartsessions.landing.readers import WORK_TABLES, read_records
from smartsessions.sql import GLOB_CHARACTERS
from smartsessions.work_files import remove, remove_abandoned, work_path
from smartsessions.workspace import Workspace


@dataclass
class LoadSummary:
    files_loaded: int = 0
    files_skipped: int = 0  # offered before: its table and content hash are in raw.loaded_files
    files_rejected: int = 0  # rejected whole (not UTF-8, not gzip, unreadable, columns misfit)
    files_unread: int = 0  # an I/O or permission error: not remembered, the next load tries again
    records_loaded: int = 0
    records_rejected: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected_anything(self) -> bool:
        """Whether this load rejected a record or a whole file (what `load --strict` fails on)."""
        return self.files_rejected > 0 or self.records_rejected > 0

    def describe(self) -> str:
        unread = f", {self.files_unread:,} could not be read" if self.files_unread else ""
        return (
            f"{self.files_loaded:,} files loaded, {self.files_skipped:,} skipped as already"
            f" loaded, {self.files_rejected:,} rejected whole{unread}; {self.records_loaded:,}"
            f" records loaded, {self.records_rejected:,} rejected"
        )


def load_delivery(
    db_path: Path,
    folder: Path,
    progress: bool = False,
    landing: bool = False,
    hash_cache: Path | None = None,
) -> LoadSummary:
    """Load every file of the delivery in `folder` whose content is not loaded yet; with
    `landing` (or when the database has a landing folder), as parquet in it too. With a
    `hash_cache` file (a refresh's), a file unchanged since it was last hashed is not read."""
    files, warnings = find_delivery_files(folder)
    summary = LoadSummary(warnings=warnings)
    hashes = HashCache(hash_cache)
    scratch = _scratch_folder(db_path)
    folder_of_files = Workspace(db_path).landing
    landed = Landing(folder_of_files) if landing or folder_of_files.exists() else None
    try:
        with connect(db_path, create=True) as con:
            # The load holds the database's write lock: no other load uses its work folders.
            remove_abandoned(db_path)
            try:
                scratch.mkdir()
                _load_files(con, files, folder, summary, scratch, progress, landed, hashes)
            finally:
                remove(scratch)
                hashes.save()
    except (OSError, duckdb.Error) as error:  # the database, or the scratch folder beside it
        reason = write_failure(error)
        if reason is None:
            raise
        raise SmartSessionsError(f"cannot write database {db_path}: {reason}") from None
    return summary


def _scratch_folder(db_path: Path) -> Path:
    """This load's work folder beside the database. DuckDB takes `*`, `?` and `[` in a path as
    a pattern, and splits a pattern at backslashes: a path holding both cannot be read."""
    scratch = work_path(db_path, "load")
    if "\\" in str(scratch) and any(char in str(scratch) for char in GLOB_CHARACTERS):
        raise SmartSessionsError(
            f"database {db_path}: DuckDB cannot read files beside it, as its path holds both a"
            f" backslash and one of {' '.join(GLOB_CHARACTERS)}; move or rename it"
        )
    return scratch


def _load_files(
    con, files, folder: Path, summary, scratch: Path, progress: bool, landed, hashes: HashCache
):
    create_raw_schema(con)
    if landed:
        landed.prepare(con)
    batch = Batch(next_load_id(con), datetime.now(UTC), str(folder.resolve()))
    bar = Progress(console=Console(stderr=True), transient=True, disable=not progress)
    with bar:
        task = bar.add_task("loading", total=len(files))
        for file in files:
            bar.update(task, description=progress_label(f"loading {file.relative}"))
            _load_file(con, file, batch, summary, scratch, landed, hashes)
            bar.advance(task)


def _load_file(
    con,
    file: DeliveryFile,
    batch: Batch,
    summary: LoadSummary,
    scratch: Path,
    landed,
    hashes: HashCache,
):
    signature = hashes.signature(file.path)
    known = hashes.known_hash(file.path, signature)
    if known is not None and already_offered(con, file, known):
        summary.files_skipped += 1
        return
    try:
        scan = scan_file(file)
        hashes.remember(file.path, signature, scan.file_hash)
        if already_offered(con, file, scan.file_hash):
            summary.files_skipped += 1
            return
        if scan.fault:
            raise FileRejected(scan.fault)
        loaded, rejected = _land_file(con, file, scan, batch, scratch, landed)
    except FileUnreadable as fault:
        summary.files_unread += 1
        summary.warnings.append(f"skipped {file.relative}: {fault}; the next load tries it again")
        return
    except FileRejected as fault:
        reject_file(con, file, scan.file_hash, str(fault), batch, landed)
        summary.files_rejected += 1
        summary.warnings.append(f"rejected {file.relative} whole: {fault}")
        return
    summary.files_loaded += 1
    summary.records_loaded += loaded
    summary.records_rejected += rejected


def _land_file(con, file: DeliveryFile, scan: Scan, batch: Batch, scratch: Path, landed):
    """Land the file's good records and its rejects; (records loaded, records rejected)."""
    try:
        # Read before the transaction begins: inside one, a new table's rowids do not start
        # at 0, and they number the lines.
        with readable(file, scan, scratch) as source:
            records = read_records(con, file, scan, source)
        with transaction(con):
            judge(con, file.table, records)
            loaded = insert_good_records(con, file, batch)
            rejected = insert_rejects(con, file, batch)
            record_file(con, file, scan.file_hash, "loaded", loaded, rejected, batch)
            if landed:
                landed.write_file(con, file.table.name, scan.file_hash, batch.load_id)
    finally:
        _drop_work_tables(con)
    return loaded, rejected


def _drop_work_tables(con) -> None:
    for name in (*WORK_TABLES, JUDGED):
        con.execute(f"drop table if exists {name}")
