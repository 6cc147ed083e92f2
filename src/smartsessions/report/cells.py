"""Excel's cells: the longest text a cell holds, and dates and times as Excel's serials."""

from datetime import date, datetime, time, timedelta

# The longest text a cell holds: 32,767 characters as the spec counts them (code points), and
# as Excel and XlsxWriter count them (UTF-16 code units) once a text holds characters outside
# the Basic Multilingual Plane, each two units: XlsxWriter would cut such a text silently.
CELL_MAX_CHARS = 32_767
CUT_MARK = "…"
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


def excel_days(value: date | time) -> timedelta:
    """A date, date-time (from 1900-01-01 on) or time as Excel's serial counts it: the serial
    is this span in days. Kept a span so that the chart's axis is floored exactly."""
    if isinstance(value, time):
        return datetime.combine(EXCEL_EPOCH, value) - EXCEL_EPOCH
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    since_epoch = value - EXCEL_EPOCH
    return since_epoch if value >= EXCEL_AFTER_LEAP_DAY else since_epoch - DAY


def utf16_units(text: str) -> int:
    """A text's length in UTF-16 code units, as a cell counts it; a text of at most half the
    limit in code points is within it whatever it holds, which spares the encoding."""
    if len(text) <= CELL_MAX_CHARS // 2:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def cut_to_cell(text: str) -> str:
    """The text's longest beginning, in whole characters, that fits a cell with the mark after
    it: the first 32,766 code points when each is one unit (report-sheets.md, Cells), fewer when
    some take two."""
    units = text.encode("utf-16-le")[: 2 * (CELL_MAX_CHARS - 1)]
    return units.decode("utf-16-le", "ignore") + CUT_MARK  # "ignore": half a surrogate pair
