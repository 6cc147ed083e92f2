"""One reader per format (JSON lines, CSV, parquet): DuckDB reads the file with every column
as text into temp tables, and `read_records` returns the subquery of its records that the
contract's checks judge."""

import csv
import io
import uuid
from pathlib import Path

import duckdb

from smartsessions.contract import Table
from smartsessions.contract_checks import FileRejected, trim_sql
from smartsessions.delivery import DeliveryFile
from smartsessions.file_checks import Scan
from smartsessions.sql import literal, quoted

# The temp tables the readers write, for the caller to drop once the file is landed.
WORK_TABLES = ("json_lines", "csv_rows", "csv_errors", "parquet_rows")
# DuckDB errors that say nothing about the file being read.
NOT_THE_FILES_FAULT = (
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
    duckdb.InternalException,
    duckdb.FatalException,
)


def read_records(con, file: DeliveryFile, scan: Scan, path: Path, compression: str, newline):
    """Read the file into temp tables of text; return a subquery of its records, each with
    `_row`, `_line`, `_raw` (the record as delivered, when there is one), `_fault` (a reason
    that needs no field) and every contract column as text, NULL where the file lacks it."""
    options = f"compression = '{compression}', new_line = '{_newline_option(newline)}'"
    try:
        if file.reader == "json":
            return _read_json_lines(con, file.table, literal(path), options, scan.delimiter)
        if file.reader == "csv":
            return _read_csv(con, file.table, literal(path), options, _csv_header(scan.head))
        return _read_parquet(con, file.table, literal(path))
    except NOT_THE_FILES_FAULT:
        raise
    except duckdb.Error as error:
        raise FileRejected(f"DuckDB cannot read it: {str(error).splitlines()[0]}") from None


def _newline_option(newline: str) -> str:
    return newline.replace("\r", "\\r").replace("\n", "\\n")


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
        f"_values[{index}] as {quoted(name)}"
        for index, name in enumerate(table.column_names, start=1)
    )
    # Blank lines come back NULL: they keep their place in the numbering and are skipped.
    # Each line is parsed once: extraction fails (NULL under try) only for invalid JSON, and
    # only a line where it finds nothing needs a second look to tell whether it is an object.
    return f"""(
        with numbered as (
            select rowid + 1 as _line, line from json_lines where {trim_sql("line")} is not null
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
        f"c{header.index(name) + 1} as {quoted(name)}" if name in header else _null_text(name)
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
        f"cast({quoted(name)} as varchar) as {quoted(name)}"
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
    return f"null::varchar as {quoted(name)}"
