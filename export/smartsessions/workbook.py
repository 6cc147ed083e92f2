"""Writing the report workbook: rows streamed into typed cells, long tabs continued, charts.

XlsxWriter's constant-memory mode writes each row out as soon as the next one starts, so
memory stays flat however many rows a tab has. The writer formats, it never computes: every
value arrives as the marts hold it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

EXCEL_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
SHEET_NAME_LIMIT = 31
CHARTED_ROOMS = 20

# Excel number formats by the marts' column types.
NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "time": "hh:mm",
    "timestamp": "yyyy-mm-dd hh:mm",
    "decimal(10, 2)": "0.00",
}
WIDTHS = {"date": 12, "time": 8, "timestamp": 17, "decimal(10, 2)": 10}
CHART_SIZE = {"width": 680, "height": 283}  # pixels: 18 cm by 7.5 cm, one per 16 rows


@dataclass(frozen=True)
class WrittenTab:
    sheets: list[Worksheet]
    rows: int


@dataclass(frozen=True)
class ChartedRoom:
    """Where one room's rows of the Usage graph tab are (Excel's row numbers), for its chart."""

    name: str
    sheet_index: int
    first_row: int
    last_row: int


class ReportWorkbook:
    """A workbook written to `path` on close, whose tabs are written once each, row by row."""

    def __init__(self, path: Path, max_rows: int = EXCEL_MAX_DATA_ROWS):
        # Text is always written as text: never turned into a formula, a number or a link.
        self.book = xlsxwriter.Workbook(
            str(path),
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.max_rows = max_rows
        self.header_format = self.book.add_format({"bold": True})
        self.number_formats = {
            column_type: self.book.add_format({"num_format": number_format})
            for column_type, number_format in NUMBER_FORMATS.items()
        }

    def close(self) -> None:
        self.book.close()

    def write_tab(
        self,
        name: str,
        headers: Sequence[tuple[str, str]],
        rows: Iterable[Sequence],
        on_batch: Callable[[int], None] = lambda rows: None,
    ) -> "WrittenTab":
        """Write a tab of (header, column type) columns, on more than one sheet when the rows
        do not fit on one."""
        sheets = []
        written = self.max_rows  # start a sheet on the first row
        count = 0
        formats = [self.number_formats.get(column_type) for _, column_type in headers]
        for count, row in enumerate(rows, start=1):
            if written == self.max_rows:
                sheets.append(self._new_sheet(_sheet_name(name, len(sheets) + 1), headers))
                written = 0
            written += 1
            sheet = sheets[-1]
            for column, (value, cell_format) in enumerate(zip(row, formats, strict=True)):
                _write_cell(sheet, written, column, value, cell_format)
            if count % 10_000 == 0:
                on_batch(10_000)
        if not sheets:  # an empty tab still has its header
            sheets.append(self._new_sheet(name, headers))
            written = 0
        for index, sheet in enumerate(sheets):
            data_rows = written if index == len(sheets) - 1 else self.max_rows
            sheet.autofilter(0, 0, data_rows, len(headers) - 1)
        return WrittenTab(sheets, count)

    def write_info(self, name: str, items: Sequence[tuple[str, object, str]]) -> None:
        """A two-column Item / Value tab of (item, value, value's column type) rows."""
        sheet = self._new_sheet(name, [("Item", "varchar"), ("Value", "varchar")])
        for row, (item, value, value_type) in enumerate(items, start=1):
            _write_cell(sheet, row, 0, item, None)
            _write_cell(sheet, row, 1, value, self.number_formats.get(value_type))
        sheet.autofilter(0, 0, len(items), 1)

    def add_usage_charts(
        self,
        sheets: list[Worksheet],
        rooms: Sequence[ChartedRoom],
        name_column: int,
        join_column: int,
        start_column: int,
    ) -> None:
        """A line chart per room beside the Usage graph data: joins and unique joins over time.
        Columns are counted from 1, as Excel's row numbers are."""
        for position, room in enumerate(rooms):
            sheet = sheets[room.sheet_index]
            first, last = room.first_row - 1, room.last_row - 1  # XlsxWriter counts from 0
            chart = self.book.add_chart({"type": "line"})
            # The title is the room's name cell (its text cached): a literal title that looks
            # like a cell reference would be taken for one.
            title = [sheet.name, first, name_column - 1]
            chart.set_title({"name": title, "data": [room.name]})
            chart.set_y_axis({"name": "Joins"})
            # A text axis: one point per bucket, as a date axis would pile them on their day.
            chart.set_x_axis({"num_format": NUMBER_FORMATS["timestamp"], "text_axis": True})
            chart.set_size(CHART_SIZE)
            categories = [sheet.name, first, start_column - 1, last, start_column - 1]
            for column, title in (
                (join_column, "Total Users Join"),
                (join_column + 1, "Total Unique User Join"),
            ):
                values = [sheet.name, first, column - 1, last, column - 1]
                chart.add_series({"name": title, "categories": categories, "values": values})
            sheet.insert_chart(position * 16, start_column + 1, chart)

    def locate(self, ordinal: int) -> tuple[int, int]:
        """The sheet index and row number where a tab's `ordinal`-th data row (from 1) lands."""
        return (ordinal - 1) // self.max_rows, (ordinal - 1) % self.max_rows + 2

    def _new_sheet(self, name: str, headers: Sequence[tuple[str, str]]) -> Worksheet:
        sheet = self.book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for column, (header, column_type) in enumerate(headers):
            width = max(len(header) + 2, WIDTHS.get(column_type, 14))
            sheet.set_column(column, column, min(width, 40))
            sheet.write_string(0, column, header, self.header_format)
        return sheet


def _write_cell(sheet: Worksheet, row: int, column: int, value, cell_format) -> None:
    """One value as a typed cell: text as text, dates and times as Excel dates, the rest as
    numbers; the column's number format where it has one. An empty value is an empty cell."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    elif isinstance(value, date | time):
        sheet.write_datetime(row, column, value, cell_format)
    else:
        sheet.write_number(row, column, value, cell_format)


def _sheet_name(name: str, number: int) -> str:
    """The tab's name, then `name 2`, `name 3`, ... cut to Excel's 31 characters."""
    if number == 1:
        return name
    suffix = f" {number}"
    return name[: SHEET_NAME_LIMIT - len(suffix)] + suffix
