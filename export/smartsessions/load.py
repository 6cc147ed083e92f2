"""`smartsessions load DIR`: land a delivery in the raw tables (../shared/spec/raw-landing.md).

Each file is read by DuckDB with every column as text into a temporary table; the contract's
checks and casts are SQL over that table, so no Python loop touches a record. A file loads in
one transaction: its good records, its rejects and its book-keeping row, or nothing.
"""

import codecs
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.progress import Progress

from smartsessions.contract import FORMATS, SQL_TYPES, TABLES, Column, Table
from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.raw_schema import create_raw_schema

CHUNK = 1 << 20
WHITESPACE = "' ' || chr(9) || chr(10) || chr(13)"
# Values a boolean column accepts, lower-cased.
TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
# An ISO-8601 timestamp ends with its offset: Z, +HH, +HHMM or +HH:MM (or minus).
OFFSET_PATTERN = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"
CHECKS = {
    "integer": ("^[+-]?[0-9]+$", "an integer"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", "a date YYYY-MM-DD"),
    "time": (r"^\d{2}:\d{2}(:\d{2})?$", "a time HH:MM or HH:MM:SS"),
}


@dataclass(frozen=True)
class DeliveryFile:
    path: Path
    relative: str  # '/'-separated path inside the delivery
    table: Table
    reader: str  # json, csv or parquet


@dataclass
class LoadSummary:
    files_loaded: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    records_loaded: int = 0
    records_rejected: int = 0
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{self.files_loaded} files loaded, {self.files_skipped} skipped as already loaded, "
            f"{self.files_rejected} rejected whole; {self.records_loaded:,} records loaded, "
            f"{self.records_rejected:,} rejected"
        )


class FileRejected(Exception):
    """The whole file breaks the contract (not UTF-8, not gzip, unreadable)."""


def load_delivery(db_path: Path, folder: Path, progress: bool = False) -> LoadSummary:
    """Load every file of the delivery `folder` that is not loaded yet."""
    if not folder.is_dir():
        raise SmartSessionsError(f"delivery folder {folder} does not exist or is not a folder")
    summary = LoadSummary()
    files = _delivery_files(folder, summary.warnings)
    if not files:
        raise SmartSessionsError(f"delivery folder {folder} holds no file to load")
    with connect(db_path) as con:
        create_raw_schema(con)
        load_id = con.execute("select coalesce(max(_load_id), 0) + 1 from raw.loaded_files")
        load_id = load_id.fetchone()[0]
        loaded_at = datetime.now(UTC)
        with Progress(transient=True, disable=not progress) as bar:
            for file in bar.track(files, description="loading"):
                _load_file(con, file, folder, load_id, loaded_at, summary)
    return summary


def _delivery_files(folder: Path, warnings: list[str]) -> list[DeliveryFile]:
    """The delivery's files in byte order of their path; unknown ones become warnings."""
    found = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        ending = next((e for e in FORMATS if path.name.endswith(e)), None)
        nested = len(relative.parts) > 1
        table_name = relative.parts[0] if nested else path.name[: -len(ending or "")]
        if ending is None or table_name not in TABLES:
            warnings.append(f"skipped unknown file {relative.as_posix()}")
            continue
        found.append(DeliveryFile(path, relative.as_posix(), TABLES[table_name], FORMATS[ending]))
    return found


def _load_file(con, file: DeliveryFile, folder: Path, load_id, loaded_at, summary) -> None:
    try:
        file_hash = _check_and_hash(file)
    except FileRejected as reason:
        file_hash = hashlib.sha256(file.path.read_bytes()).hexdigest()
        if not _already_loaded(con, file_hash, summary):
            _reject_file(con, file, folder, file_hash, str(reason), load_id, loaded_at)
            summary.files_rejected += 1
            summary.warnings.append(f"rejected {file.relative} whole: {reason}")
        return
    if _already_loaded(con, file_hash, summary):
        return
    con.execute("begin transaction")
    try:
        try:
            _read_as_text(con, file)
        except duckdb.Error as error:
            con.execute("rollback")
            reason = f"unreadable {file.reader} file: {str(error).splitlines()[0]}"
            _reject_file(con, file, folder, file_hash, reason, load_id, loaded_at)
            summary.files_rejected += 1
            summary.warnings.append(f"rejected {file.relative} whole: {reason}")
            return
        loaded, rejected = _land(con, file, load_id, loaded_at)
        _record_file(con, file, folder, file_hash, "loaded", loaded, rejected, load_id, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    summary.files_loaded += 1
    summary.records_loaded += loaded
    summary.records_rejected += rejected


def _already_loaded(con, file_hash: str, summary: LoadSummary) -> bool:
    seen = con.execute("select 1 from raw.loaded_files where file_hash = ?", [file_hash])
    if seen.fetchone():
        summary.files_skipped += 1
        return True
    return False


def _check_and_hash(file: DeliveryFile) -> str:
    """The file's SHA-256, after checking that it decompresses and, for text, is UTF-8."""
    digest = hashlib.sha256()
    gunzip = zlib.decompressobj(wbits=47) if file.path.name.endswith(".gz") else None
    decoder = codecs.getincrementaldecoder("utf-8")() if file.reader != "parquet" else None
    with file.path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            data = chunk
            if gunzip:
                try:
                    data = gunzip.decompress(chunk)
                except zlib.error:
                    raise FileRejected("not a valid gzip file") from None
            _decode(decoder, data, final=False)
    if gunzip and not gunzip.eof:
        raise FileRejected("not a valid gzip file (truncated)")
    _decode(decoder, b"", final=True)
    return digest.hexdigest()


def _decode(decoder, data: bytes, final: bool) -> None:
    if decoder is None:
        return
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        raise FileRejected("not valid UTF-8 text") from None


def _read_as_text(con, file: DeliveryFile) -> None:
    """`delivered`: one row per record, every contract column as text (as delivered), with
    `_row`, `_line`, `_raw` (the record as delivered, when there is one) and `_problem`."""
    path = str(file.path).replace("'", "''")
    columns = file.table.column_names
    if file.reader == "json":
        _read_json(con, path, columns)
    elif file.reader == "csv":
        _read_csv(con, path, columns)
    else:
        _read_parquet(con, path, columns)


def _read_json(con, path: str, columns: list[str]) -> None:
    con.execute(
        f"""
        create or replace temp table json_lines as
        select row_number() over () as _line, line
        from read_csv('{path}', columns = {{'line': 'VARCHAR'}}, header = false,
            delim = chr(1), quote = '', escape = '', auto_detect = false, strict_mode = false)
        """
    )
    fields = ", ".join(
        f"case when is_object then try(json_extract_string(line, '$.\"{c}\"')) end as {c}"
        for c in columns
    )
    con.execute(
        f"""
        create or replace temp table delivered as
        with parsed as (
            select
                _line,
                line,
                -- DuckDB evaluates every branch: json_type is wrapped in try()
                coalesce(json_valid(line) and try(json_type(line)) = 'OBJECT', false) as is_object,
                case
                    when not json_valid(line) then 'invalid JSON'
                    when try(json_type(line)) <> 'OBJECT' then 'not a JSON object'
                end as _problem
            from json_lines
            where trim(line, {WHITESPACE}) <> ''
        )
        select _line as _row, _line, line as _raw, _problem, {fields}
        from parsed
        """
    )


def _read_csv(con, path: str, columns: list[str]) -> None:
    con.execute("drop table if exists csv_errors")
    con.execute("drop table if exists csv_scans")
    con.execute(
        f"""
        create or replace temp table csv_rows as
        select *, row_number() over () as _row
        from read_csv('{path}', all_varchar = true, header = true, auto_detect = true,
            store_rejects = true, rejects_table = 'csv_errors', rejects_scan = 'csv_scans')
        """
    )
    present = {row[0] for row in con.execute("describe csv_rows").fetchall()}
    fields = ", ".join(f"{c}" if c in present else f"null::varchar as {c}" for c in columns)
    nulls = ", ".join(f"null::varchar as {c}" for c in columns)
    con.execute(
        f"""
        create or replace temp table delivered as
        select _row, null::bigint as _line, null::varchar as _raw, null::varchar as _problem,
            {fields}
        from csv_rows
        union all
        select null, line, any_value(trim(csv_line, chr(10) || chr(13))),
            -- DuckDB reports a short line once per missing column: keep the first report
            arg_min(lower(error_type) || ': ' || error_message, column_idx), {nulls}
        from csv_errors
        group by line
        """
    )


def _read_parquet(con, path: str, columns: list[str]) -> None:
    present = {
        row[0] for row in con.execute(f"describe select * from read_parquet('{path}')").fetchall()
    }
    fields = ", ".join(
        f"cast({c} as varchar) as {c}" if c in present else f"null::varchar as {c}" for c in columns
    )
    con.execute(
        f"""
        create or replace temp table delivered as
        select file_row_number + 1 as _row, null::bigint as _line, null::varchar as _raw,
            null::varchar as _problem, {fields}
        from read_parquet('{path}', file_row_number = true)
        """
    )


def _land(con, file: DeliveryFile, load_id: int, loaded_at: datetime) -> tuple[int, int]:
    """Insert the good records into raw.<table> and the others into raw.rejected_records."""
    table = file.table
    reason = _reason_sql(table.columns)
    con.execute(
        f"create or replace temp table judged as select *, {reason} as _reason from delivered"
    )
    casts = ", ".join(_cast_sql(column) for column in table.columns)
    names = ", ".join(table.column_names)
    lineage = [load_id, loaded_at, file.relative]
    loaded = con.execute(
        f"""
        insert into raw.{table.name} ({names}, _load_id, _loaded_at, _source_file, _source_row)
        select {casts}, ?, ?, ?, _row from judged where _reason is null order by _row
        """,
        lineage,
    ).fetchone()[0]
    record = ", ".join(f"'{c}': {c}" for c in table.column_names)
    rejected = con.execute(
        f"""
        insert into raw.rejected_records
        select ?, ?, _line, _row, coalesce(_raw, to_json({{{record}}})::varchar), _reason, ?, ?
        from judged where _reason is not null order by coalesce(_line, _row)
        """,
        [table.name, file.relative, load_id, loaded_at],
    ).fetchone()[0]
    return loaded, rejected


def _trimmed(column: str) -> str:
    return f"nullif(trim({column}, {WHITESPACE}), '')"


def _reason_sql(columns: tuple[Column, ...]) -> str:
    """The first contract check a record fails, as text; NULL for a good record."""
    whens = ["when _problem is not null then _problem"]
    for column in columns:
        value = _trimmed(column.name)
        if column.required:
            whens.append(f"when {value} is null then 'missing required field {column.name}'")
        for condition, complaint in _value_checks(column, value):
            message = f"'{column.name}: ''' || {value} || ''' {complaint}'"
            whens.append(f"when {value} is not null and not ({condition}) then {message}")
    return "case " + " ".join(whens) + " end"


def _value_checks(column: Column, value: str) -> list[tuple[str, str]]:
    """(condition a present value must meet, what to say when it does not), in order."""
    if column.kind in CHECKS:
        pattern, expected = CHECKS[column.kind]
        cast = f"try_cast({value} as {SQL_TYPES[column.kind]}) is not null"
        return [(f"regexp_matches({value}, '{pattern}') and {cast}", f"is not {expected}")]
    if column.kind == "boolean":
        words = ", ".join(f"'{w}'" for w in TRUE_WORDS + FALSE_WORDS)
        return [(f"lower({value}) in ({words})", "is not a boolean (true/false)")]
    if column.kind == "timestamp":
        return [
            (f"try_cast({value} as timestamptz) is not null", "is not a timestamp"),
            (f"regexp_matches({value}, '{OFFSET_PATTERN}')", "has no UTC offset"),
        ]
    if column.kind == "timezone":
        known = "select name from pg_timezone_names()"
        return [(f"{value} in ({known})", "is not a known IANA time zone")]
    if column.allowed:
        allowed = ", ".join(f"'{a}'" for a in column.allowed)
        return [(f"{value} in ({allowed})", f"is not one of {', '.join(column.allowed)}")]
    return []


def _cast_sql(column: Column) -> str:
    value = _trimmed(column.name)
    if SQL_TYPES[column.kind] == "varchar":
        return column.name  # text is landed as delivered; staging cleans it
    if column.kind == "boolean":
        true_words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        return f"case when {value} is null then null else lower({value}) in ({true_words}) end"
    return f"cast({value} as {SQL_TYPES[column.kind]})"


def _record_file(con, file, folder, file_hash, status, loaded, rejected, load_id, loaded_at):
    con.execute(
        "insert into raw.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_hash,
            file.relative,
            str(folder.resolve()),
            file.table.name,
            status,
            loaded,
            rejected,
            load_id,
            loaded_at,
        ],
    )


def _reject_file(con, file, folder, file_hash, reason, load_id, loaded_at) -> None:
    con.execute("begin transaction")
    con.execute(
        "insert into raw.rejected_records values (?, ?, null, null, null, ?, ?, ?)",
        [file.table.name, file.relative, reason, load_id, loaded_at],
    )
    _record_file(con, file, folder, file_hash, "rejected", 0, 0, load_id, loaded_at)
    con.execute("commit")
