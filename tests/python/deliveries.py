"""Small deliveries for the loader's tests: records, files in every format, and what
landed."""

import gzip
import json
from pathlib import Path

import duckdb

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
