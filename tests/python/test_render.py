"""The demo, end to end, and its workbook rendered by LibreOffice: every tab, the charts, the
printed pages, and dates as shown.

Skips with its reason where LibreOffice (or, for the printed pages, poppler's pdftotext and
pdftoppm) is not installed, but never in CI (CI=true), where .ci/run installs them."""

import math
import os
import re
import shutil
import subprocess
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.report.workbook import ReportWorkbook

TABS = [
    "High Level (detailed view)",
    "User by countries",
    "Usage graph",
    "Usage (detailed view)",
    "User engagement (high level)",
    "User engagement (bubble)",
    "User engagement (teleport)",
    "Time in rooms",
    "Room occupancy",
    "Report info",
]
# LibreOffice's CSV filter: comma, double quotes, UTF-8, and cells as shown (the ninth option).
CSV_AS_SHOWN = ":Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true"
# The rendered pages and charts are kept here to be looked at.
RENDERED = Path(__file__).parents[2] / "target" / "render"

# Never skipped: without LibreOffice (libreoffice-calc-nogui) or poppler (poppler-utils), which
# .ci/run installs, the tests fail naming what is missing.
SOFFICE = shutil.which("soffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo")


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(folder / "demo.duckdb"),
            "demo",
            "--folder",
            str(folder / "delivery"),
            "--out-dir",
            str(folder / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    path = result.stdout.strip().splitlines()[-1].removeprefix("workbook: ")
    assert path.endswith(".xlsx")
    return folder, path


def convert(workbook: str, to: str, outdir, options: str = "") -> Path:
    """The workbook converted to the format `to`, with the export filter's `options`."""
    assert SOFFICE is not None, "LibreOffice is missing: apt-get install libreoffice-calc-nogui"
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", to + options, "--outdir", str(outdir), workbook],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(outdir)},  # a profile of its own
    )
    return outdir / Path(workbook).with_suffix(f".{to}").name


@pytest.fixture(scope="module")
def printed(demo_workbook):
    """The demo workbook printed to PDF by LibreOffice, each page's text, and each page's paper
    size in points; the PDF and each page as a PNG are kept in target/render/ to look at."""
    assert POPPLER, "poppler is missing: apt-get install poppler-utils"
    folder, workbook = demo_workbook
    pdf = convert(workbook, "pdf", folder / "pdf")
    text = run("pdftotext", "-layout", str(pdf), "-")
    pages = text.split("\f")[:-1]  # a form feed ends each page
    info = run("pdfinfo", "-f", "1", "-l", str(len(pages)), str(pdf))
    sizes = [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]
    shown = RENDERED / "pages"
    shutil.rmtree(shown, ignore_errors=True)
    shown.mkdir(parents=True)
    shutil.copy(pdf, RENDERED / "demo.pdf")
    run("pdftoppm", "-r", "60", "-png", str(pdf), str(shown / "page"))
    return workbook, pages, sizes


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def test_every_printed_page_names_its_tab_and_its_page(printed):
    """The tab's name top left and "Page N of M" at the bottom of every page, numbered through
    the printed workbook; the tabs print in order, each on pages of its own; a PNG per page."""
    _, pages, sizes = printed
    tabs = [page.strip().splitlines()[0].strip() for page in pages]
    assert list(dict.fromkeys(tabs)) == TABS
    assert tabs == sorted(tabs, key=TABS.index)  # a tab's pages together
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert len(sizes) == len(pages)
    # A4 (210 x 297 mm: 595.28 x 841.89 points), either way round
    assert {(round(width), round(height)) for width, height in sizes} <= {(842, 595), (595, 842)}
    assert len(list((RENDERED / "pages").glob("page-*.png"))) == len(pages)


def test_each_usage_graph_chart_prints_whole_on_a_landscape_page_of_its_own(printed):
    """Usage graph prints landscape at 100%: its header row (60 points) repeated, so a page
    (A4's 595.28 points less 2 x 54 of margins) holds 28 rows of 15 points (427.28 / 15); then
    a page per chart, in the order of the rooms, each with its title, y axis and legend inside
    the page's printable area (0.7 inches, 50.4 points, from the sides and 54 from the top and
    bottom). LibreOffice's PDF also holds the clipped text of the charts beside a page, so only
    the words of the page's own chart are looked for."""
    workbook, pages, sizes = printed
    sheet = load_workbook(workbook, read_only=True)["Usage graph"]
    rooms = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    charted = list(dict.fromkeys(rooms))  # the demo has fewer than 20 rooms: all charted
    graph = [index for index, page in enumerate(pages) if page.lstrip().startswith("Usage graph")]
    assert len(graph) == math.ceil(len(rooms) / 28) + len(charted)
    assert all(sizes[index][0] > sizes[index][1] for index in graph)  # landscape
    words = page_words(RENDERED / "demo.pdf")
    width, height = sizes[graph[0]]
    inside = (50.4, 54, width - 50.4, height - 54)
    for room, index in zip(charted, graph[-len(charted) :], strict=True):
        placed = words[index]
        for word in [*room.split(), "Joins", "Users", "Unique"]:
            assert any(within(box, inside) for box in placed.get(word, [])), (room, word)
        assert "NYC26" not in placed  # no data rows on a chart's page


def page_words(pdf: Path) -> list[dict[str, list[tuple[float, ...]]]]:
    """Each page's words, with the boxes (left, top, right, bottom) where each is printed."""
    pages = []
    for page in run("pdftotext", "-bbox", str(pdf), "-").split("<page ")[1:]:
        placed: dict[str, list[tuple[float, ...]]] = {}
        for *box, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
            page,
        ):
            placed.setdefault(unescape(word), []).append(tuple(float(edge) for edge in box))
        pages.append(placed)
    return pages


def within(box: tuple[float, ...], area: tuple[float, ...]) -> bool:
    left, top, right, bottom = box
    return left >= area[0] and top >= area[1] and right <= area[2] and bottom <= area[3]


def test_libreoffice_shows_every_tab_and_the_charts(demo_workbook):
    folder, workbook = demo_workbook
    html = convert(workbook, "html", folder / "html").read_text(encoding="utf-8")
    for name in TABS:
        assert name in html
    charts = sorted((folder / "html").glob("*.png"))
    assert len(charts) >= 1
    RENDERED.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        shutil.copy(chart, RENDERED / chart.name)


def test_libreoffice_shows_dates_from_1900_03_01_on_as_written(tmp_path):
    """Dates and times as LibreOffice shows them in the columns' formats. Only from 1900-03-01
    on: before it LibreOffice counts Excel's serials a day earlier (no 1900-02-29 for it)."""
    moments = [
        datetime(1900, 3, 1, 0, 0),
        datetime(2026, 3, 29, 2, 30),
        datetime(9999, 1, 2, 23, 59),
    ]
    book = ReportWorkbook(tmp_path / "dates.xlsx")
    book.write_tab(
        "Dates",
        [("At", "timestamp"), ("Day", "date"), ("Time", "time")],
        [(moment, moment.date(), moment.time()) for moment in moments],
    )
    book.close()
    shown = convert(str(tmp_path / "dates.xlsx"), "csv", tmp_path / "csv", CSV_AS_SHOWN)
    assert shown.read_text(encoding="utf-8").splitlines() == [
        "At,Day,Time",
        "1900-03-01 00:00,1900-03-01,00:00",
        "2026-03-29 02:30,2026-03-29,02:30",
        "9999-01-02 23:59,9999-01-02,23:59",
    ]
