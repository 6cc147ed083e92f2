"""Landing a file: reloads change nothing, files known by content, lineage, the raw record
of a reject, and a file that loads whole or not at all."""

import pytest
from deliveries import JOIN, ROOM, csv_rows, jsonl, query, table_counts, write, write_parquet

from smartsessions.landing import load
from smartsessions.landing.load import load_delivery

# --- reloading --------------------------------------------------------------------------------


def test_loading_the_same_files_again_changes_nothing(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN, "not json"))
    write(delivery / "rooms.csv.gz", csv_rows("r1,E,Hall", header="room_id,event_id,room_name"))
    first = load_delivery(db, delivery)
    before = table_counts(db)
    again = load_delivery(db, delivery)
    assert (first.files_loaded, first.records_loaded, first.records_rejected) == (2, 2, 1)
    assert again.describe() == (
        "0 files loaded, 2 skipped as already loaded, 0 rejected whole;"
        " 0 records loaded, 0 rejected"
    )
    assert table_counts(db) == before == (1, 1, 1, 2)


def test_a_file_is_known_by_its_content_not_its_name(tmp_path, db):
    write(tmp_path / "one" / "room_joins.jsonl", jsonl(JOIN))
    write(tmp_path / "two" / "room_joins" / "copy.jsonl", jsonl(JOIN))
    write(tmp_path / "two" / "room_joins" / "new.jsonl", jsonl({**JOIN, "event_uuid": "j2"}))
    load_delivery(db, tmp_path / "one")
    second = load_delivery(db, tmp_path / "two")
    assert (second.files_loaded, second.files_skipped) == (1, 1)
    # each load has its own id and time, shared by all it wrote
    assert query(
        db,
        "select _load_id, count(distinct _loaded_at), min(_source_file) from raw.room_joins"
        " group by all order by 1",
    ) == [(1, 1, "room_joins.jsonl"), (2, 1, "room_joins/new.jsonl")]
    assert query(db, "select _load_id, delivery_dir from raw.loaded_files order by 1") == [
        (1, str((tmp_path / "one").resolve())),
        (2, str((tmp_path / "two").resolve())),
    ]


def test_the_same_bytes_delivered_for_two_tables_are_two_files(delivery, db):
    # a file is known by its table and its bytes (raw-landing.md, "Files")
    write(delivery / "room_leaves.jsonl", "")
    write(delivery / "chat_messages.jsonl", "")
    both = jsonl({**ROOM, "user_id": "u1"})  # a room and an attendee, each ignoring the rest
    write(delivery / "rooms.jsonl", both)
    write(delivery / "attendees.jsonl", both)
    first = load_delivery(db, delivery)
    assert (first.files_loaded, first.files_skipped, first.records_loaded) == (4, 0, 2)
    assert query(db, "select table_name, source_file from raw.loaded_files order by 1") == [
        ("attendees", "attendees.jsonl"),
        ("chat_messages", "chat_messages.jsonl"),
        ("room_leaves", "room_leaves.jsonl"),
        ("rooms", "rooms.jsonl"),
    ]
    assert query(db, "select event_id, user_id from raw.attendees") == [("E", "u1")]
    again = load_delivery(db, delivery)
    assert (again.files_loaded, again.files_skipped) == (0, 4)


# --- writing ----------------------------------------------------------------------------------


def test_a_parquet_value_reject_keeps_the_record_as_json(delivery, db):
    write_parquet(
        delivery / "rooms.parquet",
        "select 'r1' as room_id, 'E' as event_id, 'Hall' as room_name, 'lots' as capacity",
    )
    load_delivery(db, delivery)
    assert query(db, "select row_number, raw_record, reason from raw.rejected_records") == [
        (
            1,
            '{"room_id":"r1","event_id":"E","room_name":"Hall","capacity":"lots","is_private":null,'
            '"start_date":null,"end_date":null,"start_time":null,"end_time":null,"updated_at":null}',
            "capacity: 'lots' is not an integer",
        )
    ]


def test_a_failure_mid_file_leaves_nothing_of_that_file(delivery, db, monkeypatch):
    write(delivery / "room_joins.jsonl", jsonl(JOIN, "not json"))
    write(delivery / "rooms.jsonl", jsonl(ROOM, {**ROOM, "capacity": "x"}))
    real_insert_rejects = load.insert_rejects

    def fail_for_rooms(con, file, batch):
        real_insert_rejects(con, file, batch)
        if file.table.name == "rooms":
            raise RuntimeError("disk full")
        return 1

    monkeypatch.setattr(load, "insert_rejects", fail_for_rooms)
    with pytest.raises(RuntimeError, match="disk full"):
        load_delivery(db, delivery)
    # room_joins.jsonl loaded before rooms.jsonl failed; nothing of rooms.jsonl is left
    assert table_counts(db) == (1, 0, 1, 1)
    monkeypatch.undo()
    again = load_delivery(db, delivery)
    assert (again.files_skipped, again.files_loaded, again.records_loaded) == (1, 1, 1)
    assert table_counts(db) == (1, 1, 2, 2)
