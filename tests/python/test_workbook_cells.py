"""The workbooks stay what they were: every cell (value, type, number format) and each sheet's
frozen panes, print titles, filter and charts, of the workbooks the code wrote before the
redesign of issue 22, for the hand-made delivery and a generated one, all history and a window.
The build's and export's own times (Report info's "Generated at" and "Data as of") are left
aside. The test drives the CLI, so that it holds whatever the modules behind it are called.
After a change meant to alter a workbook, write the cells again with SMARTSESSIONS_WRITE_CELLS=1
and review the difference in git."""

import json
import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "delivery"
CELLS = ROOT / "tests" / "fixtures" / "workbook-cells"
# Report info's rows that hold when the build and the export ran, not what they wrote.
RUN_TIMES = ("Generated at", "Data as of")
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
# (file, delivery, event app, window): the generated delivery is conftest's `generated_db`, its
# busiest event app all history and on its busiest local day.
WORKBOOKS = [
    ("fixture-LDN26-all", "fixture", "LDN26", ()),
    ("fixture-LDN26-2026-03-29", "fixture", "LDN26", ("2026-03-29", "2026-03-29")),
    ("fixture-OTH26-all", "fixture", "OTH26", ()),
    ("generated-all", "generated", None, ()),
    ("generated-one-day", "generated", None, None),
]


def smartsessions(db: Path, *args: str) -> None:
    subprocess.run([SMARTSESSIONS, "--db", str(db), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("cells") / "fixture.duckdb"
    smartsessions(db, "refresh", str(FIXTURE))  # load and build (no unit tests), published
    return db


def busiest(db: Path) -> tuple[str, date]:
    """The generated delivery's busiest event app and its busiest local day."""
    published = db.with_name(db.stem + ".published.duckdb")
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(
            "select event_id, occurred_local_date from intermediate.int_activity"
            " group by all order by count(*) desc, event_id, occurred_local_date limit 1"
        ).fetchone()


def cell(value, number_format: str):
    """A cell as JSON: its value, typed where JSON has no type, and its format when not General."""
    if isinstance(value, datetime):
        value = {"datetime": value.isoformat()}
    elif isinstance(value, time):
        value = {"time": value.isoformat()}
    return value if number_format == "General" else [value, number_format]


def cell_lines(path: Path) -> list[str]:
    """The workbook as lines of JSON: per sheet its layout, then a line per row."""
    workbook = load_workbook(path)
    lines = []
    for sheet in workbook.worksheets:
        layout = {
            "sheet": sheet.title,
            "freeze_panes": sheet.freeze_panes,
            "print_title_rows": sheet.print_title_rows,
            "auto_filter": sheet.auto_filter.ref,
            "charts": len(sheet._charts),  # openpyxl keeps the charts it read only here
        }
        lines.append(json.dumps(layout, ensure_ascii=False))
        for row in sheet.iter_rows():
            cells = [cell(c.value, c.number_format) for c in row]
            if sheet.title == "Report info" and str(cells[0]).startswith(RUN_TIMES):
                cells[1] = "(the run's time)"
            lines.append(json.dumps(cells, ensure_ascii=False))
    return lines


@pytest.mark.parametrize(("name", "delivery", "event", "window"), WORKBOOKS)
def test_the_workbook_has_the_cells_it_had(
    name, delivery, event, window, fixture_db, generated_db, tmp_path
):
    db = fixture_db if delivery == "fixture" else generated_db
    if delivery == "generated":
        event, day = busiest(db)
        window = window if window is not None else (day.isoformat(), day.isoformat())
    out = tmp_path / f"{name}.xlsx"
    bounds = ["--from", window[0], "--to", window[1]] if window else []
    smartsessions(db, "export", "--event", event, "--out", str(out), *bounds)
    lines = cell_lines(out)
    expected = CELLS / f"{name}.jsonl"
    if os.environ.get("SMARTSESSIONS_WRITE_CELLS") == "1":
        expected.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == expected.read_text(encoding="utf-8").splitlines()
