"""The contract's checks and casts: each reject reason, trimming, booleans, offsets; a file's
columns against its table's."""

import json
from pathlib import Path

import pytest
from deliveries import (
    JOIN,
    ROOM,
    csv_rows,
    jsonl,
    query,
    rejects,
    table_counts,
    write,
    write_parquet,
)

from smartsessions.landing.load import load_delivery

# --- malformed records ------------------------------------------------------------------------


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


# --- offsets and years, in every format ----------------------------------------------------------

# (start_date, updated_at, the reason a room with them is rejected, or None)
DATES_AND_OFFSETS = [
    ("1900-01-01", "2026-03-29T00:30:00+14:00", None),
    ("9998-12-31", "2026-03-29T00:30:00-12:00", None),
    ("2026-03-29", "2026-03-29T00:30:00+1400", None),
    ("2026-03-29", "2026-03-29T00:30-12", None),
    # the year as written counts, before the offset moves the instant to 1899 or 1900
    ("2026-03-29", "1900-01-01T00:00:00+14:00", None),
    (
        "2026-03-29",
        "1899-12-31T23:00:00-12:00",
        "updated_at: '1899-12-31T23:00:00-12:00' is outside the years 1900-9998",
    ),
    ("0001-01-01", None, "start_date: '0001-01-01' is outside the years 1900-9998"),
    ("9999-12-31", None, "start_date: '9999-12-31' is outside the years 1900-9998"),
    (
        "2026-03-29",
        "9999-01-01T00:00:00Z",
        "updated_at: '9999-01-01T00:00:00Z' is outside the years 1900-9998",
    ),
    (
        "2026-03-29",
        "2026-03-29T00:30:00+99:00",
        "updated_at: '2026-03-29T00:30:00+99:00' has a UTC offset outside -12:00..+14:00",
    ),
    (
        "2026-03-29",
        "2026-03-29T00:30:00+14:01",
        "updated_at: '2026-03-29T00:30:00+14:01' has a UTC offset outside -12:00..+14:00",
    ),
    (
        "2026-03-29",
        "2026-03-29T00:30:00-12:30",
        "updated_at: '2026-03-29T00:30:00-12:30' has a UTC offset outside -12:00..+14:00",
    ),
    (
        "2026-03-29",
        "2026-03-29T00:30:00+05:75",
        "updated_at: '2026-03-29T00:30:00+05:75' is not a timestamp",
    ),
]


@pytest.mark.parametrize("name", ["rooms.jsonl", "rooms.csv", "rooms.parquet"])
def test_offsets_and_years_outside_the_contract_reject_the_record(delivery, db, name):
    rooms = [
        {**ROOM, "room_id": f"r{n}", "start_date": day, "updated_at": instant}
        for n, (day, instant, _) in enumerate(DATES_AND_OFFSETS, start=1)
    ]
    columns = list(rooms[0])
    if name.endswith(".jsonl"):
        write(delivery / name, jsonl(*rooms))
    elif name.endswith(".csv"):
        rows = (",".join(room[column] or "" for column in columns) for room in rooms)
        write(delivery / name, csv_rows(*rows, header=",".join(columns)))
    else:
        values = ", ".join(
            "(" + ", ".join(f"'{room[c]}'" if room[c] else "null" for c in columns) + ")"
            for room in rooms
        )
        write_parquet(delivery / name, f"select * from (values {values}) t({', '.join(columns)})")
    load_delivery(db, delivery)
    expected = [(n, why) for n, (_, _, why) in enumerate(DATES_AND_OFFSETS, start=1) if why]
    assert [(row, why) for _, _, row, why in rejects(db)] == expected
    # a timestamp at either end of the offsets is the instant it says
    assert query(db, "select room_id, updated_at::varchar from raw.rooms order by 1 limit 2") == [
        ("r1", "2026-03-28 10:30:00+00"),
        ("r2", "2026-03-29 12:30:00+00"),
    ]


# --- a file's columns against its table ----------------------------------------------------------


def write_columns(path: Path, columns: list[tuple[str, str]]) -> Path:
    """One record, its columns named as given, as a CSV file or a parquet file of text."""
    if path.name.endswith(".parquet"):
        values = ", ".join(f"'{value}' as \"{name}\"" for name, value in columns)
        write_parquet(path, f"select {values}")
        return path
    header = ",".join(name for name, _ in columns)
    return write(path, csv_rows(",".join(value for _, value in columns), header=header))


FORMATS = pytest.mark.parametrize("ending", [".csv", ".parquet"])


def test_a_csv_of_room_joins_naming_uuid_for_event_uuid_is_rejected_whole(delivery, db):
    rows = [f"j{n},LDN26,r1,u{n},2026-03-29T00:30:00Z,GB" for n in range(1, 1001)]
    header = "uuid,event_id,room_id,user_id,occurred_at,country_code"
    write(delivery / "room_joins.csv", csv_rows(*rows, header=header))
    summary = load_delivery(db, delivery)
    assert summary.describe() == (
        "0 files loaded, 0 skipped as already loaded, 1 rejected whole;"
        " 0 records loaded, 0 rejected"
    )
    reason = "its columns do not fit room_joins: missing event_uuid; unknown uuid"
    assert summary.warnings == [f"rejected room_joins.csv whole: {reason}"]
    assert query(
        db,
        "select table_name, source_file, line_number, row_number, raw_record, reason"
        " from raw.rejected_records",
    ) == [("room_joins", "room_joins.csv", None, None, None, reason)]
    assert query(
        db, "select source_file, status, records_loaded, records_rejected from raw.loaded_files"
    ) == [("room_joins.csv", "rejected", 0, 0)]
    assert table_counts(db)[0] == 0


@FORMATS
@pytest.mark.parametrize(
    ("table", "names", "reason"),
    [
        (
            "rooms",
            ["room_id", "event_id", "capacity"],
            "its columns do not fit rooms: missing room_name",
        ),
        (
            "rooms",
            ["room_id", "event_id", "room_name", "floor"],
            "its columns do not fit rooms: unknown floor",
        ),
        (
            "room_joins",
            ["uuid", "event_id", "room_id", "Who ", "occurred_at"],
            "its columns do not fit room_joins: missing event_uuid, user_id; unknown uuid, Who",
        ),
    ],
)
def test_a_file_whose_columns_do_not_fit_its_table_is_rejected_whole(
    delivery, db, ending, table, names, reason
):
    write_columns(delivery / f"{table}{ending}", [(name, "x") for name in names])
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded, summary.records_rejected) == (1, 0, 0)
    # no value is landed, nor judged as a record
    assert query(
        db, "select line_number, row_number, raw_record, reason from raw.rejected_records"
    ) == [(None, None, None, reason)]
    assert query(db, f"select count(*) from raw.{table}") == [(0,)]
    assert query(db, "select status from raw.loaded_files") == [("rejected",)]


@FORMATS
def test_column_names_are_matched_trimmed_and_in_any_case(delivery, db, ending):
    columns = [
        (" Event_UUID ", "j1"),
        ("EVENT_ID", "LDN26"),
        ("Room_Id\t", "r1"),
        ("  user_id", "u1"),
        ("Occurred_At", "2026-03-29T00:30:00Z"),
        ("country_CODE", "GB"),
    ]
    write_columns(delivery / f"room_joins{ending}", columns)
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.records_loaded, summary.records_rejected) == (1, 1, 0)
    assert query(
        db,
        "select event_uuid, event_id, room_id, user_id, occurred_at::varchar, country_code"
        " from raw.room_joins",
    ) == [("j1", "LDN26", "r1", "u1", "2026-03-29 00:30:00+00", "GB")]


@FORMATS
def test_optional_columns_may_be_absent(delivery, db, ending):
    write_columns(
        delivery / f"rooms{ending}", [("room_name", "Hall"), ("event_id", "E"), ("room_id", "r1")]
    )
    assert load_delivery(db, delivery).records_loaded == 1
    assert query(
        db, "select room_id, event_id, room_name, capacity, is_private, updated_at from raw.rooms"
    ) == [("r1", "E", "Hall", None, None, None)]


@pytest.mark.parametrize(
    ("ending", "reason"),
    [
        (".csv", "its CSV header has no name for column 2"),
        (".parquet", "its parquet schema has no name for column 2"),
    ],
)
def test_a_column_without_a_name_rejects_the_file_whole(delivery, db, ending, reason):
    columns = [("room_id", "r1"), (" ", "x"), ("event_id", "E"), ("room_name", "Hall")]
    write_columns(delivery / f"rooms{ending}", columns)
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded) == (1, 0)
    assert summary.warnings == [f"rejected rooms{ending} whole: {reason}"]


def test_csv_columns_without_names_are_all_named_in_the_reason(delivery, db):
    write(delivery / "rooms.csv", "room_id,,event_id, ,room_name\nr1,x,E,y,Hall\n")
    summary = load_delivery(db, delivery)
    assert summary.warnings == [
        "rejected rooms.csv whole: its CSV header has no name for columns 2, 4"
    ]


def test_a_csv_header_naming_a_column_twice_case_aside_is_rejected_whole(delivery, db):
    write(delivery / "attendees.csv", "event_id,user_id,EVENT_ID, User_Id\nE,u1,E,u1\n")
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded) == (1, 0)
    assert summary.warnings == [
        "rejected attendees.csv whole: its CSV header names a column more than once:"
        " event_id (columns 1, 3); user_id (columns 2, 4)"
    ]


def test_a_parquet_schema_naming_a_column_twice_case_aside_is_rejected_whole(delivery, db):
    # DuckDB renames a repeated name when it writes (EVENT_ID would become EVENT_ID_1), as some
    # other writers do not: the name is put in place in the file's bytes, at the same length.
    path = delivery / "attendees.parquet"
    write_columns(path, [("event_id", "E"), ("user_id", "u1"), ("EVENT_XX", "E")])
    path.write_bytes(path.read_bytes().replace(b"EVENT_XX", b"EVENT_ID"))
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded) == (1, 0)
    assert summary.warnings == [
        "rejected attendees.parquet whole: its parquet schema names a column more than once:"
        " event_id (columns 1, 3)"
    ]


def test_a_nested_parquet_column_is_one_column(delivery, db):
    write_parquet(
        delivery / "rooms.parquet",
        "select 'r1' as room_id, {'floor': 2, 'wing': {'name': 'east'}} as location,"
        " 'E' as event_id, 'Hall' as room_name",
    )
    assert load_delivery(db, delivery).warnings == [
        "rejected rooms.parquet whole: its columns do not fit rooms: unknown location"
    ]


def test_json_keys_are_matched_exactly_and_unknown_keys_are_ignored(delivery, db):
    renamed = {("Event_UUID" if key == "event_uuid" else key): value for key, value in JOIN.items()}
    write(delivery / "room_joins.jsonl", jsonl({**JOIN, "floor": 2}, renamed))
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.records_loaded, summary.records_rejected) == (1, 1, 1)
    assert query(db, "select event_uuid from raw.room_joins") == [("j1",)]
    assert rejects(db) == [("room_joins.jsonl", 2, 2, "missing required field event_uuid")]
