"""Writing the report workbook: rows streamed into typed cells, long tabs continued, charts,
and each sheet's print set-up (`printing.py`).

XlsxWriter's constant-memory mode writes each row out as soon as the next one starts, so
memory stays flat however many rows a tab has. The writer formats, it never computes: every
value arrives as the marts hold it.
"""

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.worksheet import Worksheet

from smartsessions.report.cells import (
    CELL_MAX_CHARS,
    DAY,
    EXCEL_FIRST_YEAR,
    NUMBER_FORMATS,
    cut_to_cell,
    excel_days,
    utf16_units,
)
from smartsessions.report.charts import ChartedKey, TimeChart, note_charted_row, time_charts
from smartsessions.report.printing import chart_pages, place_charts, set_up_page

EXCEL_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
SHEET_NAME_LIMIT = 31
# Column widths in characters: what a formatted date or time needs; text and numbers are
# measured on the first rows of the tab, within these bounds.
FORMATTED_WIDTHS = {
    "date": 11,
    "time": 6,
    "timestamp": 17,
    "decimal(10, 2)": 8,
    "decimal(18, 1)": 8,
}
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 6, 50
HEADER_LINE_POINTS = 15  # the height of one line of header text


@dataclass(frozen=True)
class WrittenTab:
    sheets: list[Worksheet]
    rows: int
    charts: int = 0


@dataclass
class _Layout:
    headers: Sequence[tuple[str, str]]
    widths: list[float]
    formats: list = field(default_factory=list)

    @property
    def header_points(self) -> float:
        """The header row's height: as many lines as its longest wrapped header needs."""
        lines = [
            len(textwrap.wrap(header, max(int(width) - 1, 1)))
            for (header, _), width in zip(self.headers, self.widths, strict=True)
        ]
        return HEADER_LINE_POINTS * max(lines, default=1)


class ReportWorkbook:
    """A workbook written to `path` on close, whose tabs are written once each, row by row."""

    def __init__(
        self, path: Path, max_rows: int = EXCEL_MAX_DATA_ROWS, work_dir: Path | None = None
    ):
        # Text is always written as text: never turned into a formula, a number or a link.
        # XlsxWriter's own temporary files go to `work_dir` (beside the workbook, so that what
        # a killed export leaves is found and removed by the next one).
        options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        if work_dir:
            options["tmpdir"] = str(work_dir)
        self.book = xlsxwriter.Workbook(str(path), options)
        self.max_rows = max_rows
        self.cells_cut = 0
        self.dates_as_text = 0
        self.header_format = self.book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1}
        )
        self.number_formats = {
            column_type: self.book.add_format({"num_format": number_format})
            for column_type, number_format in NUMBER_FORMATS.items()
        }

    def close(self) -> None:
        try:
            self.book.close()
        except FileCreateError as error:  # XlsxWriter wraps the OSError (a full disk, ...)
            cause = error.args[0] if error.args else None
            raise cause if isinstance(cause, OSError) else OSError(str(error)) from None

    def write_tab(
        self,
        name: str,
        headers: Sequence[tuple[str, str]],
        rows: Iterable[Sequence],
        on_batch: Callable[[int], None] = lambda rows: None,
        chart: TimeChart | None = None,
    ) -> WrittenTab:
        """Write a tab of (header, column type) columns, on more than one sheet when the rows
        do not fit on one; with `chart`, a chart per charted key beside its rows."""
        rows = iter(rows)
        sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
        layout = _Layout(headers, _widths(headers, sample))
        layout.formats = [self.number_formats.get(column_type) for _, column_type in headers]
        sheets: list[Worksheet] = []
        charted: dict[str, ChartedKey] = {}
        written = self.max_rows  # start a sheet on the first row
        count = 0
        width = len(headers)
        for count, row in enumerate(chain(sample, rows), start=1):
            if written == self.max_rows:
                sheets.append(self._new_sheet(_sheet_name(name, len(sheets) + 1), layout))
                written = 0
            written += 1
            sheet = sheets[-1]
            for column, (value, cell_format) in enumerate(
                zip(row[:width], layout.formats, strict=True)
            ):
                self._write_cell(sheet, written, column, value, cell_format)
            if chart and row[width]:
                note_charted_row(charted, chart, sheet, written, row)
            if count % 10_000 == 0:
                on_batch(10_000)
        if not sheets:  # an empty tab still has its header
            sheets.append(self._new_sheet(name, layout))
            written = 0
        charts = time_charts(self.book, chart, charted.values()) if chart else {}
        for index, sheet in enumerate(sheets):
            data_rows = written if index == len(sheets) - 1 else self.max_rows
            sheet.autofilter(0, 0, data_rows, width - 1)
            set_up_page(sheet, layout.widths, charted=sheet in charts)
        for sheet, sheet_charts in charts.items():
            place_charts(sheet, sheet_charts, chart_pages(width, layout.header_points))
        return WrittenTab(sheets, count, len(charted))

    def write_info(self, name: str, items: Sequence[tuple[str, object, str]]) -> None:
        """A two-column Item / Value tab of (item, value, value's column type) rows."""
        headers = [("Item", "varchar"), ("Value", "varchar")]
        sample = [(item, value) for item, value, _ in items]
        widths = _widths(headers, sample, max_width=100)  # labels are never cut
        for _, value, value_type in items:
            if value_type in FORMATTED_WIDTHS and not isinstance(value, str):
                widths[1] = max(widths[1], FORMATTED_WIDTHS[value_type] + 2)
        sheet = self._new_sheet(name, _Layout(headers, widths))
        for row, (item, value, value_type) in enumerate(items, start=1):
            self._write_cell(sheet, row, 0, item, None)
            self._write_cell(sheet, row, 1, value, self.number_formats.get(value_type))
        sheet.autofilter(0, 0, len(items), 1)
        set_up_page(sheet, widths)

    def _write_cell(self, sheet: Worksheet, row: int, column: int, value, cell_format) -> None:
        """One value as a typed cell: text as text (cut, and counted, when longer than a cell
        holds), dates and times as Excel dates (a date before 1900 as text in the column's
        format, and counted), the rest as numbers; the column's number format where it has one.
        An empty value is an empty cell."""
        if value is None:
            return
        if isinstance(value, str):
            if len(value) > CELL_MAX_CHARS or utf16_units(value) > CELL_MAX_CHARS:
                value = cut_to_cell(value)
                self.cells_cut += 1
            sheet.write_string(row, column, value)
        elif isinstance(value, date) and value.year < EXCEL_FIRST_YEAR:
            text = value.isoformat(" ", "minutes") if isinstance(value, datetime) else str(value)
            sheet.write_string(row, column, text)
            self.dates_as_text += 1
        elif isinstance(value, date | time):
            # not write_datetime: XlsxWriter 3.3.1 is a day off before 1900-03-01 (it writes
            # 1900-01-01 12:00 as 0.5, a bare time, and 1900-02-28 12:00 as 60.5)
            sheet.write_number(row, column, excel_days(value) / DAY, cell_format)
        else:
            sheet.write_number(row, column, value, cell_format)

    def _new_sheet(self, name: str, layout: _Layout) -> Worksheet:
        sheet = self.book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for column, ((header, _), width) in enumerate(
            zip(layout.headers, layout.widths, strict=True)
        ):
            sheet.set_column(column, column, width)
            sheet.write_string(0, column, header, self.header_format)
        sheet.set_row(0, layout.header_points)
        return sheet


def _widths(
    headers: Sequence[tuple[str, str]], sample: Sequence[Sequence], max_width: int = MAX_WIDTH
) -> list[float]:
    """Each column's width from its content: the longest value among the sample rows (dates
    and times by their format), within bounds; the header wraps to fit, never widens it."""
    widths = []
    for column, (header, column_type) in enumerate(headers):
        longest = FORMATTED_WIDTHS.get(column_type, 0)
        if not longest:
            longest = max((_shown_length(row[column]) for row in sample), default=0)
        longest_word = max((len(word) for word in header.split()), default=0)
        widths.append(min(max(longest, longest_word, MIN_WIDTH), max_width) + 2)
    return widths


def _shown_length(value) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return len(str(value))


def _sheet_name(name: str, number: int) -> str:
    """The tab's name, then `name 2`, `name 3`, ... cut to Excel's 31 characters."""
    if number == 1:
        return name
    suffix = f" {number}"
    return name[: SHEET_NAME_LIMIT - len(suffix)] + suffix
