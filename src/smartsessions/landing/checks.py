"""The landing contract's checks and casts, as SQL (raw-landing.md, "Bad input").

`judge` turns a subquery of records read as text into the temp table `delivered`, each
record with the reason it breaks the contract (NULL for a good one); `typed_sql` casts a good
record's value to its column's type in the raw table.
"""

from smartsessions.landing.contract import SQL_TYPES, YEARS, Column, Table
from smartsessions.sql import literal_list, quoted

JUDGED = "delivered"  # the temp table `judge` writes
# What trimming removes, in SQL: spaces, tabs, line feeds and carriage returns.
WHITESPACE_CHARS = ("' '", "chr(9)", "chr(10)", "chr(13)")
WHITESPACE = " || ".join(WHITESPACE_CHARS)
TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
OFFSET_PATTERN = r"(Z|[+-]\d{2}(:?[0-5]\d)?)"
# Z, or an offset from -12:00 to +14:00, both ends included (DuckDB takes +99:00 too).
OFFSET_IN_RANGE_PATTERN = (
    r"(Z|\+(0\d|1[0-3])(:?[0-5]\d)?|\+14(:?00)?|-(0\d|1[01])(:?[0-5]\d)?|-12(:?00)?)"
)
TEXT_KINDS = {kind for kind, sql_type in SQL_TYPES.items() if sql_type == "varchar"}


class FileRejected(Exception):
    """The file as a whole breaks the contract; the message is the reason."""


def column_positions(table: Table, names: list[str], described_as: str) -> dict[str, int]:
    """Where each of the table's columns is among a file's column names (its CSV header or
    parquet schema, in order), from 0; the file is rejected whole when the names do not fit
    the table. Names are compared trimmed and case-folded; an optional column may be absent."""
    folded = [name.strip().casefold() for name in names]
    _check_names_are_distinct(folded, described_as)
    required = [column.name for column in table.columns if column.required]
    missing = [name for name in required if name not in folded]
    known = table.column_names
    unknown = [name.strip() for name, key in zip(names, folded, strict=True) if key not in known]
    if missing or unknown:
        raise FileRejected(f"its columns do not fit {table.name}: {_misfits(missing, unknown)}")
    return {name: position for position, name in enumerate(folded)}


def _misfits(missing: list[str], unknown: list[str]) -> str:
    misfits = []
    if missing:
        misfits.append(f"missing {', '.join(missing)}")
    if unknown:
        misfits.append(f"unknown {', '.join(unknown)}")
    return "; ".join(misfits)


def _check_names_are_distinct(folded: list[str], described_as: str) -> None:
    """A column with no name, or two with the same one, cannot be matched to the table's."""
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(folded, start=1):
        positions.setdefault(name, []).append(position)
    if "" in positions:
        raise FileRejected(f"{described_as} has no name for {_columns(positions[''])}")
    repeated = [f"{name} ({_columns(at)})" for name, at in positions.items() if len(at) > 1]
    if repeated:
        raise FileRejected(f"{described_as} names a column more than once: {'; '.join(repeated)}")


def _columns(positions: list[int]) -> str:
    noun = "column" if len(positions) == 1 else "columns"
    return f"{noun} {', '.join(map(str, positions))}"


def judge(con, table: Table, records: str) -> None:
    """`delivered`: the records, the trimmed value of each column whose value is checked,
    and the reason a record is rejected (NULL for a good one). Only a reject keeps its raw
    text."""
    valued = [column for column in table.columns if _has_checked_value(column)]
    trimmed = "".join(f", {trim_sql(column.name)} as {_trimmed(column.name)}" for column in valued)
    con.execute(
        f"""
        create temp table {JUDGED} as
        with
            trimmed as (select *{trimmed} from {records}),
            judged as (select *, {_reason_sql(table.columns)} as _reason from trimmed)
        select * replace (case when _reason is not null then _raw end as _raw) from judged
        """
    )


def _has_checked_value(column: Column) -> bool:
    """Whether the column's value is checked or cast, beyond being present."""
    return column.kind != "text" or bool(column.allowed)


def trim_sql(name: str) -> str:
    """The value without surrounding whitespace, NULL when nothing is left. DuckDB's trim is
    slow, so only a value that is empty or starts or ends with whitespace is trimmed."""
    value = quoted(name)
    trimmed = f"nullif(trim({value}, {WHITESPACE}), '')"
    return f"case when {_edged(value)} then {trimmed} else {value} end"


def _blank_sql(name: str) -> str:
    """Whether the value is missing: NULL, or nothing left once trimmed."""
    value = quoted(name)
    return f"({value} is null or ({_edged(value)}) and trim({value}, {WHITESPACE}) = '')"


def _edged(value: str) -> str:
    """Whether the value is empty (ascii('') is 0) or starts or ends with whitespace."""
    ends = " or ".join(f"ends_with({value}, {char})" for char in WHITESPACE_CHARS)
    return f"ascii({value}) in (0, 9, 10, 13, 32) or {ends}"


def _trimmed(name: str) -> str:
    return quoted(f"_trimmed_{name}")


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
                f"lower({value}) in ({literal_list(TRUE_WORDS + FALSE_WORDS)})",
                "is not a boolean (true/false)",
            )
        ]
    if kind == "date":
        shape = f"regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')"
        real = f"try_cast({value} as date) is not null"
        return [(f"{shape} and {real}", "is not a date YYYY-MM-DD"), _year_check(value)]
    if kind == "time":
        shape = f"regexp_full_match({value}, '([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?')"
        return [(shape, "is not a time HH:MM or HH:MM:SS")]
    if kind == "timestamp":
        shape = f"regexp_full_match({value}, '{TIMESTAMP_PATTERN}{OFFSET_PATTERN}?')"
        real = f"try_cast({value} as timestamptz) is not null"
        with_offset = f"regexp_full_match({value}, '{TIMESTAMP_PATTERN}{OFFSET_PATTERN}')"
        in_range = f"regexp_full_match({value}, '{TIMESTAMP_PATTERN}{OFFSET_IN_RANGE_PATTERN}')"
        return [
            (f"{shape} and {real}", "is not a timestamp"),
            _year_check(value),
            (with_offset, "has no UTC offset"),
            (in_range, "has a UTC offset outside -12:00..+14:00"),
        ]
    if kind == "timezone":
        known = "select name from pg_timezone_names()"
        return [(f"{value} in ({known})", "is not a known IANA time zone")]
    if column.allowed:
        allowed = ", ".join(column.allowed)
        return [(f"{value} in ({literal_list(column.allowed)})", f"is not one of {allowed}")]
    return []


def _year_check(value: str) -> tuple[str, str]:
    """The year as written (a date's, or a timestamp's before its offset is applied: the four
    digits its shape starts with) is one a workbook cell can show."""
    first, last = YEARS
    return (
        f"left({value}, 4) between '{first}' and '{last}'",
        f"is outside the years {first}-{last}",
    )


def typed_sql(column: Column) -> str:
    """The column's value in the raw table, from a record that passed every check."""
    if column.kind in TEXT_KINDS:
        return quoted(column.name)  # as delivered: staging trims and cleans text
    value = _trimmed(column.name)
    if column.kind == "boolean":
        return (
            f"case when {value} is not null then lower({value}) in ({literal_list(TRUE_WORDS)}) end"
        )
    return f"cast({value} as {SQL_TYPES[column.kind]})"


def check_all_read(con, tables: tuple[str, ...], counted: str, held: int) -> None:
    """DuckDB's reader must account for every record the file holds, as a record or a refusal:
    a reader that loses some without a word fails here, and the file is rejected whole rather
    than loaded in part."""
    read = con.execute(
        "select " + " + ".join(f"(select count(*) from {table})" for table in tables)
    ).fetchone()[0]
    if read != held:
        raise FileRejected(
            f"DuckDB read {read:,} {counted}: it is rejected whole rather than loaded in part"
        )


def null_text(name: str) -> str:
    return f"null::varchar as {quoted(name)}"
