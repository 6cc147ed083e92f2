"""End to end: the hand-made delivery in tests/fixtures/delivery is loaded, built and exported,
and the workbook is read back. Every expected value below is worked out by hand from those
files (London: clocks go forward on 2026-03-29 at 01:00 UTC)."""

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import sleep

import duckdb
import pytest
from deliveries import jsonl, write
from openpyxl import load_workbook
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.build import run_build
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.pipeline.freshness import DataAsOf
from smartsessions.pipeline.publish import publish
from smartsessions.report.data_files import report_info
from smartsessions.report.export import Event, ExportSummary, export_report
from smartsessions.report.tabs import Column, Tab
from smartsessions.report.window import Window
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
FORMULA_ROOM = '=HYPERLINK("http://x","y")'
LOUNGE = "Café Zürich \u2013 Lounge"  # an en dash: non-ASCII on purpose
TAB_NAMES = [
    "High Level (detailed view)",
    "User by countries",
    "Usage graph",
    "Usage (detailed view)",
    "User engagement (high level)",
    "User engagement (bubble)",
    "User engagement (teleport)",
    "Time in rooms",
    "Room occupancy",
]
# The windowed tabs, each with its mart (report-sheets.md: every tab but the first).
WINDOWED_MARTS = {
    "User by countries": "room_countries",
    "Usage graph": "room_join_buckets",
    "Usage (detailed view)": "room_user_entries",
    "User engagement (high level)": "user_room_days",
    "User engagement (bubble)": "user_bubbles",
    "User engagement (teleport)": "user_teleports",
    "Time in rooms": "room_user_visits",
    "Room occupancy": "room_occupancy",
}


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


def at(day: int, hour: int, minute: int) -> datetime:
    """A local date-time of the fixture's March 2026."""
    return datetime(2026, 3, day, hour, minute)


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


def test_time_in_rooms(workbook):
    """u1 joins the formula room at 00:30 UTC (GMT), again at 01:35 (a reconnect) and leaves at
    02:00 (03:00 BST): one visit of 90 minutes. u2 joins at 01:30 (02:30 BST) and never leaves:
    the room's scheduled end, 03:00:30 BST (seconds kept), closes the visit after 30.5 minutes.
    In the lounge, u1 (09:00 UTC) and u3 (10:20 UTC) never leave and the room has no schedule:
    each visit closes after 240 minutes; a tie on minutes goes by the attendee's name."""
    sheet = workbook["Time in rooms"]
    assert values(sheet) == [
        (
            "Event id/short-code",
            "Room name",
            "Privacy (Y/N)",
            "User id",
            "Attendee",
            "Visits",
            "Minutes in room",
            "First entered (yyyy-mm-dd hh:mm)",
            "Last left (yyyy-mm-dd hh:mm)",
        ),
        ("LDN26", FORMULA_ROOM, "Y", "u1", "Ada Lovelace", 1, 90, at(29, 0, 30), at(29, 3, 0)),
        ("LDN26", FORMULA_ROOM, "Y", "u2", "+44 caller", 1, 30.5, at(29, 2, 30), at(29, 3, 0)),
        ("LDN26", LOUNGE, "N", "u1", "Ada Lovelace", 1, 240, at(30, 10, 0), at(30, 14, 0)),
        ("LDN26", LOUNGE, "N", "u3", "u3", 1, 240, at(30, 11, 20), at(30, 15, 20)),
    ]
    assert sheet["G2"].number_format == "0.0"
    assert sheet["H2"].number_format == "yyyy-mm-dd hh:mm"


def test_room_occupancy(workbook):
    """The formula room: u1 from 00:30, u2 from 01:30 UTC: 2 at once from 02:30 BST; 120.5
    minutes over 2 visits, 60.25 on average, shown 60.3 (half away from zero). The lounge: 2
    at once from 10:20 UTC (11:20 BST)."""
    assert values(workbook["Room occupancy"]) == [
        (
            "Event id/short-code",
            "Room name",
            "Privacy (Y/N)",
            "Visits",
            "Unique users",
            "Total minutes",
            "Average minutes per visit",
            "Peak concurrent users",
            "Peak at (yyyy-mm-dd hh:mm)",
        ),
        ("LDN26", FORMULA_ROOM, "Y", 2, 2, 120.5, 60.3, 2, at(29, 2, 30)),
        ("LDN26", LOUNGE, "N", 2, 2, 480, 240, 2, at(30, 11, 20)),
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
    assert info["Longest visit (minutes)"] == 240
    assert info["Visits closed without a natural end: at the room's scheduled end"] == 1
    assert info["Visits closed without a natural end: after 240 minutes"] == 2


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
    assert [row[3] for row in values(windowed["Time in rooms"])[1:]] == ["u1", "u3"]
    assert len(values(windowed["Room occupancy"])) == 1 + 1
    info = dict(values(windowed["Report info"])[1:])
    assert info["Visits closed without a natural end: at the room's scheduled end"] == 0
    assert info["Visits closed without a natural end: after 240 minutes"] == 2
    assert info["Window from"] == datetime(2026, 3, 30)
    assert info["Window to"] == datetime(2026, 3, 30)


def as_cell(value):
    """A value as openpyxl reads its cell back: dates are date-times, decimals floats."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    if isinstance(value, Decimal):
        return float(value)
    return value


@pytest.mark.parametrize(
    "window",
    [
        Window(date(2026, 3, 29), date(2026, 3, 29)),  # the day the clocks went forward
        Window(date(2026, 3, 30), None),
        Window(None, date(2026, 3, 29)),
    ],
    ids=str,
)
def test_a_windowed_export_has_the_cells_of_the_windowed_dbt_build(built_db, tmp_path, window):
    """`dbt build --vars` writes the windowed marts to `report`, leaving `marts` whole; the
    export, which runs the SQL the build saved, writes the same cells for every windowed tab."""
    out = tmp_path / "windowed.xlsx"
    export_report(built_db, "LDN26", out, window)
    book = load_workbook(out)
    bounds = {"report_from": str(window.start or ""), "report_to": str(window.end or "")}
    args = ["build", "--select", "marts", "--vars", json.dumps(bounds)]
    assert invoke_dbt(built_db, args).success
    with duckdb.connect(str(built_db), read_only=True) as con:
        for tab, model in WINDOWED_MARTS.items():
            header_columns = con.execute(
                "select string_agg(column_name, ', ' order by column_order)"
                " from marts.report_tab_columns where model = ?",
                [model],
            ).fetchone()[0]
            built = con.execute(
                f"select {header_columns} from report.{model}"
                " where event_id = 'LDN26' order by report_order"
            ).fetchall()
            assert [tuple(map(as_cell, row)) for row in built] == values(book[tab])[1:], tab
        all_history = con.execute(
            "select count(*) from marts.room_user_entries where event_id = 'LDN26'"
        ).fetchone()[0]
    assert all_history == 4


def test_the_export_never_loads_dbt_nor_starts_a_process(built_db, tmp_path):
    script = f"""
import subprocess, sys
from pathlib import Path
from smartsessions.errors import SmartSessionsError
from smartsessions.report.export import export_report
def refuse(*args, **kwargs):
    raise AssertionError("the export started a process")
subprocess.Popen.__init__ = refuse
export_report(Path({str(built_db)!r}), "LDN26", Path({str(tmp_path / "x.xlsx")!r}))
print(sorted(name for name in sys.modules if name.split(".")[0] == "dbt"))
"""
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (child.returncode, child.stdout, child.stderr) == (0, "[]\n", "")


def data_as_of(db: Path) -> tuple[datetime, datetime]:
    """When the last file was loaded and the last full build succeeded (UTC), read from the
    database's own book-keeping."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select"
            " (select cast(max(_loaded_at) at time zone 'UTC' as timestamp) from raw.loaded_files),"
            " (select max(finished_at) from marts.build_runs where status = 'success'"
            "  and report_from is null and report_to is null)"
        ).fetchone()


def test_report_info_says_when_the_data_is_from(workbook, built_db):
    info = dict(values(workbook["Report info"])[1:])
    loaded, built = data_as_of(built_db)
    # Excel keeps date-times to the millisecond
    assert abs(info["Data as of: last load (UTC)"] - loaded) < timedelta(milliseconds=1)
    assert info["Data as of: last successful build (UTC)"] == built
    assert "Activity" not in info


def test_a_window_without_activity_says_so(built_db, tmp_path):
    out = tmp_path / "quiet-days.xlsx"
    summary = export_report(built_db, "LDN26", out, Window(date(2027, 1, 1), date(2027, 1, 31)))
    assert set(summary.rows.values()) == {0, 2}  # the two rooms, nothing else
    info = dict(values(load_workbook(out)["Report info"])[1:])
    assert info["Activity"] == (
        "No activity in 2027-01-01 to 2027-01-31: the tabs list the rooms only"
    )
    assert info["Bucket minutes"] == 15  # never an empty cell


def test_after_a_failed_build_the_export_warns_that_the_marts_are_older(built_db, tmp_path):
    db = tmp_path / "failed.duckdb"
    shutil.copy(built_db, db)
    shutil.copy(
        Workspace(built_db).published, Workspace(db).published
    )  # its files stay where they are
    with duckdb.connect(str(db)) as con:  # a raw table that no longer fits its staging model
        con.execute("alter table raw.room_leaves rename column user_id to person_id")
    with pytest.raises(SmartSessionsError, match="stg_room_leaves"):
        run_build(db)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        app, ["--db", str(db), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "warning: the last build failed: the marts are from the previous successful build"
    )
    assert len(result.stderr.splitlines()) == 1


def test_user_errors_are_one_line_and_write_nothing(built_db, tmp_path, tmp_path_factory):
    runner = CliRunner()
    out = tmp_path / "report.xlsx"

    def export(*args):
        return runner.invoke(app, ["--db", str(built_db), "export", "--out", str(out), *args])

    cases = [
        (["--event", "ldn26"], "error: unknown event code 'ldn26'; did you mean LDN26?"),
        (["--event", "XYZ"], "error: unknown event code 'XYZ'; known codes: LDN26, OTH26"),
        (
            ["--event", "LDN26", "--from", "2026-03-31", "--to", "2026-03-30"],
            "error: --from 2026-03-31 is after --to 2026-03-30",
        ),
        (
            ["--event", "LDN26", "--from", "30/03/2026"],
            "error: --from '30/03/2026' is not a date YYYY-MM-DD",
        ),
        *(
            (  # /proc takes no new folder, even from root
                ["--event", "LDN26", "--format", fmt, "--out", "/proc/smartsessions-report"],
                "error: cannot create output folder /proc/smartsessions-report:"
                " No such file or directory",
            )
            for fmt in ("csv", "parquet")
        ),
    ]
    not_xlsx = runner.invoke(
        app,
        ["--db", str(built_db), "export", "--event", "LDN26", "--out", str(tmp_path / "r.xls")],
    )
    assert (not_xlsx.exit_code, not_xlsx.stderr) == (
        1,
        f"error: --out {tmp_path / 'r.xls'} must end in .xlsx\n",
    )
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
    missing_db = runner.invoke(
        app, ["--db", str(tmp_path / "new.duckdb"), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert (missing_db.exit_code, missing_db.stderr) == (
        1,
        f"error: no database at {tmp_path / 'new.duckdb'}: load a delivery first\n",
    )
    loaded_only = tmp_path_factory.mktemp("loaded") / "loaded.duckdb"
    load_delivery(loaded_only, FIXTURE)
    not_built = runner.invoke(
        app, ["--db", str(loaded_only), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert (not_built.exit_code, not_built.stderr) == (
        1,
        f"error: database {loaded_only} is not built yet: run `smartsessions build` or `refresh`\n",
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written or temporary file either


def test_an_unknown_code_lists_at_most_ten_known_ones(tmp_path):
    db = tmp_path / "codes.duckdb"
    with duckdb.connect(str(Workspace(db).published)) as con:  # just what the lookup reads
        con.execute("create schema marts")
        con.execute("create table marts.report_tabs (model varchar)")
        con.execute(
            "create table marts.event_apps as select 'EV' || lpad(i::varchar, 2, '0') as event_id,"
            " null as event_name, 'UTC' as timezone, 15 as bucket_minutes, 240 as max_visit_minutes"
            " from range(1, 13) t(i)"
        )
    with pytest.raises(SmartSessionsError) as unknown:
        export_report(db, "ZZZ", tmp_path / "r.xlsx")
    assert str(unknown.value) == (
        "unknown event code 'ZZZ'; known codes: EV01, EV02, EV03, EV04, EV05, EV06, EV07, EV08,"
        " EV09, EV10 and 2 more"
    )


def test_tabs_read_in_short_pages_are_the_same(built_db, tmp_path, monkeypatch):
    whole = tmp_path / "whole.xlsx"
    export_report(built_db, "LDN26", whole)
    monkeypatch.setattr("smartsessions.report.export.PAGE_ROWS", 2)  # every tab in many pages
    paged = tmp_path / "paged.xlsx"
    export_report(built_db, "LDN26", paged)

    def values(path):
        book = load_workbook(path)
        return {name: list(book[name].iter_rows(values_only=True)) for name in TAB_NAMES}

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


def test_out_naming_a_fifo_or_a_device_is_refused_and_left_alone(built_db, tmp_path):
    fifo, device = tmp_path / "pipe.xlsx", tmp_path / "null.xlsx"
    os.mkfifo(fifo)
    device.symlink_to("/dev/null")
    for out in (fifo, device):
        with pytest.raises(SmartSessionsError) as refused:
            export_report(built_db, "LDN26", out)
        assert str(refused.value) == f"--out {out} exists and is not a regular file"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert device.is_symlink() and Path(os.readlink(device)) == Path("/dev/null")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null.xlsx", "pipe.xlsx"]


def test_a_full_disk_is_one_line_and_leaves_nothing(built_db, small_filesystem):
    out = small_filesystem / "report.xlsx"
    result = CliRunner().invoke(
        app, ["--db", str(built_db), "export", "--event", "LDN26", "--out", str(out)]
    )
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: cannot write {out}: No space left on device\n",
    )
    assert list(small_filesystem.iterdir()) == []


def test_what_a_killed_export_left_is_removed_by_the_next(built_db, tmp_path):
    out = tmp_path / "report.xlsx"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that no longer runs
    (tmp_path / f".report.xlsx.{dead.pid}.partial").write_bytes(b"PK half a workbook")
    (tmp_path / f".report.xlsx.{dead.pid}.parts").mkdir()
    (tmp_path / f".report.xlsx.{dead.pid}.parts" / "tmpabc").write_bytes(b"<sheetData>")
    in_use = tmp_path / f".report.xlsx.{os.getppid()}.partial"  # a running process's
    in_use.write_bytes(b"")
    export_report(built_db, "LDN26", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [in_use.name, "report.xlsx"]


def test_an_export_killed_at_any_point_leaves_nothing_after_the_next(generated_db, tmp_path):
    out = tmp_path / "report.xlsx"
    command = [SMARTSESSIONS, "--db", str(generated_db), "export", "--event", "NYC26"]
    for delay in (0.2, 0.4, 0.6, 0.8):
        export = subprocess.Popen([*command, "--out", str(out)])
        sleep(delay)
        export.kill()
        export.wait()
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_control_characters_in_a_path_are_shown_escaped(built_db, tmp_path):
    folder = tmp_path / "\x1b[31mred\nline[/bold]"
    result = CliRunner().invoke(
        app,
        ["--db", str(built_db), "export", "--event", "LDN26", "--out", str(folder / "r.xlsx")],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: output folder {tmp_path}/\\x1b[31mred\\nline[/bold] does not exist\n"
    )


def test_report_info_counts_the_text_cells_cut(built_db, tmp_path):
    db = tmp_path / "long-names.duckdb"
    shutil.copy(built_db, db)
    with duckdb.connect(str(db)) as con:  # a room name longer than a cell holds
        con.execute(
            "update marts.room_schedules set room_name = repeat('Hall ', 8000)"
            " where event_id = 'LDN26' and report_order = 1"
        )
        publish(con, db)
    out = tmp_path / "long.xlsx"
    export_report(db, "LDN26", out)
    book = load_workbook(out)
    cell = book["High Level (detailed view)"]["D2"].value
    assert (len(cell), cell[-1]) == (32_767, "…")
    assert dict(values(book["Report info"])[1:])["Text cells cut to 32,767 characters"] == 1


def test_local_values_before_1900_are_text_and_counted_later_ones_typed(tmp_path):
    """Pago Pago kept local mean time (-11:22:48) in 1900: a join at 1900-01-01T00:00+14:00 is
    1899-12-30 22:37:12 there, one at 1900-01-01T20:00Z is 1900-01-01 08:37:12 (seconds are
    truncated). Neither leaves: each visit closes after 240 minutes."""
    delivery = tmp_path / "delivery"
    write(delivery / "event_apps.csv", "event_id,timezone\nPPG,Pacific/Pago_Pago\n")
    write(
        delivery / "rooms.jsonl", jsonl({"room_id": "r1", "event_id": "PPG", "room_name": "Hall"})
    )
    write(delivery / "attendees.csv", "event_id,user_id,first_name\nPPG,u1,Ada\nPPG,u2,Alan\n")
    join = {"event_id": "PPG", "room_id": "r1"}
    write(
        delivery / "room_joins.jsonl",
        jsonl(
            {**join, "event_uuid": "j1", "user_id": "u1", "occurred_at": "1900-01-01T00:00+14:00"},
            {**join, "event_uuid": "j2", "user_id": "u2", "occurred_at": "1900-01-01T20:00Z"},
        ),
    )
    db = tmp_path / "early.duckdb"
    load_delivery(db, delivery)
    run_build(db)
    out = tmp_path / "early.xlsx"
    export_report(db, "PPG", out)
    book = load_workbook(out)
    assert [row[3:] for row in values(book["Usage graph"])[1:]] == [
        (1, 1, "1899-12-30 22:30"),
        (1, 1, datetime(1900, 1, 1, 8, 30)),
    ]
    assert [row[-1] for row in values(book["User engagement (high level)"])[1:]] == [
        "1899-12-30",
        datetime(1900, 1, 1),
    ]
    assert [row[-2:] for row in values(book["Time in rooms"])[1:]] == [
        ("1899-12-30 22:37", "1899-12-31 02:37"),
        (datetime(1900, 1, 1, 8, 37), datetime(1900, 1, 1, 12, 37)),
    ]
    assert values(book["Room occupancy"])[1][-1] == "1899-12-30 22:37"  # the first peak of 1
    assert dict(values(book["Report info"])[1:])["Dates before 1900 written as text"] == 5
    with zipfile.ZipFile(out) as package:  # the chart holds the typed bucket only
        chart = package.read("xl/charts/chart1.xml").decode()
    assert "<c:xVal><c:numRef><c:f>'Usage graph'!$F$3</c:f>" in chart


# The data files (workbook.md, Data files): per tab, its file and its columns as (workbook
# header, file column), named after the tab's mart and the mart's columns.
DATA_FILES = {
    "High Level (detailed view)": (
        "room_schedules",
        [
            ("Event id/short-code", "event_id"),
            ("Start Date (yyyy-mm-dd)", "start_date"),
            ("End Date (yyyy-mm-dd)", "end_date"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("Room capacity", "capacity"),
            ("Start Time (hh:mm)", "start_time"),
            ("End Time (hh:mm)", "end_time"),
            ("Duration", "duration_hours"),
        ],
    ),
    "User by countries": (
        "room_countries",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("Country", "country_name"),
            ("Num users", "user_count"),
        ],
    ),
    "Usage graph": (
        "room_join_buckets",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("Total Users Join", "join_count"),
            ("Total Unique User Join", "unique_user_count"),
            ("Start Date and Time (yyyy-mm-dd hh:mm)", "bucket_start"),
        ],
    ),
    "Usage (detailed view)": (
        "room_user_entries",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("User id", "user_id"),
            ("Attendee", "attendee_name"),
            ("Count of entry", "entry_count"),
        ],
    ),
    "User engagement (high level)": (
        "user_room_days",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("User", "user_name"),
            ("No of bubbles made", "bubble_count"),
            ("Chat interaction (Y/N)", "chat_flag"),
            ("No of teleportation", "teleport_count"),
            ("Country", "country_name"),
            ("Date (yyyy-mm-dd)", "activity_date"),
        ],
    ),
    "User engagement (bubble)": (
        "user_bubbles",
        [
            ("Event id/short-code", "event_id"),
            ("User id", "user_id"),
            ("User", "user_name"),
            ("Room name", "room_name"),
            ("Bubble id", "bubble_id"),
            ("Lock bubble (Y/N)", "lock_flag"),
            ("Total number of people in bubble", "people_count"),
            ("Start Date and Time (yyyy-mm-dd hh:mm)", "first_joined_at"),
        ],
    ),
    "User engagement (teleport)": (
        "user_teleports",
        [
            ("Event id/short-code", "event_id"),
            ("User id", "user_id"),
            ("User", "user_name"),
            ("Room name", "room_name"),
            ("Person teleported to", "target_name"),
            ("Num times teleported", "teleport_count"),
            ("Start Date and Time (yyyy-mm-dd hh:mm)", "first_teleported_at"),
        ],
    ),
    "Time in rooms": (
        "room_user_visits",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("User id", "user_id"),
            ("Attendee", "attendee_name"),
            ("Visits", "visit_count"),
            ("Minutes in room", "minutes_in_room"),
            ("First entered (yyyy-mm-dd hh:mm)", "first_entered_at"),
            ("Last left (yyyy-mm-dd hh:mm)", "last_left_at"),
        ],
    ),
    "Room occupancy": (
        "room_occupancy",
        [
            ("Event id/short-code", "event_id"),
            ("Room name", "room_name"),
            ("Privacy (Y/N)", "privacy_flag"),
            ("Visits", "visit_count"),
            ("Unique users", "unique_user_count"),
            ("Total minutes", "total_minutes"),
            ("Average minutes per visit", "average_minutes"),
            ("Peak concurrent users", "peak_user_count"),
            ("Peak at (yyyy-mm-dd hh:mm)", "peaked_at"),
        ],
    ),
}
# LDN26's rows on 2026-03-30 (local): joins j4 (u1, France, 10:00) and j5 (u3, Japan, 11:20) in
# the Lounge (j4 delivered twice, counted once); no bubble, no teleport.
ROWS_ON_MARCH_30 = {
    "High Level (detailed view)": 2,  # every room of the event app, in any window
    "User by countries": 2,  # France, Japan
    "Usage graph": 6,  # the Lounge's buckets 10:00, 10:15, ..., 11:15
    "Usage (detailed view)": 2,  # u1, u3
    "User engagement (high level)": 2,  # u1, u3 on the 30th
    "User engagement (bubble)": 0,
    "User engagement (teleport)": 0,
    "Time in rooms": 2,  # u1, u3
    "Room occupancy": 1,  # the Lounge
}
SCRIPT_NAME = re.compile(r"[a-z][a-z0-9_]*")


def export_files(db: Path, folder: Path, fmt: str, *window: str):
    result = CliRunner().invoke(
        app,
        [
            *("--db", str(db), "export", "--event", "LDN26", "--out", str(folder)),
            *("--format", fmt, *window),
        ],
    )
    assert result.exit_code == 0, result.output
    return result


def read_data_file(con, path: Path) -> tuple[list[str], list[tuple]]:
    reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
    file = con.execute(f"select * from {reader}(?)", [str(path)])
    return [column[0] for column in file.description], file.fetchall()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_data_files_hold_the_workbooks_rows_by_mart(built_db, windowed, tmp_path, fmt):
    """One file per tab named after its mart, columns named as the mart's, the same rows as the
    workbook, and report_info.json beside them."""
    folder = tmp_path / "files"
    window = Window(date(2026, 3, 30), date(2026, 3, 30))
    result = export_files(built_db, folder, fmt, "--from", "2026-03-30", "--to", "2026-03-30")
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [f"{stem}.{fmt}" for stem, _ in DATA_FILES.values()] + ["report_info.json"]
    )
    with duckdb.connect() as con:
        for tab, (stem, columns) in DATA_FILES.items():
            header, rows = read_data_file(con, folder / f"{stem}.{fmt}")
            assert header == [column for _, column in columns], tab
            assert values(windowed[tab])[0] == tuple(header for header, _ in columns), tab
            assert [tuple(map(as_cell, row)) for row in rows] == values(windowed[tab])[1:], tab
    assert window.describe() in result.stdout


def test_csv_header_rows_are_the_marts_column_names(built_db, tmp_path):
    folder = tmp_path / "files"
    export_files(built_db, folder, "csv")
    for tab, (stem, columns) in DATA_FILES.items():
        with open(folder / f"{stem}.csv", encoding="utf-8", newline="") as file:
            assert next(csv.reader(file)) == [column for _, column in columns], tab


def test_report_info_json_says_what_the_files_hold(built_db, tmp_path):
    folder = tmp_path / "files"
    export_files(built_db, folder, "csv", "--from", "2026-03-30", "--to", "2026-03-30")
    text = (folder / "report_info.json").read_bytes().decode("utf-8")
    info = json.loads(text)
    loaded, built = data_as_of(built_db)
    assert info == {
        "event": {"code": "LDN26", "name": "London Summit"},
        "window": {"from": "2026-03-30", "to": "2026-03-30"},
        "time_zone": "Europe/London",
        "data_as_of": {
            "last_load": loaded.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last_build": built.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "files": {
            f"{stem}.csv": {
                "tab": tab,
                "rows": ROWS_ON_MARCH_30[tab],
                "columns": dict(columns),
            }
            for tab, (stem, columns) in DATA_FILES.items()
        },
    }
    # keys in a fixed order, the files in the workbook's tab order, headers in column order
    assert list(info) == ["event", "window", "time_zone", "data_as_of", "files"]
    assert [file["tab"] for file in info["files"].values()] == TAB_NAMES
    for file in info["files"].values():
        assert list(file) == ["tab", "rows", "columns"]
        assert list(file["columns"].items()) == DATA_FILES[file["tab"]][1]
    export_files(built_db, folder, "csv", "--from", "2026-03-30", "--to", "2026-03-30")
    assert (folder / "report_info.json").read_bytes().decode("utf-8") == text  # every run


def test_report_info_json_keeps_text_as_utf_8():
    """An event app's name and a header outside ASCII are written as they are, not escaped."""
    event = Event("ZRH", "Zürich “Sommer” 2026", "Europe/Zurich", 15, 240)
    summary = ExportSummary(Path("files"), event, Window(), DataAsOf(None, None, False))
    summary.rows["Räume"] = 3
    tab = Tab("Räume", "rooms", (Column("capacity", "Raumgröße", "integer"),), "m.r", None)
    text = report_info(summary, [tab], "csv")
    assert '"name": "Zürich “Sommer” 2026"' in text
    assert '"Raumgröße": "capacity"' in text
    assert json.loads(text)["data_as_of"] == {"last_load": None, "last_build": None}


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ((), {"from": None, "to": None}),
        (("--from", "2026-03-30"), {"from": "2026-03-30", "to": None}),
        (("--to", "2026-03-29"), {"from": None, "to": "2026-03-29"}),
    ],
    ids=["all history", "from only", "to only"],
)
def test_report_info_json_says_an_open_end_as_null(built_db, tmp_path, window, expected):
    export_files(built_db, tmp_path, "parquet", *window)
    info = json.loads((tmp_path / "report_info.json").read_text(encoding="utf-8"))
    assert info["window"] == expected
    assert list(info["files"]) == [f"{stem}.parquet" for stem, _ in DATA_FILES.values()]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_file_and_column_name_is_one_a_script_uses_unquoted(built_db, tmp_path, fmt):
    export_files(built_db, tmp_path, fmt)
    info = json.loads((tmp_path / "report_info.json").read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        for path in tmp_path.iterdir():
            stem, ending = path.name.rsplit(".", 1)
            assert SCRIPT_NAME.fullmatch(stem) and ending in (fmt, "json"), path.name
            if ending == fmt:
                header, _ = read_data_file(con, path)
                assert all(SCRIPT_NAME.fullmatch(name) for name in header), header
                assert header == list(info["files"][path.name]["columns"].values())
