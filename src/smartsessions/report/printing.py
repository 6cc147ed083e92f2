"""The printed workbook: paper, orientation and scale per sheet, the tab's name and page numbers
on every page, and the Usage graph's charts placed so that each prints whole on one page.

Every length here is in points (1/72 inch). The pages are laid out for A4, the paper set in the
workbook, within the smaller of A4 and Letter in each direction, so that a printer that
substitutes Letter still prints the same pages (docs/workbook.md, Printing).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.chart import Chart
from xlsxwriter.worksheet import Worksheet

PAPER_A4 = 9  # XlsxWriter's (and Excel's) paper code
PAPERS = ((595.28, 841.89), (612.0, 792.0))  # A4 and Letter, portrait width and height
MARGINS = {"left": 0.7, "right": 0.7, "top": 0.75, "bottom": 0.75}  # inches, Excel's defaults
HEADER_MARGIN = 0.3  # inches from the paper's edge to the page header and footer
POINTS_PER_INCH = 72
ROW_POINTS = 15.0  # a row's default height (Calibri 11)
PIXEL_POINTS = 0.75  # a pixel at 96 dpi
# The smallest scale that still prints Calibri 11 readably (about 8 points): a sheet narrower
# than a page at this scale is fitted to one page wide, a wider one prints at 100% across pages.
MIN_READABLE_SCALE = 0.75
# Page header and footer, Excel's codes: &A the sheet's name, &P the page, &N the pages printed.
PAGE_HEADER = "&L&A"
PAGE_FOOTER = "&CPage &P of &N"
CHART_GAP = 10  # pixels left free beside and below a chart, within its page


@dataclass(frozen=True)
class Page:
    """The printable area of a page: the paper less the margins."""

    width: float
    height: float


def _printable(landscape: bool) -> Page:
    sides = [(height, width) if landscape else (width, height) for width, height in PAPERS]
    return Page(
        min(width for width, _ in sides) - (MARGINS["left"] + MARGINS["right"]) * POINTS_PER_INCH,
        min(height for _, height in sides) - (MARGINS["top"] + MARGINS["bottom"]) * POINTS_PER_INCH,
    )


PORTRAIT, LANDSCAPE = _printable(landscape=False), _printable(landscape=True)


def column_pixels(width: float) -> int:
    """A column's width in pixels from its width in characters, as XlsxWriter and Excel size it
    (Calibri 11: 7 pixels a character and 5 of padding)."""
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


@dataclass(frozen=True)
class ChartPages:
    """Where a sheet's charts print, one per landscape page at 100%: in a column of their own
    after a page break, each anchored at the first row of a page and as large as the page
    leaves it."""

    column: int
    rows_per_page: int  # data rows per page, below the repeated header row
    column_width: int  # characters
    chart_size: dict

    def row(self, position: int) -> int:
        """The row (from 0, the header's) where the chart at `position` starts."""
        return 1 + position * self.rows_per_page


def chart_pages(column: int, header_points: float) -> ChartPages:
    """Charts in `column`, below a header row `header_points` high repeated on every page."""
    rows = int((LANDSCAPE.height - header_points) // ROW_POINTS)
    width = (int(LANDSCAPE.width / PIXEL_POINTS) - 5) // 7  # the widest column that fits
    height = int(rows * ROW_POINTS / PIXEL_POINTS)
    size = {"width": column_pixels(width) - 2 * CHART_GAP, "height": height - CHART_GAP}
    return ChartPages(column, rows, width, size)


def set_up_page(sheet: Worksheet, widths: Sequence[float], charted: bool = False) -> None:
    """Paper, margins, page header and footer, the header row on every page. A sheet with
    charts prints landscape at 100%, as its chart pages are measured (fitting it to a page
    would ignore the breaks; its data columns fit a page's width, the longest text being cut at
    50 characters), without gridlines, which would frame each chart. Any other sheet prints its
    gridlines, portrait when its columns fit a portrait page, else landscape; fitted to one
    page wide when readable so, else at 100% across pages, each row's pages one after the
    other."""
    sheet.set_paper(PAPER_A4)
    sheet.set_margins(**MARGINS)
    sheet.set_header(PAGE_HEADER, {"margin": HEADER_MARGIN})
    sheet.set_footer(PAGE_FOOTER, {"margin": HEADER_MARGIN})
    sheet.repeat_rows(0)
    if charted:
        sheet.set_landscape()
        return
    sheet.hide_gridlines(0)  # printed: a long row is easier to follow
    width = sum(column_pixels(w) for w in widths) * PIXEL_POINTS
    if width <= PORTRAIT.width:
        sheet.set_portrait()
    else:
        sheet.set_landscape()
    if width <= LANDSCAPE.width / MIN_READABLE_SCALE:
        sheet.fit_to_pages(1, 0)
    else:
        sheet.print_across()


def place_charts(sheet: Worksheet, charts: Sequence[Chart], pages: ChartPages) -> None:
    """The charts stacked in their column, a page each: a page break before the column and
    below each chart's rows."""
    sheet.set_column(pages.column, pages.column, pages.column_width)
    sheet.set_v_pagebreaks([pages.column])
    sheet.set_h_pagebreaks([pages.row(position) for position in range(1, len(charts) + 1)])
    for position, chart in enumerate(charts):
        chart.set_size(pages.chart_size)
        # set off from the data by the gap, and from the page's top and bottom edges by half of
        # it (a chart's frame on the edge would print on the page before too)
        offsets = {"x_offset": CHART_GAP, "y_offset": CHART_GAP // 2}
        sheet.insert_chart(pages.row(position), pages.column, chart, offsets)
