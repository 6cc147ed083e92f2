"""The raw landing contract (../shared/spec/raw-landing.md) as data.

The loader builds its validation SQL and the raw tables' DDL from these definitions, and
the generator writes records that follow them: one place says what a delivery holds.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    # text, integer, boolean, date, time, timestamp (ISO-8601 with offset), timezone (IANA)
    kind: str
    required: bool = False
    allowed: tuple[str, ...] = ()  # for text: the only values accepted


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    is_activity: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


# SQL type of each kind in the raw tables.
SQL_TYPES = {
    "text": "varchar",
    "integer": "integer",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "timestamp": "timestamptz",
    "timezone": "varchar",
}

_ACTIVITY = (
    Column("event_uuid", "text", required=True),
    Column("event_id", "text", required=True),
    Column("room_id", "text", required=True),
    Column("user_id", "text", required=True),
    Column("occurred_at", "timestamp", required=True),
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "event_apps",
            (
                Column("event_id", "text", required=True),
                Column("event_name", "text"),
                Column("timezone", "timezone"),
            ),
        ),
        Table(
            "rooms",
            (
                Column("room_id", "text", required=True),
                Column("event_id", "text", required=True),
                Column("room_name", "text", required=True),
                Column("capacity", "integer"),
                Column("is_private", "boolean"),
                Column("start_date", "date"),
                Column("end_date", "date"),
                Column("start_time", "time"),
                Column("end_time", "time"),
                Column("updated_at", "timestamp"),
            ),
        ),
        Table(
            "attendees",
            (
                Column("event_id", "text", required=True),
                Column("user_id", "text", required=True),
                Column("first_name", "text"),
                Column("last_name", "text"),
                Column("updated_at", "timestamp"),
            ),
        ),
        Table("room_joins", (*_ACTIVITY, Column("country_code", "text")), is_activity=True),
        Table("room_leaves", _ACTIVITY, is_activity=True),
        Table(
            "bubble_events",
            (
                *_ACTIVITY,
                Column("bubble_id", "text", required=True),
                Column(
                    "action", "text", required=True, allowed=("join", "leave", "lock", "unlock")
                ),
            ),
            is_activity=True,
        ),
        Table(
            "teleports",
            (*_ACTIVITY, Column("target_user_id", "text", required=True)),
            is_activity=True,
        ),
        Table("chat_messages", _ACTIVITY, is_activity=True),
    )
}

# Columns every raw table carries besides the contract's, saying where each row came from.
LINEAGE_COLUMNS = (
    ("_load_id", "integer"),  # one per `smartsessions load`, increasing
    ("_loaded_at", "timestamptz"),
    ("_source_file", "varchar"),  # path inside the delivery folder
    ("_source_row", "bigint"),  # line (JSON lines) or data row (CSV, parquet), from 1
)

# A longer record (bytes of UTF-8 after decompression, line ending not counted) is rejected.
RECORD_BYTES_LIMIT = 1 << 20
# The years a date or timestamp may have as written (a year outside fits no workbook cell).
YEARS = (1900, 9998)

# File name endings the loader reads, and the reader each needs.
FORMATS = {
    ".jsonl": "json",
    ".ndjson": "json",
    ".jsonl.gz": "json",
    ".ndjson.gz": "json",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
}
