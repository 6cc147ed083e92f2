"""Checks on a file's bytes: line endings (and the readable copy of a mixed file), UTF-8
and gzip, multi-member gzip, a file that cannot be read."""

import errno
import gzip
import json
import os
from pathlib import Path

import pytest
from deliveries import JOIN, ROOM, csv_rows, jsonl, query, rejects, write

from smartsessions.landing import file_checks, load
from smartsessions.landing.csv_records import UnclosedQuote
from smartsessions.landing.file_checks import TextCheck
from smartsessions.landing.load import load_delivery

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
    # a line break inside a quoted value is the value's text, whatever the file's line endings
    assert query(db, "select room_id, room_name, _source_row from raw.rooms") == [
        ("r1", "Hall", 1),
        ("r3", "Hall\r\nEast", 2),
    ]
    assert rejects(db) == [
        ("room_joins.jsonl.gz", 3, 3, "invalid JSON"),
        ("rooms.csv", 3, None, "missing columns: Expected Number of Columns: 3 Found: 2"),
    ]


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 1, 7])
def test_carriage_returns_inside_quoted_csv_values_land_as_delivered(
    delivery, db, monkeypatch, chunk_bytes
):
    """Found by the drawn deliveries: a lone CR makes a file one of mixed line endings, read from
    a copy with its line endings made LF; a CR or CRLF inside a quoted value (RFC 4180) is the
    value's text and stays (it was landed as LF). Trimming takes the ends only. The copy is
    written in chunks: quotes and CRLFs split across them change nothing."""
    monkeypatch.setattr(file_checks, "CHUNK_BYTES", chunk_bytes)
    text = (
        "room_id,event_id,room_name\r\n"
        'r0,E,"Hall\rB\r "\r\n'
        'r1,E,"Two\r\nLines"\n'
        "r2,E,plain\r"
        'r3,E,"say ""hi""\rthere"\n'
    )
    write(delivery / "rooms.csv", text)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (4, 0)
    assert query(db, "select room_id, room_name from raw.rooms order by room_id") == [
        ("r0", "Hall\rB\r "),
        ("r1", "Two\r\nLines"),
        ("r2", "plain"),
        ("r3", 'say "hi"\rthere'),
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


# --- a file that cannot be read -----------------------------------------------------------------


def test_a_file_that_cannot_be_read_is_reported_not_remembered_and_tried_again(
    delivery, db, monkeypatch
):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    write(delivery / "rooms.jsonl", jsonl(ROOM))

    def open_failing_for_rooms(path, *args, **kwargs):
        if Path(path).name == "rooms.jsonl":
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(file_checks, "open", open_failing_for_rooms, raising=False)
    summary = load_delivery(db, delivery)
    assert summary.describe() == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole, 1 could not be read;"
        " 1 records loaded, 0 rejected"
    )
    assert summary.warnings == [
        "skipped rooms.jsonl: cannot read it (Input/output error); the next load tries it again"
    ]
    assert query(db, "select source_file from raw.loaded_files") == [("room_joins.jsonl",)]
    monkeypatch.undo()
    again = load_delivery(db, delivery)
    assert (again.files_loaded, again.files_skipped, again.records_loaded) == (1, 1, 1)


def test_a_file_gone_before_duckdb_reads_it_is_tried_again(delivery, db, monkeypatch):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    write(delivery / "rooms.csv", "room_id,event_id,room_name\nr1,E,Hall\n")
    scan_file = load.scan_file

    def scan_then_move_rooms_away(file):
        scan = scan_file(file)
        if file.table.name == "rooms":
            file.path.rename(delivery / ".rooms.csv")
        return scan

    monkeypatch.setattr(load, "scan_file", scan_then_move_rooms_away)
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.files_rejected, summary.files_unread) == (1, 0, 1)
    assert summary.warnings == [
        "skipped rooms.csv: cannot read it (No such file or directory);"
        " the next load tries it again"
    ]
    assert query(db, "select count(*) from raw.rejected_records") == [(0,)]
    monkeypatch.undo()
    (delivery / ".rooms.csv").rename(delivery / "rooms.csv")
    assert load_delivery(db, delivery).records_loaded == 1


# --- CSV records, counted apart from DuckDB ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "records", "unclosed"),
    [
        (b"a,b\n1,2\n\n3,4", 3, None),  # a blank line is no record; the last needs no LF
        (b'a,b\r\n"1\r\n\r\n2",3\r\n\r\n', 2, None),  # line breaks in a quoted field
        (b'a,b\n1,x"y\n"say ""hi""",2\n', 3, None),  # a quote inside text, quotes doubled
        (b'a,b\n1, "2\n3",4\n', 2, None),  # a quote after one space opens a field
        (b'a,b\n1,  "2\n3",4\n', 3, None),  # after two, it is text
        (b'a,b\n1,2\n"3,4\n5,6\n', 3, UnclosedQuote(3, 3, 8)),
        (b'a,b\n"1\n2","3\n4\n', 2, UnclosedQuote(3, 2, 4)),  # the record starts a line above
        (b'a,b\r1,2\r"3', 3, UnclosedQuote(3, 3, 8)),  # lone CRs end lines
    ],
)
def test_csv_records_are_counted_whatever_the_chunks(text, records, unclosed):
    for size in range(1, len(text) + 1):
        check = TextCheck(compressed=False, reader="csv")
        for start in range(0, len(text), size):
            check.feed(text[start : start + size])
        scan = check.finish("hash")
        assert (scan.records, scan.unclosed_quote) == (records, unclosed)


def test_json_lines_are_counted_with_or_without_a_last_line_feed():
    def lines(text: bytes) -> int:
        check = TextCheck(compressed=False, reader="json")
        check.feed(text)
        return check.finish("hash").records

    assert [lines(b""), lines(b"\n\n"), lines(b"{}\n{}"), lines(b"{}\r\n{}\r\n")] == [0, 2, 2, 2]
