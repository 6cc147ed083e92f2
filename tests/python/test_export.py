"""End to end: the hand-made delivery in tests/fixtures/delivery is loaded, built and exported,
and the workbook is read back. Every expected value below is worked out by hand from those
files (London: clocks go forward on 2026-03-29 at 01:00 UTC)."""

import zipfile
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from smartsessions.build import run_build
from smartsessions.cli import app
from smartsessions.dbt_invoke import invoke_dbt
from smartsessions.export import export_report
from smartsessions.load import load_delivery
from smartsessions.report import TABS, Window

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
FORMULA_ROOM = '=HYPERLINK("http://x","y")'
LOUNGE = "Café Zürich \u2013 Lounge"  # an en dash: non-ASCII on purpose
TAB_NAMES = [name for name, _ in TABS]


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("db") / "fixture.duckdb"
    load_delivery(db, FIXTURE)
    run_build(db)
    return db


@pytest.fixture(scope="module")
def workbook(built_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "LDN26.xlsx"
    export_report(built_db, "LDN26", out)
    return load_workbook(out)


@pytest.fixture(scope="module")
def windowed(built_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "LDN26-30.xlsx"
    export_report(built_db, "LDN26", out, Window(date(2026, 3, 30), date(2026, 3, 30)))
    return load_workbook(out)


def values(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_tabs_in_order_with_frozen_headers_and_filters(workbook):
    assert workbook.sheetnames == [*TAB_NAMES, "Report info"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")


def test_high_level_lists_every_room_with_its_schedule(workbook):
    sheet = workbook["High Level (detailed view)"]
    assert values(sheet) == [
        (
            "Event id/short-code",
            "Start Date (yyyy-mm-dd)",
            "End Date (yyyy-mm-dd)",
            "Room name",
            "Privacy (Y/N)",
            "Room capacity",
            "Start Time (hh:mm)",
            "End Time (hh:mm)",
            "Duration",
        ),
        # "=" sorts before "C"; end time 03:00:30 is truncated to 03:00 before the duration.
        (
            "LDN26",
            datetime(2026, 3, 29),
            datetime(2026, 3, 29),
            FORMULA_ROOM,
            "Y",
            50,
            time(0, 0),
            time(3, 0),
            3,
        ),
        ("LDN26", None, None, LOUNGE, "N", None, None, None, None),
    ]
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["G2"].number_format == "hh:mm"
    assert sheet["I2"].number_format == "0.00"
    assert sheet["D2"].data_type == "s"  # the formula-looking name is plain text


def test_user_by_countries(workbook):
    assert values(workbook["User by countries"])[1:] == [
        ("LDN26", FORMULA_ROOM, "Y", "Germany", 1),
        ("LDN26", FORMULA_ROOM, "Y", "United Kingdom", 1),
        ("LDN26", FORMULA_ROOM, "Y", "Unknown", 1),
        ("LDN26", LOUNGE, "N", "France", 1),
        ("LDN26", LOUNGE, "N", "Japan", 1),
    ]


def test_usage_graph_fills_the_skipped_hour(workbook):
    rows = values(workbook["Usage graph"])
    assert rows[0] == (
        "Event id/short-code",
        "Room name",
        "Privacy (Y/N)",
        "Total Users Join",
        "Total Unique User Join",
        "Start Date and Time (yyyy-mm-dd hh:mm)",
    )
    formula_room = [(joins, unique, start) for _, room, _, joins, unique, start in rows[1:10]]
    # joins at 00:30, 02:30 and 02:35 local; 01:00-01:59 never happened that night
    assert formula_room == [
        (1, 1, datetime(2026, 3, 29, 0, 30)),
        (0, 0, datetime(2026, 3, 29, 0, 45)),
        (0, 0, datetime(2026, 3, 29, 1, 0)),
        (0, 0, datetime(2026, 3, 29, 1, 15)),
        (0, 0, datetime(2026, 3, 29, 1, 30)),
        (0, 0, datetime(2026, 3, 29, 1, 45)),
        (0, 0, datetime(2026, 3, 29, 2, 0)),
        (0, 0, datetime(2026, 3, 29, 2, 15)),
        (2, 2, datetime(2026, 3, 29, 2, 30)),
    ]
    lounge = [(room, joins, unique, start) for _, room, _, joins, unique, start in rows[10:]]
    assert lounge == [
        (LOUNGE, 1, 1, datetime(2026, 3, 30, 10, 0)),
        (LOUNGE, 0, 0, datetime(2026, 3, 30, 10, 15)),
        (LOUNGE, 0, 0, datetime(2026, 3, 30, 10, 30)),
        (LOUNGE, 0, 0, datetime(2026, 3, 30, 10, 45)),
        (LOUNGE, 0, 0, datetime(2026, 3, 30, 11, 0)),
        (LOUNGE, 1, 1, datetime(2026, 3, 30, 11, 15)),
    ]
    assert workbook["Usage graph"]["F2"].number_format == "yyyy-mm-dd hh:mm"


def test_usage_detailed_view(workbook):
    assert values(workbook["Usage (detailed view)"])[1:] == [
        ("LDN26", FORMULA_ROOM, "Y", "u1", "Ada Lovelace", 2),
        ("LDN26", FORMULA_ROOM, "Y", "u2", "+44 caller", 1),
        ("LDN26", LOUNGE, "N", "u1", "Ada Lovelace", 1),
        ("LDN26", LOUNGE, "N", "u3", "u3", 1),
    ]


def test_user_engagement_high_level(workbook):
    sheet = workbook["User engagement (high level)"]
    assert values(sheet)[1:] == [
        ("LDN26", FORMULA_ROOM, "+44 caller", 1, "Y", 0, "Germany", datetime(2026, 3, 29)),
        ("LDN26", FORMULA_ROOM, "Ada Lovelace", 1, "N", 2, "United Kingdom", datetime(2026, 3, 29)),
        ("LDN26", LOUNGE, "Ada Lovelace", 0, "N", 0, "France", datetime(2026, 3, 30)),
        ("LDN26", LOUNGE, "u3", 0, "Y", 0, "Japan", datetime(2026, 3, 30)),
    ]
    assert sheet["C2"].data_type == "s"  # "+44 caller" stays text


def test_user_engagement_bubble(workbook):
    assert values(workbook["User engagement (bubble)"])[1:] == [
        ("LDN26", "u1", "Ada Lovelace", FORMULA_ROOM, "x", "Y", 2, datetime(2026, 3, 29, 0, 40)),
        ("LDN26", "u2", "+44 caller", FORMULA_ROOM, "x", "Y", 2, datetime(2026, 3, 29, 0, 41)),
    ]


def test_user_engagement_teleport_leaves_out_self_teleports(workbook):
    assert values(workbook["User engagement (teleport)"])[1:] == [
        (
            "LDN26",
            "u1",
            "Ada Lovelace",
            FORMULA_ROOM,
            "+44 caller",
            2,
            datetime(2026, 3, 29, 0, 45),
        ),
    ]


def test_report_info_counts_what_was_left_out(workbook):
    info = dict(values(workbook["Report info"])[1:])
    assert info["Event id/short-code"] == "LDN26"
    assert info["Event name"] == "London Summit"
    assert info["Time zone"] == "Europe/London"
    assert info["Window from"] == "all history"
    assert info["Bucket minutes"] == 15
    assert info["Rows: Usage graph"] == 15
    assert info["Left out: activity in a room that no rooms row names"] == 1
    assert info["Left out: activity whose event_id is not its room's event app"] == 1
    assert info["Left out: teleport whose target is the user themself"] == 1
    assert info["Left out: redelivered copy of an event_uuid already counted"] == 1
    assert (
        info["Left out: record that broke the landing contract (kept in raw.rejected_records)"] == 1
    )


def test_a_window_keeps_its_days_and_every_room(windowed):
    assert len(values(windowed["High Level (detailed view)"])) == 3  # header + both rooms
    assert values(windowed["User by countries"])[1:] == [
        ("LDN26", LOUNGE, "N", "France", 1),
        ("LDN26", LOUNGE, "N", "Japan", 1),
    ]
    assert len(values(windowed["Usage graph"])) == 1 + 6
    assert values(windowed["Usage (detailed view)"])[1:] == [
        ("LDN26", LOUNGE, "N", "u1", "Ada Lovelace", 1),
        ("LDN26", LOUNGE, "N", "u3", "u3", 1),
    ]
    assert values(windowed["User engagement (bubble)"]) == [
        values(windowed["User engagement (bubble)"])[0]
    ]
    assert len(values(windowed["User engagement (teleport)"])) == 1
    info = dict(values(windowed["Report info"])[1:])
    assert info["Window from"] == datetime(2026, 3, 30)
    assert info["Window to"] == datetime(2026, 3, 30)


def test_a_windowed_dbt_build_gives_the_exporters_numbers(built_db, windowed):
    """`dbt build --vars` writes the windowed marts to `report`, leaving `marts` whole, and
    they hold what the windowed export wrote."""
    window = '{"report_from": "2026-03-30", "report_to": "2026-03-30"}'
    assert invoke_dbt(built_db, ["build", "--select", "marts", "--vars", window]).success
    with duckdb.connect(str(built_db), read_only=True) as con:
        windowed_rows = con.execute(
            "select event_id, room_name, privacy_flag, user_id, attendee_name, entry_count"
            " from report.room_user_entries where event_id = 'LDN26' order by report_order"
        ).fetchall()
        all_history = con.execute(
            "select count(*) from marts.room_user_entries where event_id = 'LDN26'"
        ).fetchone()[0]
    assert windowed_rows == values(windowed["Usage (detailed view)"])[1:]
    assert all_history == 4


def test_user_errors_are_one_line_and_write_nothing(built_db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "report.xlsx"

    def export(*args):
        return runner.invoke(app, ["--db", str(built_db), "export", "--out", str(out), *args])

    cases = [
        (["--event", "ldn26"], "error: unknown event code 'ldn26'; did you mean LDN26?"),
        (
            ["--event", "LDN26", "--from", "2026-03-31", "--to", "2026-03-30"],
            "error: --from 2026-03-31 is after --to 2026-03-30",
        ),
        (
            ["--event", "LDN26", "--from", "30/03/2026"],
            "error: --from '30/03/2026' is not a date YYYY-MM-DD",
        ),
    ]
    for args, message in cases:
        result = export(*args)
        assert (result.exit_code, result.stderr) == (1, message + "\n")
    missing_folder = runner.invoke(
        app,
        [
            "--db",
            str(built_db),
            "export",
            "--event",
            "LDN26",
            "--out",
            str(tmp_path / "no" / "x.xlsx"),
        ],
    )
    assert missing_folder.stderr == f"error: output folder {tmp_path / 'no'} does not exist\n"
    not_built = runner.invoke(
        app, ["--db", str(tmp_path / "new.duckdb"), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert not_built.exit_code == 1
    assert "does not exist: run `smartsessions load`" in not_built.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written or temporary file either


def test_tabs_read_in_short_pages_are_the_same(built_db, tmp_path, monkeypatch):
    whole = tmp_path / "whole.xlsx"
    export_report(built_db, "LDN26", whole)
    monkeypatch.setattr("smartsessions.export.PAGE_ROWS", 2)  # every tab in many pages
    paged = tmp_path / "paged.xlsx"
    export_report(built_db, "LDN26", paged)

    def values(path):
        book = load_workbook(path)
        tabs = [name for name, _ in TABS]
        return {name: list(book[name].iter_rows(values_only=True)) for name in tabs}

    assert values(paged) == values(whole)
    assert len(values(paged)["Usage graph"]) == 1 + 15  # more rows than pages of 2


def test_a_lowered_row_limit_continues_tabs_and_keeps_the_charts(built_db, tmp_path):
    out = tmp_path / "small-sheets.xlsx"
    summary = export_report(built_db, "LDN26", out, max_rows=4)
    book = load_workbook(out)
    usage = [name for name in book.sheetnames if name.startswith("Usage graph")]
    assert usage == ["Usage graph", "Usage graph 2", "Usage graph 3", "Usage graph 4"]
    assert sum(book[name].max_row - 1 for name in usage) == summary.rows["Usage graph"] == 15
    assert all(book[name]["A1"].value == "Event id/short-code" for name in usage)
    with zipfile.ZipFile(out) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        titles = " ".join(package.read(n).decode() for n in charts)
    assert len(charts) == 2  # one per room, each beside its first rows
    assert LOUNGE in titles and "HYPERLINK" in titles


def test_export_is_quiet_when_not_a_terminal(built_db, tmp_path):
    out = tmp_path / "quiet.xlsx"
    result = CliRunner().invoke(
        app, ["--db", str(built_db), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith(f"wrote {out} for LDN26 (all history): ")
