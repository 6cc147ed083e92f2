"""The loader: every format, nested folders, reloads, each reject reason, whole-file rejects,
files that load whole or not at all, lineage, and the `load` command's output."""

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from smartsessions import load
from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.load import TextCheck, load_delivery

JOIN = {
    "event_uuid": "j1",
    "event_id": "LDN26",
    "room_id": "r1",
    "user_id": "u1",
    "occurred_at": "2026-03-29T00:30:00Z",
    "country_code": "GB",
}
JOIN_HEADER = ",".join(JOIN)
ROOM = {"room_id": "r1", "event_id": "E", "room_name": "Hall"}


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def csv_rows(*rows: str, header: str = JOIN_HEADER) -> str:
    return "".join(line + "\n" for line in (header, *rows))


def write(path: Path, text: str | bytes) -> Path:
    """A delivery file; gzip-compressed when its name ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_parquet(path: Path, select: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"copy ({select}) to '{path}' (format parquet)")


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def rejects(db: Path) -> list[tuple]:
    return query(
        db,
        "select source_file, line_number, row_number, reason from raw.rejected_records"
        " order by source_file, coalesce(line_number, row_number)",
    )


def table_counts(db: Path) -> tuple:
    return query(
        db,
        "select (select count(*) from raw.room_joins), (select count(*) from raw.rooms),"
        " (select count(*) from raw.rejected_records), (select count(*) from raw.loaded_files)",
    )[0]


@pytest.fixture
def delivery(tmp_path) -> Path:
    return tmp_path / "delivery"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "landed.duckdb"


# --- formats and layout ------------------------------------------------------------------

TWO_JOINS = [
    JOIN,
    {**JOIN, "event_uuid": "j2", "user_id": " u2 ", "occurred_at": "2026-03-29 01:30+01:00"},
]
JOINS_AS_CSV = csv_rows(
    "j1,LDN26,r1,u1,2026-03-29T00:30:00Z,GB", "j2,LDN26,r1, u2 ,2026-03-29 01:30+01:00,GB"
)


@pytest.mark.parametrize(
    "name",
    [
        "room_joins.jsonl",
        "room_joins.ndjson",
        "room_joins.jsonl.gz",
        "room_joins.ndjson.gz",
        "room_joins.csv",
        "room_joins.csv.gz",
        "room_joins.parquet",
    ],
)
def test_every_format_lands_the_same_typed_records(delivery, db, name):
    if ".csv" in name:
        write(delivery / name, JOINS_AS_CSV)
    elif name.endswith(".parquet"):
        values = ", ".join(
            "(" + ", ".join(f"'{v}'" for v in record.values()) + ")" for record in TWO_JOINS
        )
        write_parquet(delivery / name, f"select * from (values {values}) as t({', '.join(JOIN)})")
    else:
        write(delivery / name, jsonl(*TWO_JOINS))
    summary = load_delivery(db, delivery)
    assert summary.describe() == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 2 records loaded, 0 rejected"
    )
    rows = query(
        db,
        "select event_uuid, user_id, strftime(occurred_at, '%Y-%m-%d %H:%M'), _source_file,"
        " _source_row, _load_id from raw.room_joins order by _source_row",
    )
    # text lands as delivered (" u2 " keeps its spaces); the timestamp is an instant
    assert rows == [
        ("j1", "u1", "2026-03-29 00:30", name, 1, 1),
        ("j2", " u2 ", "2026-03-29 00:30", name, 2, 1),
    ]


def test_typed_parquet_columns_are_checked_like_text(delivery, db):
    write_parquet(
        delivery / "rooms" / "typed.parquet",
        "select 'r1' as room_id, 'E' as event_id, 'Hall' as room_name, 40 as capacity,"
        " false as is_private, date '2026-03-29' as start_date, time '09:30' as start_time,"
        " timestamptz '2026-03-01 09:00:00+00' as updated_at, 'ignored' as extra",
    )
    write_parquet(
        delivery / "rooms" / "zoneless.parquet",
        "select 'r2' as room_id, 'E' as event_id, 'Hall' as room_name,"
        " timestamp '2026-03-01 09:00:00' as updated_at",
    )
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (1, 1)
    assert query(
        db,
        "select capacity, is_private, start_date::varchar, start_time::varchar,"
        " updated_at::varchar from raw.rooms",
    ) == [(40, False, "2026-03-29", "09:30:00", "2026-03-01 09:00:00+00")]
    # a parquet timestamp without a time zone has no offset
    assert rejects(db) == [
        ("rooms/zoneless.parquet", None, 1, "updated_at: '2026-03-01 09:00:00' has no UTC offset")
    ]


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


def test_progress_goes_to_stderr_only(delivery, db, capsys):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    assert load_delivery(db, delivery, progress=True).records_loaded == 1
    assert capsys.readouterr().out == ""


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


def test_an_empty_file_loads_no_records(delivery, db):
    write(delivery / "rooms.csv", "")
    write(delivery / "room_joins.jsonl.gz", "\n\n")
    write(delivery / "attendees.csv", "event_id,user_id\n")
    write(delivery / "event_apps.csv", "\nevent_id\nE\n")
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.records_loaded, summary.records_rejected) == (3, 0, 0)
    assert summary.warnings == [
        "rejected event_apps.csv whole: its first line, the CSV header, is blank"
    ]


# --- reloading -----------------------------------------------------------------------------


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


# --- malformed records -----------------------------------------------------------------------

MALFORMED_JOINS = [  # (line, reason)
    ('{"event_uuid": "x", ', "invalid JSON"),
    ('["j1", "LDN26"]', "not a JSON object"),
    (json.dumps({**JOIN, "user_id": None}), "missing required field user_id"),
    (
        json.dumps({k: v for k, v in JOIN.items() if k != "room_id"}),
        "missing required field room_id",
    ),
    (json.dumps({**JOIN, "event_id": " \t\r\n "}), "missing required field event_id"),
    (
        json.dumps({**JOIN, "occurred_at": "2026-03-29T00:30:00"}),
        "occurred_at: '2026-03-29T00:30:00' has no UTC offset",
    ),
    (
        json.dumps({**JOIN, "occurred_at": "2026-03-29"}),
        "occurred_at: '2026-03-29' is not a timestamp",
    ),
    (json.dumps({**JOIN, "occurred_at": "soon"}), "occurred_at: 'soon' is not a timestamp"),
]
MALFORMED_ROOMS = [  # (record, reason)
    ({**ROOM, "start_date": "2026-3-1"}, "start_date: '2026-3-1' is not a date YYYY-MM-DD"),
    ({**ROOM, "end_date": "2026-02-30"}, "end_date: '2026-02-30' is not a date YYYY-MM-DD"),
    ({**ROOM, "start_time": "9h30"}, "start_time: '9h30' is not a time HH:MM or HH:MM:SS"),
    ({**ROOM, "end_time": "24:00"}, "end_time: '24:00' is not a time HH:MM or HH:MM:SS"),
    ({**ROOM, "capacity": "many"}, "capacity: 'many' is not an integer"),
    ({**ROOM, "capacity": 2.5}, "capacity: '2.5' is not an integer"),
    ({**ROOM, "is_private": "perhaps"}, "is_private: 'perhaps' is not a boolean (true/false)"),
    (
        {**ROOM, "updated_at": "2026-03-01 09:00"},
        "updated_at: '2026-03-01 09:00' has no UTC offset",
    ),
]


def test_each_malformed_json_record_is_kept_with_its_line_and_reason(delivery, db):
    lines = [json.dumps(JOIN), *(line for line, _ in MALFORMED_JOINS)]
    write(delivery / "room_joins.jsonl", jsonl(*lines))
    write(delivery / "rooms.jsonl", jsonl(ROOM, *(record for record, _ in MALFORMED_ROOMS)))
    write(delivery / "bubble_events.ndjson", jsonl({**JOIN, "bubble_id": "b", "action": "poke"}))
    write(delivery / "event_apps.jsonl", jsonl({"event_id": "E", "timezone": "Mars/Base"}))
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (2, 18)
    assert rejects(db) == [
        ("bubble_events.ndjson", 1, 1, "action: 'poke' is not one of join, leave, lock, unlock"),
        ("event_apps.jsonl", 1, 1, "timezone: 'Mars/Base' is not a known IANA time zone"),
        *[("room_joins.jsonl", n, n, why) for n, (_, why) in enumerate(MALFORMED_JOINS, 2)],
        *[("rooms.jsonl", n, n, why) for n, (_, why) in enumerate(MALFORMED_ROOMS, 2)],
    ]
    # the raw record of a JSON line is the line as delivered
    raw = query(db, "select raw_record from raw.rejected_records where line_number = 2")
    assert ('{"event_uuid": "x", ',) in raw


def test_csv_rejects_name_the_line_duckdb_could_not_split_or_the_data_row(delivery, db):
    write(
        delivery / "room_joins.csv",
        csv_rows(
            "j1,LDN26,r1,u1,2026-03-29T00:30:00Z,GB",
            "j2,LDN26,r1",
            "j3,LDN26,r1,u1,2026-03-29T00:30:00Z,GB,extra",
            '"j4\nwith a line break",LDN26,r1,u1,2026-03-29T00:30:00Z,GB',
            "j5,LDN26,r1,u1,yesterday,GB",
            "j6,LDN26,r1,u1,2026-03-29T00:30:00Z,",
        ),
    )
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (3, 3)
    assert query(
        db,
        "select line_number, row_number, reason, raw_record from raw.rejected_records"
        " order by line_number nulls last, row_number",
    ) == [
        (3, None, "missing columns: Expected Number of Columns: 6 Found: 3", "j2,LDN26,r1"),
        (
            4,
            None,
            "too many columns: Expected Number of Columns: 6 Found: 7",
            "j3,LDN26,r1,u1,2026-03-29T00:30:00Z,GB,extra",
        ),
        (
            None,
            3,
            "occurred_at: 'yesterday' is not a timestamp",
            '{"event_uuid":"j5","event_id":"LDN26","room_id":"r1","user_id":"u1",'
            '"occurred_at":"yesterday","country_code":"GB"}',
        ),
    ]
    # data rows are the rows DuckDB could split, counted from 1 after the header
    assert query(db, "select event_uuid, _source_row from raw.room_joins order by 2") == [
        ("j1", 1),
        ("j4\nwith a line break", 2),
        ("j6", 4),
    ]


def test_csv_columns_are_found_by_header_name(delivery, db):
    write(
        delivery / "rooms.csv",
        "\ufeffextra, room_name ,room_id,event_id\nx,Hall,r1,E\nx,Hall,,E\n",
    )
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (1, 1)
    assert query(db, "select room_id, room_name, capacity from raw.rooms") == [("r1", "Hall", None)]
    assert rejects(db) == [("rooms.csv", None, 2, "missing required field room_id")]


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


def test_values_are_trimmed_to_be_checked_and_cast_but_text_is_kept(delivery, db):
    write(
        delivery / "rooms.jsonl",
        jsonl(
            {
                "room_id": " r1\t",
                "event_id": "E",
                "room_name": "  Hall  ",
                "capacity": " 40 ",
                "is_private": " YES\r\n",
                "start_date": "\t2026-03-29 ",
                "start_time": " 09:30",
                "end_time": "17:45:30 ",
                "updated_at": " 2026-03-01T10:00:00+01:00 ",
            },
            {**ROOM, "room_id": "r2", "capacity": 12, "is_private": False, "event_id": 7},
        ),
    )
    assert load_delivery(db, delivery).records_rejected == 0
    assert query(
        db,
        "select room_id, event_id, room_name, capacity, is_private, start_date::varchar,"
        " start_time::varchar, end_time::varchar, updated_at::varchar from raw.rooms order by 1",
    ) == [
        (
            " r1\t",
            "E",
            "  Hall  ",
            40,
            True,
            "2026-03-29",
            "09:30:00",
            "17:45:30",
            "2026-03-01 09:00:00+00",
        ),
        # JSON numbers and booleans are accepted as their text
        ("r2", "7", "Hall", 12, False, None, None, None, None),
    ]


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("F", False), ("1", True), ("0", False), ("Yes", True), ("n", False)],
)
def test_booleans_take_the_usual_words(delivery, db, word, value):
    write(delivery / "rooms.jsonl", jsonl({**ROOM, "is_private": word}))
    load_delivery(db, delivery)
    assert query(db, "select is_private from raw.rooms") == [(value,)]


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-03-29T01:30:00Z", "2026-03-29 01:30:00+00"),
        ("2026-03-29T07:00:00+05:30", "2026-03-29 01:30:00+00"),
        ("2026-03-29T07:00:00+0530", "2026-03-29 01:30:00+00"),
        ("2026-03-28T21:30-04", "2026-03-29 01:30:00+00"),
        ("2026-03-29 01:30:00.250Z", "2026-03-29 01:30:00.25+00"),
    ],
)
def test_timestamps_take_any_iso_offset(delivery, db, text, instant):
    write(delivery / "room_joins.jsonl", jsonl({**JOIN, "occurred_at": text}))
    load_delivery(db, delivery)
    assert query(db, "select occurred_at::varchar from raw.room_joins") == [(instant,)]


# --- line endings and blank lines --------------------------------------------------------------


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


def test_a_control_character_in_a_json_line_cannot_split_it(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(json.dumps(JOIN) + "\x01junk", JOIN))
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (1, 1)
    assert query(db, "select raw_record, reason from raw.rejected_records") == [
        (json.dumps(JOIN) + "\x01junk", "invalid JSON")
    ]


# --- whole files ---------------------------------------------------------------------------------


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


# --- user errors -----------------------------------------------------------------------------


def test_a_missing_folder_a_file_or_an_empty_delivery_is_a_user_error(tmp_path, db):
    with pytest.raises(SmartSessionsError, match="does not exist"):
        load_delivery(db, tmp_path / "nowhere")
    with pytest.raises(SmartSessionsError, match="is not a folder"):
        load_delivery(db, write(tmp_path / "rooms.jsonl", jsonl(ROOM)))
    write(tmp_path / "empty" / "readme.md", "nothing to load")
    write(tmp_path / "empty" / ".rooms.jsonl", jsonl(ROOM))
    with pytest.raises(SmartSessionsError, match=r"^empty delivery: .* holds no file to load$"):
        load_delivery(db, tmp_path / "empty")


def test_a_locked_database_is_a_user_error(delivery, db, another_process_holding):
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    with (
        another_process_holding(db),
        pytest.raises(SmartSessionsError, match="is in use by another process"),
    ):
        load_delivery(db, delivery)


def test_the_command_prints_the_summary_and_warnings(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(JOIN, "[]"))
    write(delivery / "notes.txt", "not data")
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(delivery)])
    assert result.exit_code == 0
    assert result.stdout == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 1 records loaded, 1 rejected\n"
    )
    assert result.stderr == "warning: skipped unknown file notes.txt\n"


def test_the_command_reports_a_missing_folder_in_one_line(tmp_path, db):
    result = CliRunner().invoke(app, ["--db", str(db), "load", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: delivery folder ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_database_named_like_a_schema_is_refused(delivery, tmp_path):
    write(delivery / "room_joins.jsonl", jsonl(JOIN))
    with pytest.raises(SmartSessionsError, match="name the file anything but"):
        load_delivery(tmp_path / "raw.duckdb", delivery)
