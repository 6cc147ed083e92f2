"""Writing the report workbook: rows streamed into typed cells, long tabs continued, charts.

XlsxWriter's constant-memory mode writes each row out as soon as the next one starts, so
memory stays flat however many rows a tab has. The writer formats, it never computes: every
value arrives as the marts hold it.
"""

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.worksheet import Worksheet

EXCEL_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
# The longest text a cell holds: 32,767 characters as the spec counts them (code points), and
# as Excel and XlsxWriter count them (UTF-16 code units) once a text holds characters outside
# the Basic Multilingual Plane, each two units: XlsxWriter would cut such a text silently.
CELL_MAX_CHARS = 32_767
CUT_MARK = "…"
SHEET_NAME_LIMIT = 31
# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 a 1900-02-29 that never was, so
# from 1900-03-01 (serial 61) on a serial counts the days since 1899-12-30, before it the days
# since 1899-12-31; no serial holds an earlier date. A time alone is a fraction of day 0.
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_FIRST_YEAR = 1900
EXCEL_AFTER_LEAP_DAY = datetime(1900, 3, 1)
DAY = timedelta(days=1)

# Excel number formats by the marts' column types.
NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "time": "hh:mm",
    "timestamp": "yyyy-mm-dd hh:mm",
    "decimal(10, 2)": "0.00",
    "decimal(18, 1)": "0.0",
}
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

# Charts: one per charted key (a room), stacked beside the data.
CHART_SIZE = {"width": 760, "height": 340}  # pixels
CHART_ROWS = 18  # rows of 20 pixels each chart takes, with a gap
CHART_LABELS = 8  # about this many labels on the time axis, so that they never overlap
TIME_STEPS = [
    timedelta(minutes=m) for m in (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 40320)
]
SERIES_STYLES = (  # the first series a solid line, the second dashed on top with other marks
    {"line": {"width": 2.25, "color": "#1F77B4"}, "marker": {"type": "circle", "size": 5}},
    {
        "line": {"width": 1.5, "color": "#D62728", "dash_type": "dash"},
        "marker": {"type": "diamond", "size": 6, "fill": {"none": True}},
    },
)


@dataclass(frozen=True)
class TimeChart:
    """A line chart per key of a tab (a room): the `y_columns` against the date-times of
    `x_column`. Rows with the same key are consecutive; each row given with a chart carries one
    more value after its cells, true when its key is charted."""

    key_column: int
    x_column: int
    y_columns: tuple[int, ...]
    y_title: str


@dataclass
class _ChartedKey:
    """Where one key's rows landed (XlsxWriter's rows, from 0), as runs of rows of one local
    date each, and the span of their times."""

    title: str
    sheet: Worksheet
    segments: list[list[int]]  # [first row, last row] of each date's rows
    first_x: datetime
    last_x: datetime


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
        charted: dict[str, _ChartedKey] = {}
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
                _note_charted_row(charted, chart, sheet, written, row)
            if count % 10_000 == 0:
                on_batch(10_000)
        if not sheets:  # an empty tab still has its header
            sheets.append(self._new_sheet(name, layout))
            written = 0
        for index, sheet in enumerate(sheets):
            data_rows = written if index == len(sheets) - 1 else self.max_rows
            sheet.autofilter(0, 0, data_rows, width - 1)
        if chart:
            self._add_time_charts(chart, headers, charted.values(), layout)
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

    def _write_cell(self, sheet: Worksheet, row: int, column: int, value, cell_format) -> None:
        """One value as a typed cell: text as text (cut, and counted, when longer than a cell
        holds), dates and times as Excel dates (a date before 1900 as text in the column's
        format, and counted), the rest as numbers; the column's number format where it has one.
        An empty value is an empty cell."""
        if value is None:
            return
        if isinstance(value, str):
            if len(value) > CELL_MAX_CHARS or _utf16_units(value) > CELL_MAX_CHARS:
                value = _cut(value)
                self.cells_cut += 1
            sheet.write_string(row, column, value)
        elif isinstance(value, date) and value.year < EXCEL_FIRST_YEAR:
            text = value.isoformat(" ", "minutes") if isinstance(value, datetime) else str(value)
            sheet.write_string(row, column, text)
            self.dates_as_text += 1
        elif isinstance(value, date | time):
            # not write_datetime: XlsxWriter 3.3.1 is a day off before 1900-03-01 (it writes
            # 1900-01-01 12:00 as 0.5, a bare time, and 1900-02-28 12:00 as 60.5)
            sheet.write_number(row, column, _excel_days(value) / DAY, cell_format)
        else:
            sheet.write_number(row, column, value, cell_format)

    def _new_sheet(self, name: str, layout: _Layout) -> Worksheet:
        sheet = self.book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        # Printed: landscape, one page wide, the header on every page.
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        lines = 1
        for column, ((header, _), width) in enumerate(
            zip(layout.headers, layout.widths, strict=True)
        ):
            sheet.set_column(column, column, width)
            sheet.write_string(0, column, header, self.header_format)
            lines = max(lines, len(textwrap.wrap(header, max(int(width) - 1, 1))))
        sheet.set_row(0, HEADER_LINE_POINTS * lines)
        return sheet

    def _add_time_charts(
        self,
        chart: TimeChart,
        headers: Sequence[tuple[str, str]],
        keys: Iterable[_ChartedKey],
        layout: _Layout,
    ) -> None:
        placed: dict[str, int] = {}  # charts already on each sheet
        beside = len(headers) + 1  # one empty column after the data
        for key in keys:
            sheet = key.sheet
            line = self.book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
            # The title is the key's cell (its text cached): a literal title that looks like a
            # cell reference would be taken for one.
            line.set_title(
                {
                    "name": [sheet.name, key.segments[0][0], chart.key_column],
                    "data": [key.title],
                    "name_font": {"size": 12},
                }
            )
            step = _time_step(key.first_x, key.last_x)
            line.set_x_axis(
                {
                    "num_format": NUMBER_FORMATS["timestamp"],
                    "min": _floor(_excel_days(key.first_x), step) / DAY,
                    "max": (_floor(_excel_days(key.last_x), step) + step) / DAY,
                    "major_unit": step / DAY,
                    "num_font": {"rotation": -45, "size": 8},
                    "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                }
            )
            line.set_y_axis(
                {
                    "name": chart.y_title,
                    "min": 0,
                    "num_format": "0",
                    "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                }
            )
            # A series per local date, so that the line stops where a day's buckets end (the
            # night between two days is a gap); the legend names the first day's series only.
            for first, last in key.segments:
                x_values = [sheet.name, first, chart.x_column, last, chart.x_column]
                for column, style in zip(chart.y_columns, SERIES_STYLES, strict=False):
                    line.add_series(
                        {
                            "name": [sheet.name, 0, column],
                            "categories": x_values,
                            "values": [sheet.name, first, column, last, column],
                            **style,
                        }
                    )
            series = len(key.segments) * len(chart.y_columns)
            shown = len(chart.y_columns)
            line.set_legend({"position": "bottom", "delete_series": list(range(shown, series))})
            line.set_size(CHART_SIZE)
            position = placed.get(sheet.name, 0)
            placed[sheet.name] = position + 1
            sheet.insert_chart(position * CHART_ROWS, beside, line)


def _note_charted_row(
    charted: dict[str, _ChartedKey], chart: TimeChart, sheet: Worksheet, row: int, values
) -> None:
    """Extend the charted key's rows by this one; a key split over two sheets is charted on its
    first part. A row whose time is before 1900 is not charted: its cell is text, and a text x
    value would make Excel number the whole series' points 1, 2, 3, ... instead. Such rows
    come first (rows run by time within a key) on local dates of their own, so the charted rows
    still make runs of one date each; a key with no other row has no chart."""
    key, x = values[chart.key_column], values[chart.x_column]
    if x.year < EXCEL_FIRST_YEAR:
        return
    found = charted.get(key)
    if found is None:
        charted[key] = _ChartedKey(key, sheet, [[row, row]], x, x)
    elif found.sheet is sheet:
        if x.date() == found.last_x.date():
            found.segments[-1][1] = row
        else:
            found.segments.append([row, row])
        found.last_x = x


def _excel_days(value: date | time) -> timedelta:
    """A date, date-time (from 1900-01-01 on) or time as Excel's serial counts it: the serial
    is this span in days. Kept a span so that the chart's axis is floored exactly."""
    if isinstance(value, time):
        return datetime.combine(EXCEL_EPOCH, value) - EXCEL_EPOCH
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    since_epoch = value - EXCEL_EPOCH
    return since_epoch if value >= EXCEL_AFTER_LEAP_DAY else since_epoch - DAY


def _utf16_units(text: str) -> int:
    """A text's length in UTF-16 code units, as a cell counts it; a text of at most half the
    limit in code points is within it whatever it holds, which spares the encoding."""
    if len(text) <= CELL_MAX_CHARS // 2:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str) -> str:
    """The text's longest beginning, in whole characters, that fits a cell with the mark after
    it: the first 32,766 code points when each is one unit (report-sheets.md, Cells), fewer when
    some take two."""
    units = text.encode("utf-16-le")[: 2 * (CELL_MAX_CHARS - 1)]
    return units.decode("utf-16-le", "ignore") + CUT_MARK  # "ignore": half a surrogate pair


def _floor(days: timedelta, step: timedelta) -> timedelta:
    """A serial floored to a whole number of steps, so that the axis' labels fall on round
    times: every step under a day divides a day, so those fall on the same times each day."""
    return days // step * step


def _time_step(first: datetime, last: datetime) -> timedelta:
    """The smallest of the usual steps that puts at most CHART_LABELS labels on the axis."""
    span = last - first
    return next((step for step in TIME_STEPS if span / step <= CHART_LABELS), TIME_STEPS[-1])


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
