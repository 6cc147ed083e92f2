"""The benchmark runs end to end at the smallest scale and writes its figures (no timings are
asserted: machines are shared and noisy)."""

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from smartsessions.landing.raw_schema import create_raw_schema

BENCH = Path(__file__).parents[2] / "bench" / "bench.py"


def test_bench_runs_at_scale_one_and_writes_its_json(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--scales",
            "1",
            "--runs",
            "1",
            "--big-tab-rows",
            "3000",
            "--cache",
            str(tmp_path / "cache"),
            "--results",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        timeout=1200,  # the whole bench at scale 1, beside other test files on a busy machine
        check=True,
    )
    assert "targets at scale 1:" in result.stdout
    (written,) = (tmp_path / "results").glob("*.json")
    figures = json.loads(written.read_text())
    steps = figures["scales"]["1"]["steps"]
    assert {
        "load parquet",
        "load csv.gz",
        "load jsonl.gz",
        "build",
        "build fixed cost",
        "build data work",
        "export all history",
        "export one day",
        "export floor, all history",
        "export floor, one day",
        "peer (nine tabs, every event)",
        "pandas.to_excel, xlsxwriter",
        "pandas.to_excel, openpyxl",
        "refresh 1% new",
        "refresh, nothing new",
    } == set(steps)
    assert steps["export all history"]["rows"] > steps["export one day"]["rows"] > 0
    assert all(
        step["seconds"] > 0 and step["peak_mb"] > 0
        for step in steps.values()
        if step is not steps["build data work"]
    )
    parts = figures["build_parts"]["duckdb"]  # where the fixed cost goes, adding up
    assert parts["nodes"]["models"]["count"] == len(steps["build data work"]["models"])
    shares = ("engine_start", "parse", "rest", "in_nodes")
    assert sum(parts[share] for share in shares) == pytest.approx(parts["first_build"])
    big_tab = figures["big_tab"]["by_rows"]
    assert big_tab["3000"]["sheets"] == {"Usage (detailed view)": 3000}
    assert big_tab["300"]["sheets"] == {"Usage (detailed view)": 300}
    assert len(figures["targets"]) == 20
    assert "refresh with nothing new <= 1 s at every scale" in figures["targets"]
    writers = figures["scales"]["1"]["writers"]
    for window in (writers["all history"], writers["one day"], figures["writers_long_tab"]):
        assert set(window["writers"]) == {
            "xlsxwriter",
            "rustpy-xlsxwriter",
            "rvgsrust-xlsxwriter",
            "pyaccelsx",
            "pyexcelerate",
            "fastexcel-rw",
            "none",
        }
        assert window["rows"] > 0
        assert window["writers"]["xlsxwriter"]["speed_up"] == 1
    assert figures["writers_long_tab"]["rows"] == 3000
    floor = figures["scales"]["1"]["burst_floor"]
    assert floor["exports"] == 20
    assert floor["floor_s"] == pytest.approx(floor["export_s"] / floor["cores"])
    served = figures["scales"]["1"]["portal"]
    assert (served["clients"], served["pages_per_client"], served["workers"]) == (20, 50, 4)
    assert served["requests"] == 20
    assert 0 < served["page_p50_ms"] <= served["page_p95_ms"]
    assert 0 < served["request_to_email_p50_s"] <= served["request_to_email_p95_s"]
    assert served["alone_requests"] == 5
    assert 0 < served["alone_p50_s"] <= served["alone_max_s"]
    assert "portal page p95 <= 100 ms" in figures["targets"]
    refreshed = steps["refresh 1% new"]
    assert refreshed["load"] + refreshed["build"] + refreshed["publish"] <= refreshed["seconds"]
    latency = figures["scales"]["1"]["latency"]
    assert (latency["exports"], latency["parallel"]) == (20, 4)
    assert 0 < latency["p50"] <= latency["p95"]


def test_the_peer_computes_the_marts_rows(generated_db):
    """bench/peer.sql is a fair peer: on a generated delivery its nine tabs hold the marts' rows
    and values (bench/peer_check.py)."""
    check = BENCH.with_name("peer_check.py")
    result = subprocess.run(
        [sys.executable, str(check), str(generated_db)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_peer_caps_a_visit_left_open_after_a_reconnect(tmp_path):
    """Joins of one room with no leave after them are one visit with no natural end: it closes
    at the cap (the room has no scheduled end), never at the reconnect (found at scale 100)."""
    with duckdb.connect(str(tmp_path / "reconnect.duckdb")) as con:
        create_raw_schema(con)
        con.execute(
            "create schema reference;"
            " create table reference.country_codes (country_code varchar, country_name varchar);"
            " insert into raw.rooms (room_id, event_id, room_name, _load_id, _source_file,"
            " _source_row) values ('r1', 'E', 'Room', 1, 'rooms.csv', 1);"
            " insert into raw.room_joins (event_uuid, event_id, room_id, user_id, occurred_at,"
            " _load_id, _source_file, _source_row) values"
            " ('j1', 'E', 'r1', 'u1', '2026-03-01 10:00+00', 1, 'joins.csv', 1),"
            " ('j2', 'E', 'r1', 'u1', '2026-03-01 10:30+00', 1, 'joins.csv', 2)"
        )
        con.execute(BENCH.with_name("peer.sql").read_text())
        assert con.execute(
            "select visit_count, minutes_in_room, last_left_at from tab_8"
        ).fetchall() == [(1, Decimal("240.0"), datetime(2026, 3, 1, 14, 0))]
