"""Writing the report workbook: rows streamed into typed cells, long tabs continued, charts.

openpyxl's write-only mode keeps memory flat however many rows a tab has. The writer formats,
it never computes: every value arrives as the marts hold it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
# Text starting with one of these would be a formula (or a DDE trigger) in a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class WrittenTab:
    sheets: list
    rows: int


@dataclass(frozen=True)
class ChartedRoom:
    """Where one room's rows of the Usage graph tab are, for its chart."""

    name: str
    sheet_index: int
    first_row: int
    last_row: int


class ReportWorkbook:
    """A write-only workbook whose tabs are written once each, row by row."""

    def __init__(self, max_rows: int = EXCEL_MAX_DATA_ROWS):
        self.book = Workbook(write_only=True)
        self.max_rows = max_rows

    def save(self, path: Path) -> None:
        self.book.save(path)

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
        convert = [_converter(column_type) for _, column_type in headers]
        for count, row in enumerate(rows, start=1):
            if written == self.max_rows:
                sheets.append(self._new_sheet(_sheet_name(name, len(sheets) + 1), headers))
                written = 0
            sheets[-1].append(
                [fn(sheets[-1], value) for fn, value in zip(convert, row, strict=True)]
            )
            written += 1
            if count % 10_000 == 0:
                on_batch(10_000)
        if not sheets:  # an empty tab still has its header
            sheets.append(self._new_sheet(name, headers))
            written = 0
        for index, sheet in enumerate(sheets):
            data_rows = written if index == len(sheets) - 1 else self.max_rows
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{data_rows + 1}"
        return WrittenTab(sheets, count)

    def write_info(self, name: str, items: Sequence[tuple[str, object, str]]) -> None:
        """A two-column Item / Value tab of (item, value, value's column type) rows."""
        rows = ([item, (value, value_type)] for item, value, value_type in items)
        self.write_tab(name, [("Item", "varchar"), ("Value", "typed")], rows)

    def add_usage_charts(
        self, sheets: list, rooms: Sequence[ChartedRoom], join_column: int, start_column: int
    ) -> None:
        """A line chart per room beside the Usage graph data: joins and unique joins over time."""
        anchor_column = get_column_letter(start_column + 2)
        for position, room in enumerate(rooms):
            sheet = sheets[room.sheet_index]
            chart = LineChart()
            chart.title = room.name
            chart.y_axis.title = "Joins"
            chart.x_axis.number_format = NUMBER_FORMATS["timestamp"]
            chart.height, chart.width = 7.5, 18
            for column, title in (
                (join_column, "Total Users Join"),
                (join_column + 1, "Total Unique User Join"),
            ):
                values = Reference(
                    sheet, min_col=column, min_row=room.first_row, max_row=room.last_row
                )
                chart.add_data(values)
                chart.series[-1].tx = SeriesLabel(v=title)
            chart.set_categories(
                Reference(
                    sheet, min_col=start_column, min_row=room.first_row, max_row=room.last_row
                )
            )
            sheet.add_chart(chart, f"{anchor_column}{1 + position * 16}")

    def locate(self, ordinal: int) -> tuple[int, int]:
        """The sheet index and row number where a tab's `ordinal`-th data row (from 1) lands."""
        return (ordinal - 1) // self.max_rows, (ordinal - 1) % self.max_rows + 2

    def _new_sheet(self, name: str, headers: Sequence[tuple[str, str]]):
        sheet = self.book.create_sheet(name)
        sheet.freeze_panes = "A2"
        for index, (header, column_type) in enumerate(headers, start=1):
            width = max(len(header) + 2, WIDTHS.get(column_type, 14))
            sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)
        cells = []
        for header, _ in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = HEADER_FONT
            cells.append(cell)
        sheet.append(cells)
        return sheet


def _sheet_name(name: str, number: int) -> str:
    """The tab's name, then `name 2`, `name 3`, ... cut to Excel's 31 characters."""
    if number == 1:
        return name
    suffix = f" {number}"
    return name[: SHEET_NAME_LIMIT - len(suffix)] + suffix


def _converter(column_type: str) -> Callable:
    """How one column's values become cells: plain values where Excel reads them right,
    typed cells for dates, times and decimals, text cells for text that looks like a formula."""
    if column_type in NUMBER_FORMATS:
        number_format = NUMBER_FORMATS[column_type]

        def formatted(sheet, value):
            if value is None:
                return None
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell

        return formatted
    if column_type == "varchar":
        return _text
    if column_type == "typed":  # (value, column type) pairs: a column of mixed types
        return lambda sheet, typed: _converter(typed[1])(sheet, typed[0])
    return lambda sheet, value: value


def _text(sheet, value):
    if value is None or not value.startswith(FORMULA_TRIGGERS):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # a string cell: shown verbatim, never evaluated
    return cell
