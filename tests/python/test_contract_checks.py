"""The contract's checks and casts: each reject reason, trimming, booleans, offsets."""

import json

import pytest
from deliveries import (
    JOIN,
    ROOM,
    jsonl,
    query,
    rejects,
    write,
)

from smartsessions.load import load_delivery

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
