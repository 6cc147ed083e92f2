"""Checks on a file's bytes: line endings (and the readable copy of a mixed file), UTF-8
and gzip, multi-member gzip."""

import gzip
import json

import pytest
from deliveries import JOIN, csv_rows, jsonl, query, rejects, write

from smartsessions.file_checks import TextCheck
from smartsessions.load import load_delivery

# --- line endings and blank lines -------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "mixed"])
def test_line_numbers_hold_whatever_the_line_endings(delivery, db, newline):
    lines = [json.dumps(JOIN), "", "not json", json.dumps({**JOIN, "event_uuid": "j2"}), "  "]
    if newline == "mixed":
        text = "\n".join(lines[:2]) + "\r\n" + "\r\n".join(lines[2:]) + "\n"
    else:
        text = newline.join(lines) + newline
    write(delivery / "room_joins.jsonl.gz", text)
    rooms = ["room_id,event_id,room_name", "r1,E,Hall", "r2,E", 'r3,E,"Hall\r\nEast"']
    if newline == "mixed":
        write(delivery / "rooms.csv", "\n".join(rooms[:2]) + "\r\n" + "\r\n".join(rooms[2:]))
    else:
        write(delivery / "rooms.csv", newline.join(rooms) + newline)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (4, 2)
    # blank lines are skipped but keep their place in the numbering
    assert query(db, "select event_uuid, _source_row from raw.room_joins") == [("j1", 1), ("j2", 4)]
    # a mixed file is read with every line ending made LF, in quoted values too
    east = "Hall\r\nEast" if newline == "\r\n" else "Hall\nEast"
    assert query(db, "select room_id, room_name, _source_row from raw.rooms") == [
        ("r1", "Hall", 1),
        ("r3", east, 2),
    ]
    assert rejects(db) == [
        ("room_joins.jsonl.gz", 3, 3, "invalid JSON"),
        ("rooms.csv", 3, None, "missing columns: Expected Number of Columns: 3 Found: 2"),
    ]


def test_line_endings_are_told_apart_across_chunk_boundaries():
    def newline(*chunks: bytes):
        check = TextCheck(compressed=False)
        for chunk in chunks:
            check.feed(chunk)
        return check.finish("hash").newline

    assert newline(b"a\nb\n", b"c\n") == "\n"
    assert newline(b"a\r", b"\nb\r\n", b"") == "\r\n"
    assert newline(b"a\r", b"b\r\n") is None  # a lone CR
    assert newline(b"a\r\n", b"b\n") is None  # a lone LF
    assert newline(b"a\r\nb\r") is None  # a CR at the very end


# --- whole files ------------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_or_not_gzip_is_rejected_whole(delivery, db):
    latin1 = csv_rows("j9,E,r1,Zoë,2026-03-29T00:30:00Z,GB").encode("latin-1")
    write(delivery / "room_joins" / "a-latin1.csv", latin1)
    (delivery / "room_joins" / "b-empty.jsonl.gz").write_bytes(b"")
    (delivery / "room_joins" / "c-not-gzip.csv.gz").write_bytes(b"\x1f\x8b\x08 not gzip")
    truncated = gzip.compress(jsonl(JOIN).encode())[:-12]
    (delivery / "room_joins" / "d-truncated.jsonl.gz").write_bytes(truncated)
    write(delivery / "room_joins" / "e-good.jsonl", jsonl(JOIN))
    write(delivery / "rooms.parquet", b"PAR1 this is not parquet PAR1")
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.files_rejected, summary.records_loaded) == (1, 5, 1)
    assert summary.warnings[0] == "rejected room_joins/a-latin1.csv whole: not valid UTF-8 text"
    assert query(
        db,
        "select source_file, line_number, row_number, raw_record, reason"
        " from raw.rejected_records order by 1",
    )[:4] == [
        ("room_joins/a-latin1.csv", None, None, None, "not valid UTF-8 text"),
        ("room_joins/b-empty.jsonl.gz", None, None, None, "not a valid gzip file"),
        ("room_joins/c-not-gzip.csv.gz", None, None, None, "not a valid gzip file"),
        ("room_joins/d-truncated.jsonl.gz", None, None, None, "not a valid gzip file"),
    ]
    parquet = query(db, "select reason from raw.rejected_records where table_name = 'rooms'")
    assert parquet[0][0].startswith("DuckDB cannot read it: ")
    assert query(db, "select count(*) from raw.loaded_files where status = 'rejected'") == [(5,)]
    # offered again, rejected files are skipped like loaded ones
    assert load_delivery(db, delivery).files_skipped == 6


def test_a_multi_member_gzip_is_read_whole(delivery, db):
    second = gzip.compress(jsonl({**JOIN, "event_uuid": "j2"}).encode())
    write(delivery / "room_joins.jsonl.gz", jsonl(JOIN))
    with (delivery / "room_joins.jsonl.gz").open("ab") as file:
        file.write(second)
    assert load_delivery(db, delivery).records_loaded == 2
