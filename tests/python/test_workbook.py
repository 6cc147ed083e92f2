"""The workbook writer: typed cells, formula-looking text kept as text, tabs that overflow."""

import zipfile
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from smartsessions.workbook import ChartedRoom, ReportWorkbook

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
    assert book.locate(7) == (2, 2)  # the 7th row: third sheet, first row under the header


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


def test_charts_sit_beside_the_data(tmp_path):
    book = ReportWorkbook(tmp_path / "out.xlsx")
    written = book.write_tab("Usage graph", HEADERS, rows(4))
    room = ChartedRoom("Main Stage!A1", 0, 2, 5)  # a name that looks like a cell reference
    book.add_usage_charts(written.sheets, [room], name_column=1, join_column=2, start_column=4)
    book.close()
    with zipfile.ZipFile(tmp_path / "out.xlsx") as package:
        chart = package.read("xl/charts/chart1.xml").decode()
        drawing = package.read("xl/drawings/drawing1.xml").decode()
    # the title is the room's name cell, its text cached as it is
    assert "<c:f>'Usage graph'!$A$2</c:f>" in chart and "<c:v>Main Stage!A1</c:v>" in chart
    assert "Total Users Join" in chart and "Total Unique User Join" in chart
    assert "'Usage graph'!$B$2:$B$5" in chart and "'Usage graph'!$D$2:$D$5" in chart
    # column F (from 0): one empty column after the data
    assert "<xdr:from><xdr:col>5</xdr:col>" in drawing
