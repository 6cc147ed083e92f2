"""The demo, end to end, and its workbook rendered by LibreOffice: every tab, the charts, and
dates as shown.

Skips with its reason where LibreOffice is not installed, but never in CI (CI=true), where
.ci/run installs it."""

import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
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

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None and os.environ.get("CI") != "true",
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)


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
    assert SOFFICE is not None, "CI must have LibreOffice: .ci/run installs it"
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", to + options, "--outdir", str(outdir), workbook],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(outdir)},  # a profile of its own
    )
    return outdir / Path(workbook).with_suffix(f".{to}").name


def test_libreoffice_prints_every_tab_on_landscape_pages(demo_workbook):
    folder, workbook = demo_workbook
    pdf_path = convert(workbook, "pdf", folder / "pdf")
    pdf = pdf_path.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= len(TABS)  # at least a page per tab
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(float(width) > float(height) for width, height in boxes)
    RENDERED.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf_path, RENDERED / "demo.pdf")


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
