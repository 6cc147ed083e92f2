"""One reader per format (JSON lines, CSV, parquet): DuckDB reads the file with every column
as text into temp tables, and `read_records` returns the subquery of its records that the
contract's checks judge."""

import csv
import io
import uuid

import duckdb

from smartsessions.database import write_failure
from smartsessions.landing.checks import (
    FileRejected,
    check_all_read,
    column_positions,
    null_text,
    trim_sql,
)
from smartsessions.landing.contract import RECORD_BYTES_LIMIT, Table
from smartsessions.landing.csv_records import UnclosedQuote
from smartsessions.landing.delivery import DeliveryFile
from smartsessions.landing.file_checks import FileUnreadable, Readable, Scan, text_from
from smartsessions.landing.parquet_reader import read_parquet
from smartsessions.sql import exact_path, literal, quoted

# The temp tables the readers write, for the caller to drop once the file is landed.
WORK_TABLES = ("json_lines", "json_refused", "csv_rows", "csv_errors", "parquet_rows")
# DuckDB errors that say nothing about the file being read.
NOT_THE_FILES_FAULT = (
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
    duckdb.InternalException,
    duckdb.FatalException,
)
# A record longer than the limit is rejected with this much of its text: DuckDB keeps the first
# 10,000 bytes of a line it refuses, possibly cut inside a character, and no more.
KEPT_CHARS = 1_000
# JSON that DuckDB's parser takes but RFC 8259 does not: NaN and Infinity (any case, `inf`
# too) and a trailing comma. Looked for outside strings, in the lines that hold one at all.
LENIENT_JSON = r"(?i)nan|inf|,[ \t\r\n]*[\]}]"
JSON_STRING = r'"(\\.|[^"\\])*"'


def read_records(con, file: DeliveryFile, scan: Scan, readable: Readable) -> str:
    """Read the file into temp tables of text; return a subquery of its records, each with
    `_row`, `_line`, `_raw` (the record as delivered, when there is one), `_fault` (a reason
    that needs no field) and every contract column as text, NULL where the file lacks it."""
    path = exact_path(readable.path)
    source = literal(path)
    try:
        if file.reader == "json":
            return _read_json_lines(con, file.table, source, scan, readable)
        if file.reader == "csv":
            return _read_csv(con, file, source, scan, readable)
        return read_parquet(con, file.table, source)
    except NOT_THE_FILES_FAULT:
        raise
    except duckdb.Error as error:
        if write_failure(error):  # the load's own files, not the delivered one
            raise
        gone = _cannot_open(file)
        if gone:
            raise FileUnreadable(f"cannot read it ({gone})") from None
        message = str(error).splitlines()[0].replace(path, file.relative)
        raise FileRejected(f"DuckDB cannot read it: {message}") from None


def _cannot_open(file: DeliveryFile) -> str | None:
    """Why the file cannot be opened now, if it cannot. DuckDB failing on a file that was just
    read whole is the file's fault, unless the file went away meanwhile (removed, moved, made
    unreadable)."""
    try:
        with file.path.open("rb"):
            return None
    except OSError as error:
        return error.strerror or str(error)


def _read_options(readable: Readable) -> str:
    """The options every text read takes. DuckDB refuses a record longer than its maximum line
    size, which it counts with the line ending before the record: so it refuses exactly the
    records over the limit, except the first (no line ending before it) and, in a file read in
    parallel, one at the boundary between two parts. The CSV reader reads its header as a row
    and on one thread; the JSON reader checks the size of every line it gets."""
    newline = readable.newline.replace("\r", "\\r").replace("\n", "\\n")
    maximum = RECORD_BYTES_LIMIT + len(readable.newline)
    return (
        f"compression = '{readable.compression}', new_line = '{newline}', max_line_size = {maximum}"
    )


def _refused_reason(readable: Readable) -> str:
    """SQL: why DuckDB refused a record (from its rejects table), in the loader's words."""
    # DuckDB's size of a refused record counts the CR of a CRLF.
    crlf = int(readable.newline == "\r\n")
    size = f"regexp_extract(error_message, 'Actual Size:(\\d+)', 1)::bigint - {crlf}"
    return f"""case when error_type = 'LINE SIZE OVER MAXIMUM'
        then {_too_long(size)}
        else lower(error_type::varchar) || ': ' || error_message end"""


def _too_long(size: str) -> str:
    return (
        f"'record is longer than 1 MiB (' || format('{{:,}}', {size}) || ' bytes): only its"
        f" first {KEPT_CHARS:,} characters are kept'"
    )


def _kept(raw: str) -> str:
    """SQL: the first characters of a refused record's text, without the line ending before
    it that DuckDB includes."""
    return f"left(ltrim({raw}, chr(13) || chr(10)), {KEPT_CHARS})"


def _read_json_lines(con, table: Table, source: str, scan: Scan, readable: Readable) -> str:
    errors, scans = f"json_errors_{uuid.uuid4().hex}", f"json_scans_{uuid.uuid4().hex}"
    # strict_mode off: DuckDB's strict parser misreads CRLF files read as a single column.
    con.execute(
        f"""
        create temp table json_lines as
        select line from read_csv({source}, columns = {{'line': 'VARCHAR'}},
            header = false, delim = chr({scan.unused_controls[0]}), quote = '', escape = '',
            auto_detect = false, strict_mode = false, {_read_options(readable)},
            store_rejects = true, rejects_table = '{errors}', rejects_scan = '{scans}')
        """
    )
    # The lines DuckDB refused (longer than the limit), with how many lines it kept before each.
    con.execute(
        f"""
        create temp table json_refused as
        select line as _line, line - row_number() over (order by line) as _kept_before,
            {_kept("csv_line")} as _raw, {_refused_reason(readable)} as _fault
        from {errors}
        """
    )
    con.execute(f"drop table {errors}")
    con.execute(f"drop table {scans}")
    lines = scan.records
    check_all_read(con, ("json_lines", "json_refused"), f"of its {lines:,} lines", lines)
    line_number = "rowid + 1"
    if con.execute("select count(*) from json_refused").fetchone()[0]:
        line_number += (
            " + (select count(*) from json_refused where _kept_before <= json_lines.rowid)"
        )
    line = "line"
    if readable.cr_stand_in is not None:  # the copy's stand-in for a CR inside a line
        line = f"replace(line, chr({readable.cr_stand_in}), chr(13))"
    paths = ", ".join(f"'$.\"{name}\"'" for name in table.column_names)
    values = ", ".join(
        f"_values[{index}] as {quoted(name)}"
        for index, name in enumerate(table.column_names, start=1)
    )
    nulls = ", ".join(null_text(name) for name in table.column_names)
    # Blank lines come back NULL: they keep their place in the numbering and are skipped.
    # Each line is parsed once: extraction fails (NULL under try) only for invalid JSON, and
    # only a line where it finds nothing needs a second look to tell whether it is an object.
    # A line of lenient JSON is looked at again without its strings.
    return f"""(
        with numbered as (
            select {line_number} as _line, {line} as line
            from json_lines where {trim_sql("line")} is not null
        ),
        extracted as (
            select _line, line, strlen(line) as _bytes,
                try(json_extract_string(line, [{paths}])) as _values
            from numbered
        )
        select _line as _row, _line,
            case when _bytes > {RECORD_BYTES_LIMIT} then left(line, {KEPT_CHARS}) else line end
                as _raw,
            case
                when _bytes > {RECORD_BYTES_LIMIT} then {_too_long("_bytes")}
                when _values is null then 'invalid JSON'
                when regexp_matches(line, '{LENIENT_JSON}') and regexp_matches(
                    regexp_replace(line, '{JSON_STRING}', '""', 'g'), '{LENIENT_JSON}'
                ) then 'invalid JSON'
                when list_count(_values) = 0 and try(json_type(line)) <> 'OBJECT'
                    then 'not a JSON object'
            end as _fault,
            {values}
        from extracted
        union all
        select _line, _line, _raw, _fault, {nulls} from json_refused
    )"""


def _csv_header(head: str) -> list[str]:
    """The column names in the first row, as delivered, from Python's reader: DuckDB's
    sniffer fails on some files whose rows it reads once told the columns. A file without a
    header row is rejected whole."""
    head = head.removeprefix("\ufeff")
    if not head:
        raise FileRejected("it is empty: a CSV file starts with a header row")
    try:
        row = next(csv.reader(io.StringIO(head, newline="")))
    except csv.Error as error:
        raise FileRejected(f"its CSV header cannot be read: {error}") from None
    if not row or (len(row) == 1 and not row[0].strip()):
        raise FileRejected("its first line, the CSV header, is blank")
    return row


def _read_csv(con, file: DeliveryFile, source: str, scan: Scan, readable: Readable) -> str:
    table, header = file.table, _csv_header(scan.head)
    positions = column_positions(table, header, "its CSV header")
    # Columns are named by position, so that odd header names (spaces, quotes, any case) cannot
    # get in the way. The header row is read as a row (and dropped) so that DuckDB counts every
    # data row's size alike (see `_read_options`); read in parallel, a row at the boundary
    # between two parts of the file would escape the size check.
    columns = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(1, len(header) + 1))
    errors, scans = f"csv_errors_{uuid.uuid4().hex}", f"csv_scans_{uuid.uuid4().hex}"
    con.execute(
        f"""
        create temp table csv_rows as
        select * from read_csv({source}, columns = {{{columns}}}, header = false,
            auto_detect = false, delim = ',', quote = '"', escape = '"', parallel = false,
            {_read_options(readable)},
            store_rejects = true, rejects_table = '{errors}', rejects_scan = '{scans}')
        """
    )
    # A line DuckDB cannot split is not a data row: it has a line number but no row number.
    # DuckDB reports a short line once per missing column: the first report says it all.
    con.execute(
        f"""
        create temp table csv_errors as
        select line,
            case when bool_or(error_type = 'LINE SIZE OVER MAXIMUM')
                then {_kept("any_value(csv_line)")}
                else ltrim(any_value(csv_line), chr(13) || chr(10)) end as _raw,
            arg_min({_refused_reason(readable)}, coalesce(column_idx, 0)) as _fault
        from {errors} group by line
        """
    )
    con.execute(f"drop table {errors}")
    con.execute(f"drop table {scans}")
    if scan.unclosed_quote:
        _reject_unclosed_quote(con, file, scan.unclosed_quote)
    counted = f"of the {scan.records:,} records it holds (its header row one of them)"
    check_all_read(con, ("csv_rows", "csv_errors"), counted, scan.records)
    header_fault = con.execute("select _fault from csv_errors where line = 1").fetchone()
    if header_fault:
        raise FileRejected(f"its CSV header cannot be read: {header_fault[0]}")
    values = ", ".join(
        f"c{positions[name] + 1} as {quoted(name)}" if name in positions else null_text(name)
        for name in table.column_names
    )
    nulls = ", ".join(null_text(name) for name in table.column_names)
    return f"""(
        select rowid as _row, null::bigint as _line, null::varchar as _raw,
            null::varchar as _fault, {values}
        from csv_rows where rowid > 0
        union all
        select null, line, _raw, _fault, {nulls} from csv_errors
    )"""


def _reject_unclosed_quote(con, file: DeliveryFile, quote: UnclosedQuote) -> None:
    """A quoted field that never closes makes the rest of the file one record, which DuckDB's
    reader drops without a word (with every line in it): it is rejected here, named by the line
    it starts on, its text as delivered."""
    kept, size = text_from(file, quote.record_offset, RECORD_BYTES_LIMIT + 1)
    raw = kept.decode(errors="ignore")  # a cut at the limit may fall inside a character
    reason = (
        f"unterminated quote: the quoted field opened on line {quote.quote_line:,} never closes,"
        " so the record runs to the end of the file"
    )
    if size > RECORD_BYTES_LIMIT:
        raw = raw[:KEPT_CHARS]
        reason += f" and is longer than 1 MiB ({size:,} bytes): only its first {KEPT_CHARS:,}"
        reason += " characters are kept"
    con.execute("insert into csv_errors values (?, ?, ?)", [quote.record_line, raw, reason])
