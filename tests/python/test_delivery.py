"""Which file feeds which table: formats by name, nested table folders in byte order,
linked folders, unknown and hidden files, and a delivery folder that is not there."""

import pytest
from deliveries import JOIN, ROOM, csv_rows, jsonl, query, table_counts, write, write_parquet

from smartsessions.errors import SmartSessionsError
from smartsessions.load import load_delivery

# --- the delivery's files ---------------------------------------------------------------------


def test_table_folders_nest_and_load_in_byte_order_of_their_paths(delivery, db):
    write(delivery / "room_joins" / "b" / "2.jsonl", jsonl({**JOIN, "event_uuid": "j4"}))
    write(delivery / "room_joins" / "b" / "10.csv", csv_rows("j3,E,r1,u1,2026-03-29T00:30:00Z,"))
    write(delivery / "room_joins" / "a.jsonl", jsonl(JOIN))
    write(delivery / "room_joins" / "B.jsonl", jsonl({**JOIN, "event_uuid": "j2"}))
    write(delivery / "room_joins.jsonl", jsonl({**JOIN, "event_uuid": "j0"}))
    write(delivery / "room_joins" / ".partial.jsonl", jsonl(JOIN))
    write(delivery / ".staging" / "room_joins.jsonl", jsonl(JOIN))
    load_delivery(db, delivery)
    assert query(db, "select _source_file, event_uuid from raw.room_joins order by rowid") == [
        ("room_joins.jsonl", "j0"),
        ("room_joins/B.jsonl", "j2"),
        ("room_joins/a.jsonl", "j1"),
        ("room_joins/b/10.csv", "j3"),
        ("room_joins/b/2.jsonl", "j4"),
    ]


def test_a_linked_table_folder_is_followed(tmp_path, delivery, db):
    write(tmp_path / "elsewhere" / "day-1.jsonl", jsonl(JOIN))
    delivery.mkdir()
    (delivery / "room_joins").symlink_to(tmp_path / "elsewhere")
    load_delivery(db, delivery)
    assert query(db, "select _source_file from raw.room_joins") == [("room_joins/day-1.jsonl",)]


def test_unknown_files_are_warnings_and_are_not_loaded(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    write(delivery / "notes.txt", "not data")
    write(delivery / "speakers.jsonl", jsonl({"x": 1}))
    write(delivery / "rooms.json", jsonl(ROOM))
    write(delivery / "rooms" / "readme.md", "about rooms")
    summary = load_delivery(db, delivery)
    assert summary.files_loaded == 1
    assert summary.warnings == [
        "skipped unknown file notes.txt",
        "skipped unknown file rooms.json",
        "skipped unknown file rooms/readme.md",
        "skipped unknown file speakers.jsonl",
    ]
    assert table_counts(db)[1] == 0


def test_a_missing_folder_a_file_or_an_empty_delivery_is_a_user_error(tmp_path, db):
    with pytest.raises(SmartSessionsError, match="does not exist"):
        load_delivery(db, tmp_path / "nowhere")
    with pytest.raises(SmartSessionsError, match="is not a folder"):
        load_delivery(db, write(tmp_path / "rooms.jsonl", jsonl(ROOM)))
    write(tmp_path / "empty" / "readme.md", "nothing to load")
    write(tmp_path / "empty" / ".rooms.jsonl", jsonl(ROOM))
    with pytest.raises(SmartSessionsError, match=r"^empty delivery: .* holds no file to load$"):
        load_delivery(db, tmp_path / "empty")


def test_a_gzip_compressed_parquet_file_is_an_unknown_file(tmp_path, delivery, db):
    write_parquet(tmp_path / "joins.parquet", "select 'j1' as event_uuid")
    parquet = (tmp_path / "joins.parquet").read_bytes()
    write(delivery / "room_joins.parquet.gz", parquet)
    write(delivery / "room_joins" / "part-1.parquet.gz", parquet)
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    summary = load_delivery(db, delivery)
    assert summary.files_loaded == 1
    assert summary.warnings == [
        "skipped unknown file room_joins.parquet.gz",
        "skipped unknown file room_joins/part-1.parquet.gz",
    ]
    assert query(db, "select count(*) from raw.loaded_files where table_name = 'room_joins'") == [
        (0,)
    ]
