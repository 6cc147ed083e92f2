"""The malformed records a generated delivery plants on purpose, one of each kind the load
rejects (the delivery lists them)."""


def malformed_records() -> list[tuple[str, str, str | dict]]:
    """(table, kind, record): a record as a line of text, or as fields (the writer writes them
    in the table's format)."""
    good_join = {
        "event_uuid": "bad-join",
        "event_id": "LDN26",
        "room_id": "LDN26-r0",
        "user_id": "u00001",
        "occurred_at": "2026-03-29T10:00:00Z",
        "country_code": "GB",
    }
    return [
        ("room_joins", "invalid JSON", '{"event_uuid": "bad-1", "event_id": '),
        ("room_joins", "not a JSON object", '["bad-2", "LDN26"]'),
        ("room_joins", "wrong number of fields", "bad-3,LDN26,LDN26-r0"),
        ("room_joins", "missing required field", {**good_join, "user_id": " "}),
        ("room_joins", "no UTC offset", {**good_join, "occurred_at": "2026-03-29T10:00:00"}),
        ("bubble_events", "bad action", {**good_join, "bubble_id": "b1", "action": "poke"}),
        ("teleports", "missing required field", {**good_join, "target_user_id": None}),
        (
            "chat_messages",
            "wrong number of fields",
            "bad-4,LDN26,LDN26-r0,u1,2026-03-29T10:00:00Z,extra",
        ),
        ("chat_messages", "bad timestamp", {**good_join, "occurred_at": "yesterday"}),
        (
            "event_apps",
            "unknown timezone",
            {"event_id": "MARS26", "event_name": "Mars", "timezone": "Mars/Olympus_Mons"},
        ),
        (
            "rooms",
            "bad date",
            {
                "room_id": "bad-r",
                "event_id": "LDN26",
                "room_name": "X",
                "start_date": "2026-02-30",
            },
        ),
        (
            "rooms",
            "bad integer",
            {"room_id": "bad-r2", "event_id": "LDN26", "room_name": "Y", "capacity": "lots"},
        ),
    ]
