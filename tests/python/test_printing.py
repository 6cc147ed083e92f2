"""The print set-up's rule for a sheet without charts, at its edges (docs/workbook.md,
Printing). Widths in characters become pixels as Excel sizes them (7 a character and 5 of
padding); a pixel is 0.75 points."""

import pytest
import xlsxwriter
from openpyxl import load_workbook

from smartsessions.report.printing import set_up_page


def printed(tmp_path, widths: list[float]):
    book = xlsxwriter.Workbook(tmp_path / "out.xlsx")
    sheet = book.add_worksheet("Tab")
    sheet.write_string(0, 0, "Header")
    set_up_page(sheet, widths)
    book.close()
    return load_workbook(tmp_path / "out.xlsx")["Tab"]


@pytest.mark.parametrize(
    ("widths", "orientation", "fitted"),
    [
        # 93 characters: 656 pixels, 492 points, within a portrait page's 494.48 (A4's 595.28
        # less 2 x 0.7 inches)
        ([93], "portrait", True),
        # 94 characters: 663 pixels, 497.25 points: landscape, fitted to its width (691.2)
        ([94], "landscape", True),
        # 705 + 523 pixels: 921 points, a landscape page (691.2 points, Letter's width within
        # the margins) at 75.05%: still readable, so fitted
        ([100, 74], "landscape", True),
        # 705 + 530 pixels: 926.25 points, which would print below 75%: at 100% across pages
        ([100, 75], "landscape", False),
    ],
)
def test_a_sheet_is_fitted_to_one_page_wide_only_when_it_stays_readable(
    tmp_path, widths, orientation, fitted
):
    sheet = printed(tmp_path, widths)
    assert sheet.page_setup.orientation == orientation
    assert bool(sheet.sheet_properties.pageSetUpPr.fitToPage) is fitted
    if fitted:
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    else:
        # across pages, each row's pages one after the other
        assert sheet.page_setup.pageOrder == "overThenDown"
        assert sheet.page_setup.scale in (None, 100)
    assert sheet.print_options.gridLines
    assert sheet.print_title_rows == "$1:$1"
