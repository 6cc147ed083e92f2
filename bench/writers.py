"""The workbook writers compared (issue 25): the rows of the busiest tab of one event app's
report, all history or one day, written by one writer, in a process of its own.

Usage: writers.py DB OUT EVENT WRITER [DAY]. The tab is the one with most rows in the window
(read as the export reads it: the built mart, or the tab's report view for a day), its rows
fetched in batches as the export fetches them. `xlsxwriter` is the reference: the exporter's
own ReportWorkbook (XlsxWriter in constant-memory mode: typed cells, widths, frozen header,
autofilter, print set-up). Every other writer gets the same cells made ready in Python as the
exporter makes them (text cut to a cell, dates and times as Excel's 1900 serials, decimals as
floats) and writes them with what it has of the same (writer_features.py says what it lacks);
`none` makes the cells ready and writes nothing: the reading's floor. Prints the rows written.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path

import duckdb

from smartsessions.report.cells import (
    CELL_MAX_CHARS,
    DAY,
    EXCEL_FIRST_YEAR,
    NUMBER_FORMATS,
    cut_to_cell,
    excel_days,
    utf16_units,
)
from smartsessions.report.printing import HEADER_MARGIN, MARGINS, PAGE_FOOTER, PAGE_HEADER
from smartsessions.report.printing import PAPER_A4 as PAPER
from smartsessions.report.workbook import (
    WIDTH_SAMPLE_ROWS,
    ReportWorkbook,
    _widths,
)

FETCH_ROWS = 2_000  # as the export fetches
Headers = Sequence[tuple[str, str]]  # (header, column type)


def busiest_tab(con: duckdb.DuckDBPyConnection, event: str, day: str | None) -> tuple:
    """(tab name, headers, select) of the tab with most rows for the event app in the window."""
    con.execute("set variable report_from = cast(? as date)", [day])
    con.execute("set variable report_to = cast(? as date)", [day])
    found = []
    for name, model, relation, window_relation in con.execute(
        "select tab_name, model, relation, window_relation from marts.report_tabs"
    ).fetchall():
        source = window_relation if day and window_relation else relation
        columns = con.execute(
            "select column_name, header, data_type from marts.report_tab_columns"
            " where model = ? order by column_order",
            [model],
        ).fetchall()
        select = (
            f"select {', '.join(column for column, _, _ in columns)} from {source} as tab_rows"
            " where event_id = $event_id order by report_order"
        )
        (rows,) = con.execute(
            f"select count(*) from {source} as tab_rows where event_id = ?", [event]
        ).fetchone()
        found.append((rows, name, [(header, kind) for _, header, kind in columns], select))
    _, name, headers, select = max(found, key=lambda tab: tab[0])
    return name, headers, select


def read_rows(con: duckdb.DuckDBPyConnection, select: str, event: str) -> Iterator[tuple]:
    cursor = con.execute(select, {"event_id": event})
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield from batch


def ready(value):
    """A value as the exporter writes it (ReportWorkbook._write_cell): text cut to a cell, a date
    before 1900 as text, dates and times as 1900 serials, decimals as floats; None stays."""
    if isinstance(value, str):
        if len(value) > CELL_MAX_CHARS or utf16_units(value) > CELL_MAX_CHARS:
            return cut_to_cell(value)
        return value
    if isinstance(value, date) and value.year < EXCEL_FIRST_YEAR:
        return value.isoformat(" ", "minutes") if isinstance(value, datetime) else str(value)
    if isinstance(value, date | time):
        return excel_days(value) / DAY
    if isinstance(value, Decimal):
        return float(value)
    return value


def ready_rows(rows: Iterator[tuple]) -> Iterator[list]:
    return ([ready(value) for value in row] for row in rows)


def sample_widths(headers: Headers, rows: Iterator[tuple]) -> tuple[list[float], Iterator]:
    """The exporter's column widths from the first rows, and all the rows again."""
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    return _widths(headers, sample), chain(sample, rows)


def with_xlsxwriter(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    book = ReportWorkbook(out)
    written = book.write_tab(name, headers, rows).rows
    book.close()
    return written


def with_rustpy(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    import rustpy_xlsxwriter as rp

    widths, rows = sample_widths(headers, rows)
    titles = [header for header, _ in headers]
    counted = [0]

    def records() -> Iterator[dict]:
        for row in ready_rows(rows):
            counted[0] += 1
            yield dict(zip(titles, row, strict=True))

    formats = {
        header: rp.Format().set_num_format(NUMBER_FORMATS[kind])
        for header, kind in headers
        if kind in NUMBER_FORMATS
    }
    page = {
        "paper_size": PAPER,
        "margins": {**MARGINS, "header": HEADER_MARGIN, "footer": HEADER_MARGIN},
        "repeat_rows": 0,
        "fit_to_pages": (1, 0),
        "header": PAGE_HEADER,
        "footer": PAGE_FOOTER,
    }
    rp.write_worksheet(
        records(),
        str(out),
        sheet_name=name,
        freeze_row=1,
        bold_headers=True,
        column_widths=widths,
        column_formats=formats,
        autofilter=True,
        page_setup=page,
    )
    return counted[0]


def with_rvgsrust(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    import rvgsrust_xlsxwriter as rv

    widths, rows = sample_widths(headers, rows)
    book = rv.Workbook(str(out))
    sheet = book.add_worksheet(name, constant_memory=True)
    bold = book.add_format().set_bold().set_text_wrap()
    formats = [
        book.add_format().set_num_format(NUMBER_FORMATS[kind]) if kind in NUMBER_FORMATS else None
        for _, kind in headers
    ]
    for column, ((header, _), width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column_width(column, width)
        sheet.write(0, column, header, bold)
    sheet.freeze_panes(1, 0)
    sheet.set_paper_size(PAPER)
    sheet.set_header(PAGE_HEADER)
    sheet.set_footer(PAGE_FOOTER)
    sheet.set_repeat_rows(0, 0)
    written = 0
    for written, row in enumerate(ready_rows(rows), start=1):
        for column, (value, cell_format) in enumerate(zip(row, formats, strict=True)):
            if value is not None:
                sheet.write(written, column, value, cell_format)
    sheet.autofilter(0, 0, written, len(headers) - 1)
    book.close()
    return written


def with_pyaccelsx(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    import pyaccelsx

    widths, rows = sample_widths(headers, rows)
    book = pyaccelsx.ExcelWorkbook()
    book.add_worksheet(name)
    bold = pyaccelsx.ExcelFormat(bold=True)
    formats = [
        pyaccelsx.ExcelFormat(num_format=NUMBER_FORMATS[kind]) if kind in NUMBER_FORMATS else None
        for _, kind in headers
    ]
    for column, ((header, _), width) in enumerate(zip(headers, widths, strict=True)):
        book.set_column_width(column, width)
        book.write(0, column, header, format_option=bold)
    book.freeze_panes(1, 0)
    written = 0
    for written, row in enumerate(ready_rows(rows), start=1):
        for column, (value, cell_format) in enumerate(zip(row, formats, strict=True)):
            if value is not None:
                book.write(written, column, value, format_option=cell_format)
    book.save(str(out))
    return written


def with_pyexcelerate(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    from pyexcelerate import Format, Panes, Style, Workbook
    from pyexcelerate.DataTypes import DataTypes

    widths, rows = sample_widths(headers, rows)
    data = [[header for header, _ in headers], *ready_rows(rows)]  # it holds every row
    book = Workbook()
    sheet = book.new_sheet(name, data=data)
    for column, ((_, kind), width) in enumerate(zip(headers, widths, strict=True), start=1):
        # a text column's cells typed as text: else a text starting "=" becomes a formula
        style = Style(size=width)
        if kind in NUMBER_FORMATS:
            style.format = Format(NUMBER_FORMATS[kind])
        elif kind == "varchar":
            style.data_type = DataTypes.INLINE_STRING
        sheet.set_col_style(column, style)
    sheet.panes = Panes(0, 1)
    sheet.auto_filter = True
    book.save(str(out))
    return len(data) - 1


def with_fastexcel_rw(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    import fastexcel

    data = list(ready_rows(rows))  # it takes the sheet's rows at once
    writer = fastexcel.create_writer(str(out))
    writer.write_sheet_data(data, name, [header for header, _ in headers])
    writer.save()
    return len(data)


def with_none(out: Path, name: str, headers: Headers, rows: Iterator) -> int:
    return sum(1 for _ in ready_rows(rows))


WRITERS: dict[str, Callable[[Path, str, Headers, Iterator], int]] = {
    "xlsxwriter": with_xlsxwriter,
    "rustpy-xlsxwriter": with_rustpy,
    "rvgsrust-xlsxwriter": with_rvgsrust,
    "pyaccelsx": with_pyaccelsx,
    "pyexcelerate": with_pyexcelerate,
    "fastexcel-rw": with_fastexcel_rw,
    "none": with_none,
}


def main(db: str, out: str, event: str, writer: str, day: str | None = None) -> None:
    con = duckdb.connect(db, read_only=True)
    name, headers, select = busiest_tab(con, event, day)
    rows = read_rows(con, select, event)
    print(name, WRITERS[writer](Path(out), name, headers, rows), sep="\t")


if __name__ == "__main__":
    main(*sys.argv[1:])
