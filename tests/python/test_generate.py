"""The synthetic delivery: deterministic, linear in scale, contract-valid but for what it plants."""

import filecmp
import gzip

import duckdb
import pytest

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import load_delivery
from smartsessions.synthetic.generate import generate_delivery

ACTIVITY = ("room_joins", "room_leaves", "bubble_events", "teleports", "chat_messages")


def activity_records(delivery) -> int:
    return sum(delivery.records.get(table, 0) for table in ACTIVITY)


def same_files(left, right) -> bool:
    compared = filecmp.dircmp(left, right)
    stack = [compared]
    while stack:
        current = stack.pop()
        if current.left_only or current.right_only or current.diff_files:
            return False
        stack.extend(current.subdirs.values())
    return True


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    generate_delivery(tmp_path / "one", seed=5)
    generate_delivery(tmp_path / "two", seed=5)
    generate_delivery(tmp_path / "other", seed=6)
    assert same_files(tmp_path / "one", tmp_path / "two")
    assert not same_files(tmp_path / "one", tmp_path / "other")


def test_volume_is_linear_in_scale(tmp_path):
    one = activity_records(generate_delivery(tmp_path / "one", scale=1))
    three = activity_records(generate_delivery(tmp_path / "three", scale=3))
    assert 8_000 <= one <= 12_000
    assert 2.8 <= three / one <= 3.2


@pytest.mark.parametrize("fmt", ["mixed", "jsonl.gz", "csv.gz", "parquet"])
def test_the_loader_rejects_exactly_what_was_planted(tmp_path, fmt):
    delivery = generate_delivery(tmp_path / "delivery", fmt=fmt)
    summary = load_delivery(tmp_path / "landed.duckdb", tmp_path / "delivery")
    assert summary.files_rejected == 0
    with duckdb.connect(str(tmp_path / "landed.duckdb")) as con:
        rejected = con.execute(
            "select table_name, source_file, line_number, row_number from raw.rejected_records"
        ).fetchall()
    planted = [(p.table, p.source_file, p.line_number, p.row_number) for p in delivery.planted]
    assert sorted(rejected, key=str) == sorted(planted, key=str)
    assert summary.records_rejected == len(planted)
    assert summary.records_loaded == sum(delivery.records.values()) - len(planted)


def test_mixed_plants_every_kind_of_malformed_record(tmp_path):
    delivery = generate_delivery(tmp_path / "delivery")
    assert {p.reason_kind for p in delivery.planted} == {
        "invalid JSON",
        "not a JSON object",
        "wrong number of fields",
        "missing required field",
        "no UTC offset",
        "bad action",
        "bad timestamp",
        "unknown timezone",
        "bad date",
        "bad integer",
    }


def test_the_data_exercises_the_report_rules(tmp_path):
    generate_delivery(tmp_path / "delivery")
    load_delivery(tmp_path / "landed.duckdb", tmp_path / "delivery")
    with duckdb.connect(str(tmp_path / "landed.duckdb")) as con:
        con.execute("set TimeZone = 'UTC'")

        def one(sql: str):
            return con.execute(sql).fetchone()[0]

        zones = {row[0] for row in con.execute("select timezone from raw.event_apps").fetchall()}
        assert {"Europe/London", "Asia/Kolkata", "America/New_York", None} <= zones
        # joins on both sides of London's clock change, 01:00 UTC on 2026-03-29
        assert (
            one(
                "select count(*) from raw.room_joins where event_id = 'LDN26'"
                " and occurred_at in ('2026-03-29 00:30:00+00', '2026-03-29 01:30:00+00')"
            )
            == 2
        )
        assert (
            one("select count(*) - count(distinct event_uuid) from raw.room_joins") > 0
        )  # redelivered duplicates
        assert (
            one(
                "select count(*) from raw.room_joins j"
                " where not exists (select 1 from raw.rooms r where r.room_id = j.room_id)"
            )
            > 0
        )  # orphan rooms
        assert one("select count(*) from raw.teleports where user_id = target_user_id") > 0
        assert one("select count(*) from raw.attendees where first_name is null") > 0
        assert one("select count(*) from raw.room_joins where country_code = 'gb'") > 0
        assert one("select count(*) from raw.rooms where start_date is null") > 0
        assert (
            one(
                "select count(*) from raw.rooms r where not exists"
                " (select 1 from raw.event_apps e where e.event_id = r.event_id)"
            )
            > 0
        )  # an event app only rooms name
        assert (
            one("select count(distinct room_id) from raw.rooms where room_name = 'Main Stage'") > 1
        )
        assert (
            one("select count(distinct bubble_id) from raw.bubble_events where action = 'lock'") > 0
        )
    with gzip.open(tmp_path / "delivery" / "room_joins" / "main" / "part-1.jsonl.gz", "rt") as f:
        assert "+05:30" in f.read()  # Kolkata's offset, written as such


def test_a_folder_it_did_not_write_is_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SmartSessionsError, match="not empty"):
        generate_delivery(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_an_unknown_format_is_a_user_error(tmp_path):
    with pytest.raises(SmartSessionsError, match="unknown format"):
        generate_delivery(tmp_path / "x", fmt="xml")
