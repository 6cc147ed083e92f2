"""`smartsessions load DIR`: land a delivery in the raw tables (../shared/spec/raw-landing.md).

Each file is streamed once in Python (content hash, gzip and UTF-8 checks), then read by DuckDB
with every column as text into a temporary table; the contract's checks and casts are SQL over
that table, so no Python loop touches a record. A file loads in one transaction: its good
records, its rejects and its book-keeping row, or nothing.
"""

import codecs
import csv
import gzip
import hashlib
import io
import os
import tempfile
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import Progress

from smartsessions.contract import FORMATS, SQL_TYPES, TABLES, Column, Table
from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.raw_schema import create_raw_schema

CHUNK_BYTES = 1 << 20
HEADER_CHARS = 1 << 16  # enough decoded text to hold a CSV header row
# JSON lines are read as one text column, split on a control character the file does not hold
# (valid JSON never holds a raw one, but a broken line might).
DELIMITER_CANDIDATES = b"\x01\x02\x03\x04\x05\x06\x07\x08"
# What trimming removes, in SQL: spaces, tabs, line feeds and carriage returns.
WHITESPACE_CHARS = ("' '", "chr(9)", "chr(10)", "chr(13)")
WHITESPACE = " || ".join(WHITESPACE_CHARS)
TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
OFFSET_PATTERN = r"(Z|[+-]\d{2}(:?\d{2})?)"
TEXT_KINDS = {kind for kind, sql_type in SQL_TYPES.items() if sql_type == "varchar"}
# DuckDB errors that say nothing about the file being read.
NOT_THE_FILES_FAULT = (
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
    duckdb.InternalException,
    duckdb.FatalException,
)


@dataclass(frozen=True)
class DeliveryFile:
    path: Path
    relative: str  # '/'-separated path inside the delivery folder
    table: Table
    reader: str  # json, csv or parquet
    compressed: bool


@dataclass(frozen=True)
class Scan:
    """What one streaming pass over a file's bytes found."""

    file_hash: str
    fault: str | None = None  # why the file is rejected whole
    newline: str | None = "\n"  # "\n" or "\r\n"; None when the file mixes line endings
    delimiter: int | None = None  # JSON lines: a control character absent from the file
    head: str = ""  # the first characters of text, which hold a CSV header


@dataclass(frozen=True)
class Batch:
    """One `load_delivery` call: every row it writes carries these."""

    load_id: int
    loaded_at: datetime
    delivery_dir: str


@dataclass
class LoadSummary:
    files_loaded: int = 0
    files_skipped: int = 0  # offered before: the same content hash is in raw.loaded_files
    files_rejected: int = 0  # rejected whole (not UTF-8, not gzip, unreadable)
    records_loaded: int = 0
    records_rejected: int = 0
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{self.files_loaded:,} files loaded, {self.files_skipped:,} skipped as already"
            f" loaded, {self.files_rejected:,} rejected whole; {self.records_loaded:,} records"
            f" loaded, {self.records_rejected:,} rejected"
        )


class FileRejected(Exception):
    """The file as a whole breaks the contract; the message is the reason."""


def load_delivery(db_path: Path, folder: Path, progress: bool = False) -> LoadSummary:
    """Load every file of the delivery in `folder` whose content is not loaded yet."""
    files, warnings = find_delivery_files(folder)
    summary = LoadSummary(warnings=warnings)
    with connect(db_path, create=True) as con, tempfile.TemporaryDirectory() as scratch:
        create_raw_schema(con)
        batch = Batch(_next_load_id(con), datetime.now(UTC), str(folder.resolve()))
        bar = Progress(console=Console(stderr=True), transient=True, disable=not progress)
        with bar:
            task = bar.add_task("loading", total=len(files))
            for file in files:
                bar.update(task, description=f"loading {file.relative}")
                _load_file(con, file, batch, summary, Path(scratch))
                bar.advance(task)
    return summary


# --- the delivery's files -----------------------------------------------------------------


def find_delivery_files(folder: Path) -> tuple[list[DeliveryFile], list[str]]:
    """The delivery's files in byte order of their relative path, and a warning for each
    other file (hidden files and folders are ignored silently)."""
    if not folder.exists():
        raise SmartSessionsError(f"delivery folder {folder} does not exist")
    if not folder.is_dir():
        raise SmartSessionsError(f"delivery folder {folder} is not a folder")
    files, warnings = [], []
    # Python orders str by code point, which is the byte order of their UTF-8.
    for relative in sorted(_visible_files(folder)):
        file = _delivery_file(folder, relative)
        if file is None:
            warnings.append(f"skipped unknown file {relative}")
        else:
            files.append(file)
    if not files:
        raise SmartSessionsError(f"empty delivery: {folder} holds no file to load")
    return files, warnings


def _visible_files(folder: Path):
    for root, folders, names in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if not name.startswith("."):
                yield Path(root, name).relative_to(folder).as_posix()


def _delivery_file(folder: Path, relative: str) -> DeliveryFile | None:
    parts = relative.split("/")
    ending = max((e for e in FORMATS if parts[-1].endswith(e)), key=len, default=None)
    if ending is None:
        return None
    table_name = parts[0] if len(parts) > 1 else parts[0].removesuffix(ending)
    if table_name not in TABLES:
        return None
    return DeliveryFile(
        folder / relative,
        relative,
        TABLES[table_name],
        FORMATS[ending],
        ending.endswith(".gz"),
    )


# --- one file -----------------------------------------------------------------------------


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(_load_id), 0) + 1 from raw.loaded_files").fetchone()[0]


def _load_file(con, file: DeliveryFile, batch: Batch, summary: LoadSummary, scratch: Path):
    scan = scan_file(file)
    if _already_offered(con, scan.file_hash):
        summary.files_skipped += 1
        return
    try:
        if scan.fault:
            raise FileRejected(scan.fault)
        loaded, rejected = _land_file(con, file, scan, batch, scratch)
    except FileRejected as fault:
        _reject_file(con, file, scan.file_hash, str(fault), batch)
        summary.files_rejected += 1
        summary.warnings.append(f"rejected {file.relative} whole: {fault}")
        return
    summary.files_loaded += 1
    summary.records_loaded += loaded
    summary.records_rejected += rejected


def _already_offered(con, file_hash: str) -> bool:
    seen = con.execute("select count(*) from raw.loaded_files where file_hash = ?", [file_hash])
    return seen.fetchone()[0] > 0


def _land_file(con, file: DeliveryFile, scan: Scan, batch: Batch, scratch: Path):
    """Land the file's good records and its rejects; (records loaded, records rejected)."""
    path, compression, newline = _readable_copy(file, scan, scratch)
    try:
        # Read before the transaction begins: inside one, a new table's rowids do not start
        # at 0, and they number the lines.
        records = _read_records(con, file, scan, path, compression, newline)
        with _transaction(con):
            _judge(con, file.table, records)
            loaded = insert_good_records(con, file, batch)
            rejected = insert_rejects(con, file, batch)
            _record_file(con, file, scan.file_hash, "loaded", loaded, rejected, batch)
    finally:
        _drop_work_tables(con)
    return loaded, rejected


# --- the streaming pass -------------------------------------------------------------------


def scan_file(file: DeliveryFile) -> Scan:
    """Hash the file's bytes and, for text, check that they gunzip and decode as UTF-8."""
    digest = hashlib.sha256()
    text = TextCheck(file.compressed) if file.reader != "parquet" else None
    with file.path.open("rb") as handle:
        for chunk in iter(partial(handle.read, CHUNK_BYTES), b""):
            digest.update(chunk)
            if text:
                text.feed(chunk)
    if text is None:
        return Scan(digest.hexdigest())
    return text.finish(digest.hexdigest())


class Gunzip:
    """Incremental gunzip, across the members of a multi-member file."""

    def __init__(self) -> None:
        self.member = zlib.decompressobj(wbits=31)

    def feed(self, data: bytes) -> bytes:
        out = [self.member.decompress(data)]
        while self.member.eof and self.member.unused_data:
            rest = self.member.unused_data
            self.member = zlib.decompressobj(wbits=31)
            out.append(self.member.decompress(rest))
        return b"".join(out)

    @property
    def complete(self) -> bool:
        return self.member.eof


class TextCheck:
    """Follows a text file chunk by chunk: gunzips it, checks it is UTF-8, counts its line
    endings, notes which delimiter candidates it holds and keeps its first characters."""

    def __init__(self, compressed: bool) -> None:
        self.gunzip = Gunzip() if compressed else None
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.fault: str | None = None
        self.head = ""
        self.has_cr = self.lone_cr = self.lone_lf = False
        self.ends_with_cr = False  # the pair of a chunk's last CR is in the next chunk
        self.unseen = list(DELIMITER_CANDIDATES)

    def feed(self, chunk: bytes) -> None:
        if self.fault:
            return
        try:
            data = self.gunzip.feed(chunk) if self.gunzip else chunk
        except zlib.error:
            self.fault = "not a valid gzip file"
            return
        self._decode(data, final=False)
        self._note_line_endings(data)
        self.unseen = [c for c in self.unseen if c not in data]

    def _decode(self, data: bytes, final: bool) -> None:
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            self.fault = "not valid UTF-8 text"
            return
        if len(self.head) < HEADER_CHARS:
            self.head += text[:HEADER_CHARS]

    def _note_line_endings(self, data: bytes) -> None:
        """Whether the file has a CR, a CR not followed by LF, an LF not after a CR."""
        if not data:
            return
        carried, self.ends_with_cr = self.ends_with_cr, data.endswith(b"\r")
        if not carried and b"\r" not in data:  # the common case, checked at memchr speed
            self.lone_lf = self.lone_lf or b"\n" in data
            return
        self.has_cr = True
        pairs = data.count(b"\r\n")
        joined = carried and data.startswith(b"\n")
        self.lone_cr |= (carried and not joined) or (
            data.count(b"\r") - pairs - self.ends_with_cr > 0
        )
        self.lone_lf |= data.count(b"\n") - pairs - joined > 0

    def finish(self, file_hash: str) -> Scan:
        if not self.fault and self.gunzip and not self.gunzip.complete:
            self.fault = "not a valid gzip file"
        if not self.fault:
            self._decode(b"", final=True)
        if self.fault:
            return Scan(file_hash, self.fault)
        return Scan(
            file_hash,
            newline=self._newline(),
            delimiter=self.unseen[0] if self.unseen else None,
            head=self.head,
        )

    def _newline(self) -> str | None:
        if not self.has_cr:
            return "\n"
        if not (self.lone_cr or self.ends_with_cr or self.lone_lf):
            return "\r\n"
        return None


def _csv_header(head: str) -> tuple[str, ...]:
    """The column names in the first row (none for a file with no text), from Python's
    reader: DuckDB's sniffer fails on some files whose rows it reads once told the columns."""
    head = head.removeprefix("\ufeff")
    if not head.strip():
        return ()
    try:
        row = next(csv.reader(io.StringIO(head, newline="")))
    except csv.Error as error:
        raise FileRejected(f"its CSV header cannot be read: {error}") from None
    if not row:
        raise FileRejected("its first line, the CSV header, is blank")
    return tuple(name.strip() for name in row)


def _readable_copy(file: DeliveryFile, scan: Scan, scratch: Path) -> tuple[Path, str, str]:
    """The path DuckDB reads, its compression and its line ending. DuckDB's CSV reader
    miscounts or drops lines when a file mixes line endings, so such a file is read from a
    copy with every CRLF and lone CR turned into LF."""
    if scan.newline:
        return file.path, "gzip" if file.compressed else "none", scan.newline
    copy = scratch / f"{uuid.uuid4().hex}.txt"
    opener = gzip.open if file.compressed else open
    with opener(file.path, "rb") as source, copy.open("wb") as target:
        held_back = b""  # a CR at the end of a chunk may be the first half of a CRLF
        for chunk in iter(partial(source.read, CHUNK_BYTES), b""):
            chunk = held_back + chunk
            held_back = b"\r" if chunk.endswith(b"\r") else b""
            chunk = chunk[: len(chunk) - len(held_back)]
            target.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        target.write(held_back.replace(b"\r", b"\n"))
    return copy, "none", "\n"


# --- reading a file as text ---------------------------------------------------------------


def _read_records(con, file: DeliveryFile, scan: Scan, path: Path, compression: str, newline):
    """Read the file into temp tables of text; return a subquery of its records, each with
    `_row`, `_line`, `_raw` (the record as delivered, when there is one), `_fault` (a reason
    that needs no field) and every contract column as text, NULL where the file lacks it."""
    options = f"compression = '{compression}', new_line = '{_newline_option(newline)}'"
    try:
        if file.reader == "json":
            return _read_json_lines(con, file.table, _literal(path), options, scan.delimiter)
        if file.reader == "csv":
            return _read_csv(con, file.table, _literal(path), options, _csv_header(scan.head))
        return _read_parquet(con, file.table, _literal(path))
    except NOT_THE_FILES_FAULT:
        raise
    except duckdb.Error as error:
        raise FileRejected(f"DuckDB cannot read it: {str(error).splitlines()[0]}") from None


def _read_json_lines(con, table: Table, path: str, options: str, delimiter: int | None) -> str:
    if delimiter is None:
        raise FileRejected("it holds every control character the line reader could split on")
    # strict_mode off: DuckDB's strict parser misreads CRLF files read as a single column.
    con.execute(
        f"""
        create temp table json_lines as
        select line from read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = false,
            delim = chr({delimiter}), quote = '', escape = '', auto_detect = false,
            strict_mode = false, {options})
        """
    )
    paths = ", ".join(f"'$.\"{name}\"'" for name in table.column_names)
    values = ", ".join(
        f"_values[{index}] as {_quoted(name)}"
        for index, name in enumerate(table.column_names, start=1)
    )
    # Blank lines come back NULL: they keep their place in the numbering and are skipped.
    # Each line is parsed once: extraction fails (NULL under try) only for invalid JSON, and
    # only a line where it finds nothing needs a second look to tell whether it is an object.
    return f"""(
        with numbered as (
            select rowid + 1 as _line, line from json_lines where {_trim_sql("line")} is not null
        ),
        extracted as (
            select _line, line, try(json_extract_string(line, [{paths}])) as _values
            from numbered
        )
        select _line as _row, _line, line as _raw, case
            when _values is null then 'invalid JSON'
            when list_count(_values) = 0 and try(json_type(line)) <> 'OBJECT'
                then 'not a JSON object'
        end as _fault, {values}
        from extracted
    )"""


def _read_csv(con, table: Table, path: str, options: str, header: tuple[str, ...]) -> str:
    if not header:  # a file with no text
        return _no_records(table)
    # Columns are named by position, so that odd or repeated header names cannot get in the way.
    columns = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(1, len(header) + 1))
    errors, scans = f"csv_errors_{uuid.uuid4().hex}", f"csv_scans_{uuid.uuid4().hex}"
    con.execute(
        f"""
        create temp table csv_rows as
        select * from read_csv({path}, columns = {{{columns}}}, header = true,
            auto_detect = false, delim = ',', quote = '"', escape = '"', {options},
            store_rejects = true, rejects_table = '{errors}', rejects_scan = '{scans}')
        """
    )
    # A line DuckDB cannot split is not a data row: it has a line number but no row number.
    # DuckDB reports a short line once per missing column: the first report says it all.
    con.execute(
        f"""
        create temp table csv_errors as
        select line, ltrim(any_value(csv_line), chr(13) || chr(10)) as _raw,
            arg_min(lower(error_type::varchar) || ': ' || error_message, column_idx) as _fault
        from {errors} group by line
        """
    )
    con.execute(f"drop table {errors}")
    con.execute(f"drop table {scans}")
    values = ", ".join(
        f"c{header.index(name) + 1} as {_quoted(name)}" if name in header else _null_text(name)
        for name in table.column_names
    )
    nulls = ", ".join(_null_text(name) for name in table.column_names)
    return f"""(
        select rowid + 1 as _row, null::bigint as _line, null::varchar as _raw,
            null::varchar as _fault, {values}
        from csv_rows
        union all
        select null, line, _raw, _fault, {nulls} from csv_errors
    )"""


def _read_parquet(con, table: Table, path: str) -> str:
    described = con.execute(f"describe select * from read_parquet({path})").fetchall()
    present = {row[0] for row in described}
    values = ", ".join(
        f"cast({_quoted(name)} as varchar) as {_quoted(name)}"
        if name in present
        else _null_text(name)
        for name in table.column_names
    )
    con.execute(
        f"""
        create temp table parquet_rows as
        select file_row_number + 1 as _row, null::bigint as _line, null::varchar as _raw,
            null::varchar as _fault, {values}
        from read_parquet({path}, file_row_number = true)
        """
    )
    return "parquet_rows"


def _no_records(table: Table) -> str:
    nulls = ", ".join(_null_text(name) for name in table.column_names)
    return (
        "(select null::bigint as _row, null::bigint as _line, null::varchar as _raw,"
        f" null::varchar as _fault, {nulls} where false)"
    )


def _null_text(name: str) -> str:
    return f"null::varchar as {_quoted(name)}"


def _drop_work_tables(con) -> None:
    for name in ("json_lines", "csv_rows", "csv_errors", "parquet_rows", "delivered"):
        con.execute(f"drop table if exists {name}")


# --- the contract's checks and casts, as SQL --------------------------------------------


def _judge(con, table: Table, records: str) -> None:
    """`delivered`: the records, the trimmed value of each column whose value is checked,
    and the reason a record is rejected (NULL for a good one). Only a reject keeps its raw
    text."""
    valued = [column for column in table.columns if _has_checked_value(column)]
    trimmed = "".join(f", {_trim_sql(column.name)} as {_trimmed(column.name)}" for column in valued)
    con.execute(
        f"""
        create temp table delivered as
        with
            trimmed as (select *{trimmed} from {records}),
            judged as (select *, {_reason_sql(table.columns)} as _reason from trimmed)
        select * replace (case when _reason is not null then _raw end as _raw) from judged
        """
    )


def _has_checked_value(column: Column) -> bool:
    """Whether the column's value is checked or cast, beyond being present."""
    return column.kind != "text" or bool(column.allowed)


def _trim_sql(name: str) -> str:
    """The value without surrounding whitespace, NULL when nothing is left. DuckDB's trim is
    slow, so only a value that is empty or starts or ends with whitespace is trimmed."""
    value = _quoted(name)
    trimmed = f"nullif(trim({value}, {WHITESPACE}), '')"
    return f"case when {_edged(value)} then {trimmed} else {value} end"


def _blank_sql(name: str) -> str:
    """Whether the value is missing: NULL, or nothing left once trimmed."""
    value = _quoted(name)
    return f"({value} is null or ({_edged(value)}) and trim({value}, {WHITESPACE}) = '')"


def _edged(value: str) -> str:
    """Whether the value is empty (ascii('') is 0) or starts or ends with whitespace."""
    ends = " or ".join(f"ends_with({value}, {char})" for char in WHITESPACE_CHARS)
    return f"ascii({value}) in (0, 9, 10, 13, 32) or {ends}"


def _trimmed(name: str) -> str:
    return _quoted(f"_trimmed_{name}")


def _reason_sql(columns: tuple[Column, ...]) -> str:
    """The first contract check a record fails, as text; NULL for a good record."""
    whens = ["when _fault is not null then _fault"]
    for column in columns:
        value = _trimmed(column.name)
        if column.required:
            blank = f"{value} is null" if _has_checked_value(column) else _blank_sql(column.name)
            whens.append(f"when {blank} then 'missing required field {column.name}'")
        for condition, complaint in _value_checks(column, value):
            message = f"'{column.name}: ''' || {value} || ''' {complaint}'"
            whens.append(f"when {value} is not null and not ({condition}) then {message}")
    return "case " + " ".join(whens) + " end"


def _value_checks(column: Column, value: str) -> list[tuple[str, str]]:
    """(what a present value must meet, what to say when it does not), in order."""
    kind = column.kind
    if kind == "integer":
        fits = f"try_cast({value} as integer) is not null"
        return [(f"regexp_full_match({value}, '[+-]?\\d+') and {fits}", "is not an integer")]
    if kind == "boolean":
        return [
            (
                f"lower({value}) in ({_list(TRUE_WORDS + FALSE_WORDS)})",
                "is not a boolean (true/false)",
            )
        ]
    if kind == "date":
        shape = f"regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')"
        real = f"try_cast({value} as date) is not null"
        return [(f"{shape} and {real}", "is not a date YYYY-MM-DD")]
    if kind == "time":
        shape = f"regexp_full_match({value}, '([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?')"
        return [(shape, "is not a time HH:MM or HH:MM:SS")]
    if kind == "timestamp":
        shape = f"regexp_full_match({value}, '{TIMESTAMP_PATTERN}{OFFSET_PATTERN}?')"
        real = f"try_cast({value} as timestamptz) is not null"
        with_offset = f"regexp_full_match({value}, '{TIMESTAMP_PATTERN}{OFFSET_PATTERN}')"
        return [
            (f"{shape} and {real}", "is not a timestamp"),
            (with_offset, "has no UTC offset"),
        ]
    if kind == "timezone":
        known = "select name from pg_timezone_names()"
        return [(f"{value} in ({known})", "is not a known IANA time zone")]
    if column.allowed:
        allowed = ", ".join(column.allowed)
        return [(f"{value} in ({_list(column.allowed)})", f"is not one of {allowed}")]
    return []


def _typed_sql(column: Column) -> str:
    """The column's value in the raw table, from a record that passed every check."""
    if column.kind in TEXT_KINDS:
        return _quoted(column.name)  # as delivered: staging trims and cleans text
    value = _trimmed(column.name)
    if column.kind == "boolean":
        return f"case when {value} is not null then lower({value}) in ({_list(TRUE_WORDS)}) end"
    return f"cast({value} as {SQL_TYPES[column.kind]})"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _list(words: tuple[str, ...]) -> str:
    return ", ".join(_literal(word) for word in words)


def _newline_option(newline: str) -> str:
    return newline.replace("\r", "\\r").replace("\n", "\\n")


# --- writing ------------------------------------------------------------------------------


def insert_good_records(con, file: DeliveryFile, batch: Batch) -> int:
    columns = file.table.columns
    names = ", ".join(_quoted(column.name) for column in columns)
    values = ", ".join(_typed_sql(column) for column in columns)
    inserted = con.execute(
        f"""
        insert into raw.{file.table.name}
            ({names}, _load_id, _loaded_at, _source_file, _source_row)
        select {values}, ?, ?, ?, _row from delivered where _reason is null
        """,
        [batch.load_id, batch.loaded_at, file.relative],
    )
    return inserted.fetchone()[0]


def insert_rejects(con, file: DeliveryFile, batch: Batch) -> int:
    fields = ", ".join(f"{_quoted(name)} := {_quoted(name)}" for name in file.table.column_names)
    inserted = con.execute(
        f"""
        insert into raw.rejected_records
        select ?, ?, _line, _row, coalesce(_raw, to_json(struct_pack({fields}))::varchar),
            _reason, ?, ?
        from delivered where _reason is not null order by coalesce(_line, _row)
        """,
        [file.table.name, file.relative, batch.load_id, batch.loaded_at],
    )
    return inserted.fetchone()[0]


def _record_file(con, file, file_hash, status, loaded, rejected, batch: Batch) -> None:
    con.execute(
        "insert into raw.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_hash,
            file.relative,
            batch.delivery_dir,
            file.table.name,
            status,
            loaded,
            rejected,
            batch.load_id,
            batch.loaded_at,
        ],
    )


def _reject_file(con, file: DeliveryFile, file_hash: str, reason: str, batch: Batch) -> None:
    """One reject naming the file and the reason, and its book-keeping row, together."""
    with _transaction(con):
        con.execute(
            "insert into raw.rejected_records values (?, ?, null, null, null, ?, ?, ?)",
            [file.table.name, file.relative, reason, batch.load_id, batch.loaded_at],
        )
        _record_file(con, file, file_hash, "rejected", 0, 0, batch)


@contextmanager
def _transaction(con):
    """Everything in the block is written, or nothing."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
