"""The workbook writer: typed cells, formula-looking text kept as text, tabs that overflow."""

import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from smartsessions.report.charts import TimeChart
from smartsessions.report.workbook import ReportWorkbook

HEADERS = [("Name", "varchar"), ("Count", "bigint"), ("Day", "date"), ("At", "timestamp")]


def rows(count: int):
    return [
        (f"row {n}", n, date(2026, 3, 29), datetime(2026, 3, 29, 1, n % 60)) for n in range(count)
    ]


def test_a_long_tab_continues_on_more_sheets_with_the_header(tmp_path):
    book = ReportWorkbook(tmp_path / "out.xlsx", max_rows=3)
    written = book.write_tab("User engagement (high level)", HEADERS, rows(7))
    book.close()
    assert written.rows == 7
    saved = load_workbook(tmp_path / "out.xlsx")
    assert saved.sheetnames == [
        "User engagement (high level)",
        "User engagement (high level) 2",
        "User engagement (high level) 3",
    ]
    assert all(len(name) <= 31 for name in saved.sheetnames)
    names = [[row[0] for row in sheet.iter_rows(values_only=True)] for sheet in saved.worksheets]
    assert names == [
        ["Name", "row 0", "row 1", "row 2"],
        ["Name", "row 3", "row 4", "row 5"],
        ["Name", "row 6"],
    ]
    assert [sheet.auto_filter.ref for sheet in saved.worksheets] == ["A1:D4", "A1:D4", "A1:D2"]


def test_an_empty_tab_keeps_its_header(tmp_path):
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab("Usage graph", HEADERS, [])
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Usage graph"]
    assert list(sheet.iter_rows(values_only=True)) == [("Name", "Count", "Day", "At")]
    assert sheet.freeze_panes == "A2"


def test_cells_are_typed_and_formula_looking_text_stays_text(tmp_path):
    risky = ["=1+1", "+44 1234", "-minus", "@handle", "\tTab", "\rReturn", "plain"]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab(
        "Cells",
        [("Text", "varchar"), ("Hours", "decimal(10, 2)"), ("Start", "time"), ("Empty", "date")],
        [(text, Decimal("1.50"), time(9, 30), None) for text in risky],
    )
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Cells"]
    # a carriage return is stored escaped (_x000D_), as Excel writes it; openpyxl reads it raw
    read_back = [unescape(sheet.cell(row, 1).value) for row in range(2, 9)]
    assert read_back == risky
    assert {sheet.cell(row, 1).data_type for row in range(2, 9)} == {"s"}
    assert (sheet["B2"].value, sheet["B2"].number_format) == (1.5, "0.00")
    assert (sheet["C2"].value, sheet["C2"].number_format) == (time(9, 30), "hh:mm")
    assert sheet["D2"].value is None
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no cell is a formula


def test_widths_come_from_the_content_and_headers_wrap(tmp_path):
    book = ReportWorkbook(tmp_path / "out.xlsx")
    headers = [("Room name", "varchar"), ("Total Unique User Join", "bigint"), ("At", "timestamp")]
    long_name = "A room with a name of forty characters.."
    book.write_tab(
        "Widths", headers, [("Hall", 3, None), (long_name, 12, None), ("x" * 90, 1, None)]
    )
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Widths"]
    widths = [sheet.column_dimensions[column].width for column in "ABC"]
    # the longest text capped at 50 (+2), a short number as wide as the header's longest word
    # ("Unique", 6, +2), a date-time as wide as its format (16 characters, +3)
    assert [round(width) for width in widths] == [53, 9, 20]
    assert sheet["B1"].alignment.wrap_text
    assert sheet.row_dimensions[1].height == 4 * 15  # "Total / Unique / User / Join" in 7


def test_every_sheet_prints_its_tab_name_and_page_numbers_on_a4(tmp_path):
    """Continuation sheets and Report info too: the sheet's name top left, "Page N of M" at the
    bottom, the header row on every page. These columns (8 + 8 + 13 + 19 characters: 61 + 61 +
    96 + 138 = 356 pixels, 267 points) fit a portrait A4 page (494.48 points within the
    margins), so they print portrait, one page wide, with gridlines."""
    book = ReportWorkbook(tmp_path / "out.xlsx", max_rows=3)
    book.write_tab("Tab", HEADERS, rows(5))
    book.write_info("Report info", [("Event name", "London Summit", "varchar")])
    book.close()
    saved = load_workbook(tmp_path / "out.xlsx")
    assert saved.sheetnames == ["Tab", "Tab 2", "Report info"]
    for sheet in saved.worksheets:
        assert sheet.oddHeader.left.text == "&A"
        assert sheet.oddFooter.center.text == "Page &P of &N"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.paperSize == 9  # A4
        margins = sheet.page_margins
        assert (margins.left, margins.right, margins.top, margins.bottom) == (0.7, 0.7, 0.75, 0.75)
    for sheet in saved["Tab"], saved["Tab 2"]:
        assert sheet.page_setup.orientation == "portrait"
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_options.gridLines


def test_report_info_labels_are_never_cut(tmp_path):
    label = "Left out: record that broke the landing contract (kept in raw.rejected_records)"
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_info(
        "Report info", [(label, 3, "bigint"), ("At", datetime(2026, 3, 29), "timestamp")]
    )
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Report info"]
    assert sheet.column_dimensions["A"].width >= len(label)
    assert sheet.column_dimensions["B"].width >= len("2026-03-29 00:00")


def test_charts_sit_beside_the_data_on_a_time_axis_with_a_series_per_day(tmp_path):
    """Rows of one room over two local dates, the last column saying it is charted: one
    scatter chart, its x axis date-times, the line broken between the dates."""
    headers = [
        ("Room name", "varchar"),
        ("Total Users Join", "bigint"),
        ("Total Unique User Join", "bigint"),
        ("Start", "timestamp"),
    ]
    room = "Main Stage!A1"  # a name that looks like a cell reference
    data = [
        (room, 3, 2, datetime(2026, 3, 29, 9, 0), True),
        (room, 0, 0, datetime(2026, 3, 29, 9, 15), True),
        (room, 1, 1, datetime(2026, 3, 31, 10, 0), True),
        ("Not charted", 1, 1, datetime(2026, 3, 29, 9, 0), False),
    ]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    chart = TimeChart(key_column=0, x_column=3, y_columns=(1, 2), y_title="Joins")
    written = book.write_tab("Usage graph", headers, data, chart=chart)
    book.close()
    assert (written.rows, written.charts) == (4, 1)
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        assert [n for n in package.namelist() if n.startswith("xl/charts/")] == [
            "xl/charts/chart1.xml"
        ]
        chart_xml = package.read("xl/charts/chart1.xml").decode()
        drawing = package.read("xl/drawings/drawing1.xml").decode()
    assert "<c:scatterChart>" in chart_xml
    # the title is the room's name cell, its text cached as it is
    assert "<c:f>'Usage graph'!$A$2</c:f>" in chart_xml and "<c:v>Main Stage!A1</c:v>" in chart_xml
    # series named by their header cells, in full; a series per local date and count
    assert chart_xml.count("<c:f>'Usage graph'!$B$1</c:f>") == 2
    assert chart_xml.count("<c:f>'Usage graph'!$C$1</c:f>") == 2
    assert "<c:xVal><c:numRef><c:f>'Usage graph'!$D$2:$D$3</c:f>" in chart_xml
    assert "<c:yVal><c:numRef><c:f>'Usage graph'!$C$4</c:f>" in chart_xml
    # the legend shows the first day's two series only
    assert chart_xml.count("<c:legendEntry>") == 2
    # the time axis: 49 hours of data, so a label every 12 hours, from 2026-03-29 00:00 (Excel
    # day 46110) to 2026-03-31 12:00 (46112.5), date-times shown as such; counts from 0
    assert '<c:min val="46110.0"/>' in chart_xml and '<c:max val="46112.5"/>' in chart_xml
    assert '<c:majorUnit val="0.5"/>' in chart_xml
    assert 'formatCode="yyyy-mm-dd hh:mm"' in chart_xml and '<c:min val="0"/>' in chart_xml
    # column E, right after the data, set off by 10 pixels (95,250 EMU)
    assert "<xdr:from><xdr:col>4</xdr:col><xdr:colOff>95250</xdr:colOff>" in drawing


def test_text_longer_than_a_cell_is_cut_with_an_ellipsis_and_counted(tmp_path):
    exactly, longer = "x" * 32_767, "é" * 32_767 + "tail"  # code points, not bytes
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab("Long", [("Text", "varchar")], [(exactly,), (longer,), ("short",)])
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Long"]
    assert sheet["A2"].value == exactly
    assert sheet["A3"].value == "é" * 32_766 + "…"
    assert sheet["A4"].value == "short"
    assert book.cells_cut == 1


def test_text_of_characters_outside_the_bmp_is_cut_to_what_a_cell_holds_and_counted(tmp_path):
    """A cell holds 32,767 UTF-16 code units, and an emoji takes two: 20,000 of them do not fit
    though they are fewer than 32,767 code points. Found by the drawn deliveries: XlsxWriter cut
    them to 16,383 silently; the writer cuts to the 16,383 that fit beside the mark, counted."""
    emoji = "\N{GRINNING FACE}"
    fits, astral = emoji * 16_383, emoji * 20_000  # 32,766 units; 40,000
    mixed = "x" * 32_766 + emoji  # 32,767 code points, 32,768 units
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab("Long", [("Text", "varchar")], [(fits,), (astral,), (mixed,)])
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Long"]
    assert sheet["A2"].value == fits
    assert sheet["A3"].value == emoji * 16_383 + "…"
    assert sheet["A4"].value == "x" * 32_766 + "…"
    assert book.cells_cut == 2


def test_xlsxwriter_works_in_the_folder_it_is_given(tmp_path):
    work = tmp_path / "parts"
    work.mkdir()
    book = ReportWorkbook(tmp_path / "out.xlsx", work_dir=work)
    assert book.book.tmpdir == str(work)
    book.write_tab("Tab", HEADERS, rows(3))
    book.close()
    assert list(work.iterdir()) == []  # it removes its own files when it closes


# Local values at the edges of the landing contract's years, with Excel's serials (its 1900
# date system counts a 1900-02-29 that never was: serial 60).
TYPED_EDGES = [
    (datetime(1900, 1, 1, 0, 0), "1"),
    (datetime(1900, 1, 1, 12, 0), "1.5"),
    (datetime(1900, 2, 28, 12, 0), "59.5"),
    (datetime(1900, 3, 1, 0, 0), "61"),
    (datetime(9999, 1, 2, 23, 59), "2958102.999305556"),
]


def stored_numbers(path) -> dict[str, str]:
    """The numbers the first sheet stores, by cell, as written."""
    with zipfile.ZipFile(path) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    return dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*><v>([^<]*)</v>', xml))


def test_dates_from_1900_on_are_typed_cells_with_excels_serials(tmp_path):
    """Every date-time from 1900-01-01 on, a date and a time read back as written, to the minute
    (openpyxl undoes the 1900-02-29 that never was); the serials are Excel's."""
    headers = [("At", "timestamp"), ("Day", "date"), ("Time", "time")]
    data = [(moment, moment.date(), moment.time()) for moment, _ in TYPED_EDGES]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab("Edges", headers, data)
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Edges"]
    read_back = list(sheet.iter_rows(min_row=2, values_only=True))
    # openpyxl reads a date cell as a date-time at midnight
    assert read_back == [
        (moment, datetime.combine(moment.date(), time()), moment.time())
        for moment, _ in TYPED_EDGES
    ]
    assert {cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row} == {"d"}
    assert [sheet.cell(2, column).number_format for column in (1, 2, 3)] == [
        "yyyy-mm-dd hh:mm",
        "yyyy-mm-dd",
        "hh:mm",
    ]
    numbers = stored_numbers(tmp_path / "out.xlsx")
    assert [numbers[f"A{row}"] for row in range(2, 7)] == [serial for _, serial in TYPED_EDGES]
    assert [numbers[f"B{row}"] for row in range(2, 7)] == ["1", "1", "59", "61", "2958102"]
    assert [numbers[f"C{row}"] for row in range(2, 7)] == [
        "0",
        "0.5",
        "0.5",
        "0",
        "0.9993055555555556",
    ]
    assert book.dates_as_text == 0


def test_dates_before_1900_are_text_in_the_columns_format_and_counted(tmp_path):
    """Local values before 1900-01-01, which no Excel serial holds (1900-01-01T00:00+14:00 is
    1899-12-30 22:37 in Pago Pago, on its local mean time)."""
    headers = [("At", "timestamp"), ("Day", "date")]
    data = [
        (datetime(1899, 12, 30, 22, 37), date(1899, 12, 30)),
        (datetime(1899, 12, 31, 23, 59), date(1899, 12, 31)),
        (datetime(1900, 1, 1, 0, 0), date(1900, 1, 1)),
    ]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    book.write_tab("Edges", headers, data)
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Edges"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("1899-12-30 22:37", "1899-12-30"),
        ("1899-12-31 23:59", "1899-12-31"),
        (datetime(1900, 1, 1), datetime(1900, 1, 1)),
    ]
    assert [sheet.cell(row, 1).data_type for row in (2, 3, 4)] == ["s", "s", "d"]
    assert book.dates_as_text == 4


def test_a_chart_leaves_out_the_rows_before_1900(tmp_path):
    """A text x value would make Excel number a scatter series' points 1, 2, 3, ...: rows
    before 1900 (text) are left out of the chart, and a room with no other row has none."""
    headers = [("Room name", "varchar"), ("Joins", "bigint"), ("Start", "timestamp")]
    data = [
        ("Early", 1, datetime(1899, 12, 31, 19, 0), True),
        ("Hall", 1, datetime(1899, 12, 31, 19, 0), True),
        ("Hall", 2, datetime(1900, 1, 1, 0, 0), True),
        ("Hall", 1, datetime(1900, 1, 1, 8, 0), True),
    ]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    chart = TimeChart(key_column=0, x_column=2, y_columns=(1,), y_title="Joins")
    written = book.write_tab("Usage graph", headers, data, chart=chart)
    book.close()
    assert (written.rows, written.charts) == (4, 1)
    assert book.dates_as_text == 2
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        chart_xml = package.read("xl/charts/chart1.xml").decode()
    assert "<c:xVal><c:numRef><c:f>'Usage graph'!$C$4:$C$5</c:f>" in chart_xml
    assert "<c:v>Hall</c:v>" in chart_xml
    # 8 hours, so a label every hour: from 1900-01-01 00:00 (serial 1) to 09:00
    assert '<c:min val="1.0"/>' in chart_xml and '<c:max val="1.375"/>' in chart_xml


def test_each_chart_prints_whole_on_a_landscape_page_of_its_own(tmp_path):
    """Three charted rooms of 40 rows each. The header row ("Total Unique User Join" wraps to
    4 lines of 15 points: 60) repeats on every page, so a landscape page within the margins
    (A4's 595.28 points less 2 x 54: 487.28 high) holds (487.28 - 60) / 15 = 28.5, so 28 rows
    of 15 points. The charts go in column E, right after the data, after a page break; each
    starts on a page's first row (Excel's rows 2, 30, 58), with a page break below its 28 rows,
    and is as large as the page leaves: the widest column within Letter's 691.2 points (921
    pixels) is 130 characters (915 pixels), the chart 895 x 550 pixels (28 rows of 20 pixels,
    less 10). The sheet prints at 100%, without gridlines (a fit to the page would ignore the
    breaks)."""
    headers = [
        ("Room name", "varchar"),
        ("Total Users Join", "bigint"),
        ("Total Unique User Join", "bigint"),
        ("Start", "timestamp"),
    ]
    start = datetime(2026, 3, 29, 9, 0)
    data = [
        (room, 1, 1, start + n * timedelta(minutes=15), True)
        for room in ("Hall A", "Hall B", "Hall C")
        for n in range(40)
    ]
    book = ReportWorkbook(tmp_path / "out.xlsx")
    chart = TimeChart(key_column=0, x_column=3, y_columns=(1, 2), y_title="Joins")
    assert book.write_tab("Usage graph", headers, data, chart=chart).charts == 3
    book.close()
    sheet = load_workbook(tmp_path / "out.xlsx")["Usage graph"]
    assert sheet.row_dimensions[1].height == 60
    assert [brk.id for brk in sheet.row_breaks.brk] == [29, 57, 85]  # below rows 29, 57, 85
    assert [brk.id for brk in sheet.col_breaks.brk] == [4]  # before column E
    assert sheet.page_setup.orientation == "landscape"
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.scale in (None, 100)
    assert not sheet.print_options.gridLines
    assert sheet.print_title_rows == "$1:$1"
    # the stored width counts the 5 pixels of padding, 7 pixels a character
    assert round(sheet.column_dimensions["E"].width * 7) == 915
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        drawing = package.read("xl/drawings/drawing1.xml").decode()
    anchors = re.findall(
        r"<xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>"
        r"<xdr:row>(\d+)</xdr:row><xdr:rowOff>(\d+)</xdr:rowOff></xdr:from>"
        r"<xdr:to><xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>"
        r"<xdr:row>(\d+)</xdr:row><xdr:rowOff>(\d+)</xdr:rowOff></xdr:to>",
        drawing,
    )
    emu = 9525  # a pixel
    # from 10 pixels into column E and 5 into the page's first row, to 15 into its last
    assert [tuple(int(value) for value in anchor) for anchor in anchors] == [
        (4, 10 * emu, first, 5 * emu, 4, (10 + 895) * emu, first + 27, 15 * emu)
        for first in (1, 29, 57)
    ]


def test_charts_print_on_the_sheet_of_their_rows_and_a_sheet_without_charts_is_fitted(tmp_path):
    """Four rows a sheet: Hall A's rows fill the first sheet, Hall B's start the second (its
    chart there, on the first page's rows), the third has no charted row: it prints as any
    other tab (these columns fit a portrait page: 61 + 61 + 61 + 138 pixels, 240.75 points)."""
    headers = [
        ("Room name", "varchar"),
        ("Total Users Join", "bigint"),
        ("Total Unique User Join", "bigint"),
        ("Start", "timestamp"),
    ]
    start = datetime(2026, 3, 29, 9, 0)
    data = [
        (room, 1, 1, start + n * timedelta(minutes=15), room != "Hall C")
        for room, count in (("Hall A", 4), ("Hall B", 4), ("Hall C", 2))
        for n in range(count)
    ]
    book = ReportWorkbook(tmp_path / "out.xlsx", max_rows=4)
    chart = TimeChart(key_column=0, x_column=3, y_columns=(1, 2), y_title="Joins")
    assert book.write_tab("Usage graph", headers, data, chart=chart).charts == 2
    book.close()
    saved = load_workbook(tmp_path / "out.xlsx")
    assert saved.sheetnames == ["Usage graph", "Usage graph 2", "Usage graph 3"]
    for sheet in saved["Usage graph"], saved["Usage graph 2"]:
        assert [brk.id for brk in sheet.row_breaks.brk] == [29]  # one chart: 28 rows
        assert [brk.id for brk in sheet.col_breaks.brk] == [4]
        assert sheet.page_setup.orientation == "landscape"
        assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    fitted = saved["Usage graph 3"]
    assert (fitted.row_breaks.brk, fitted.col_breaks.brk) == ([], [])
    assert fitted.page_setup.orientation == "portrait"
    assert fitted.sheet_properties.pageSetUpPr.fitToPage
    assert fitted.oddHeader.left.text == "&A"
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        drawings = sorted(n for n in package.namelist() if n.startswith("xl/drawings/drawing"))
    assert drawings == ["xl/drawings/drawing1.xml", "xl/drawings/drawing2.xml"]
