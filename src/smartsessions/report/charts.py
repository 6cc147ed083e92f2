"""The report's charts: a line chart per key of a tab (a room), for the sheet its rows are on
(where each goes on the sheet is the print layout's: `printing.py`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from smartsessions.report.cells import DAY, EXCEL_FIRST_YEAR, NUMBER_FORMATS, excel_days

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
class ChartedKey:
    """Where one key's rows landed (XlsxWriter's rows, from 0), as runs of rows of one local
    date each, and the span of their times."""

    title: str
    sheet: Worksheet
    segments: list[list[int]]  # [first row, last row] of each date's rows
    first_x: datetime
    last_x: datetime


def time_charts(
    book: Workbook, chart: TimeChart, keys: Iterable[ChartedKey]
) -> dict[Worksheet, list[Chart]]:
    """A line chart per charted key, by the sheet its rows are on, in the keys' order."""
    charts: dict[Worksheet, list[Chart]] = {}
    for key in keys:
        sheet = key.sheet
        line = book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
        # The title is the key's cell (its text cached): a literal title that looks like a
        # cell reference would be taken for one.
        line.set_title(
            {
                "name": [sheet.name, key.segments[0][0], chart.key_column],
                "data": [key.title],
                "name_font": {"size": 12},
            }
        )
        step = time_step(key.first_x, key.last_x)
        line.set_x_axis(
            {
                "num_format": NUMBER_FORMATS["timestamp"],
                "min": floor_to(excel_days(key.first_x), step) / DAY,
                "max": (floor_to(excel_days(key.last_x), step) + step) / DAY,
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
        charts.setdefault(sheet, []).append(line)
    return charts


def note_charted_row(
    charted: dict[str, ChartedKey], chart: TimeChart, sheet: Worksheet, row: int, values
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
        charted[key] = ChartedKey(key, sheet, [[row, row]], x, x)
    elif found.sheet is sheet:
        if x.date() == found.last_x.date():
            found.segments[-1][1] = row
        else:
            found.segments.append([row, row])
        found.last_x = x


def floor_to(days: timedelta, step: timedelta) -> timedelta:
    """A serial floored to a whole number of steps, so that the axis' labels fall on round
    times: every step under a day divides a day, so those fall on the same times each day."""
    return days // step * step


def time_step(first: datetime, last: datetime) -> timedelta:
    """The smallest of the usual steps that puts at most CHART_LABELS labels on the axis."""
    span = last - first
    return next((step for step in TIME_STEPS if span / step <= CHART_LABELS), TIME_STEPS[-1])
