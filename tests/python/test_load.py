"""The loader: every format, nested folders, reloads, rejects with reasons, whole-file rejects,
and a file that loads whole or not at all."""

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from smartsessions import load
from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.load import load_delivery

JOIN = {
    "event_uuid": "j1",
    "event_id": "LDN26",
    "room_id": "r1",
    "user_id": "u1",
    "occurred_at": "2026-03-29T00:30:00Z",
    "country_code": "GB",
}
JOIN_COLUMNS = list(JOIN)


def jsonl(records) -> str:
    return "".join(json.dumps(r) + "\n" if isinstance(r, dict) else r + "\n" for r in records)


def csv_text(rows) -> str:
    return ",".join(JOIN_COLUMNS) + "\n" + "".join(",".join(row) + "\n" for row in rows)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def two_joins() -> list[dict]:
    return [JOIN, {**JOIN, "event_uuid": "j2", "user_id": " u2 "}]


@pytest.mark.parametrize(
    "name",
    [
        "room_joins.jsonl",
        "room_joins.ndjson",
        "room_joins.jsonl.gz",
        "room_joins.csv",
        "room_joins.csv.gz",
        "room_joins.parquet",
    ],
)
def test_every_format_lands_the_same_typed_records(tmp_path, name):
    delivery = tmp_path / "delivery"
    if ".csv" in name:
        write(delivery / name, csv_text([list(r.values()) for r in two_joins()]))
    elif name.endswith(".parquet"):
        source = write(tmp_path / "joins.jsonl", jsonl(two_joins()))
        delivery.mkdir()
        duckdb.sql(
            f"copy (select * from read_json('{source}', columns = "
            + "{"
            + ", ".join(f"'{c}': 'VARCHAR'" for c in JOIN_COLUMNS)
            + "})) "
            f"to '{delivery / name}' (format parquet)"
        )
    else:
        write(delivery / name, jsonl(two_joins()))
    summary = load_delivery(tmp_path / "db.duckdb", delivery)
    assert (summary.files_loaded, summary.records_loaded, summary.records_rejected) == (1, 2, 0)
    rows = query(
        tmp_path / "db.duckdb",
        "select event_uuid, user_id, strftime(occurred_at, '%Y-%m-%d %H:%M'), _source_file,"
        " _source_row, _load_id from raw.room_joins order by _source_row",
    )
    # text is landed as delivered (" u2 " keeps its spaces); lineage says where it came from
    assert rows == [
        ("j1", "u1", "2026-03-29 00:30", name, 1, 1),
        ("j2", " u2 ", "2026-03-29 00:30", name, 2, 1),
    ]


def test_nested_folders_and_unknown_files(tmp_path):
    delivery = tmp_path / "delivery"
    write(delivery / "room_joins" / "2026" / "03" / "a.jsonl", jsonl([JOIN]))
    write(
        delivery / "room_joins" / "b.csv", csv_text([list({**JOIN, "event_uuid": "j2"}.values())])
    )
    write(delivery / "notes.txt", "not data")
    write(delivery / "speakers.jsonl", jsonl([{"x": 1}]))
    write(delivery / ".hidden" / "room_joins.jsonl", jsonl([JOIN]))
    summary = load_delivery(tmp_path / "db.duckdb", delivery)
    assert summary.files_loaded == 2
    assert summary.warnings == [
        "skipped unknown file notes.txt",
        "skipped unknown file speakers.jsonl",
    ]
    assert query(tmp_path / "db.duckdb", "select _source_file from raw.room_joins order by 1") == [
        ("room_joins/2026/03/a.jsonl",),
        ("room_joins/b.csv",),
    ]


def test_loading_the_same_files_again_changes_nothing(tmp_path):
    delivery = tmp_path / "delivery"
    write(delivery / "room_joins.jsonl", jsonl([JOIN, "not json"]))
    first = load_delivery(tmp_path / "db.duckdb", delivery)
    again = load_delivery(tmp_path / "db.duckdb", delivery)
    assert (first.files_loaded, first.records_loaded, first.records_rejected) == (1, 1, 1)
    assert (again.files_loaded, again.files_skipped, again.records_loaded) == (0, 1, 0)
    counts = query(
        tmp_path / "db.duckdb",
        "select (select count(*) from raw.room_joins), (select count(*) from raw.rejected_records)",
    )
    assert counts == [(1, 1)]


MALFORMED_JSON = [
    ('{"event_uuid": "x", ', "invalid JSON"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({**JOIN, "user_id": None}), "missing required field user_id"),
    (json.dumps({**JOIN, "room_id": " \t "}), "missing required field room_id"),
    (
        json.dumps({**JOIN, "occurred_at": "2026-03-29T00:30:00"}),
        "occurred_at: '2026-03-29T00:30:00' has no UTC offset",
    ),
    (json.dumps({**JOIN, "occurred_at": "soon"}), "occurred_at: 'soon' is not a timestamp"),
]


def test_each_malformed_record_is_kept_with_its_reason(tmp_path):
    delivery = tmp_path / "delivery"
    write(delivery / "room_joins.jsonl", jsonl([JOIN, *(line for line, _ in MALFORMED_JSON)]))
    write(
        delivery / "rooms.jsonl",
        jsonl(
            [
                {"room_id": "r1", "event_id": "E", "room_name": "ok", "is_private": "no"},
                {"room_id": "r2", "event_id": "E", "room_name": "x", "start_date": "2026-3-1"},
                {"room_id": "r3", "event_id": "E", "room_name": "x", "start_time": "9h30"},
                {"room_id": "r4", "event_id": "E", "room_name": "x", "capacity": "many"},
                {"room_id": "r5", "event_id": "E", "room_name": "x", "is_private": "perhaps"},
            ]
        ),
    )
    write(
        delivery / "bubble_events.jsonl",
        jsonl([{**JOIN, "bubble_id": "b", "action": "poke"}]),
    )
    write(delivery / "event_apps.csv", "event_id,event_name,timezone\nE,Event,Mars/Base\n")
    write(delivery / "room_leaves.csv", csv_text([]).replace(",country_code", "") + "l1,E,r1\n")
    summary = load_delivery(tmp_path / "db.duckdb", delivery)
    assert summary.records_loaded == 2  # the good join and room r1
    rejected = query(
        tmp_path / "db.duckdb",
        "select table_name, line_number, row_number, reason from raw.rejected_records"
        " order by table_name, coalesce(line_number, row_number)",
    )
    assert rejected == [
        ("bubble_events", 1, 1, "action: 'poke' is not one of join, leave, lock, unlock"),
        ("event_apps", None, 1, "timezone: 'Mars/Base' is not a known IANA time zone"),
        *[("room_joins", n, n, reason) for n, (_, reason) in enumerate(MALFORMED_JSON, start=2)],
        ("room_leaves", 2, None, "missing columns: Expected Number of Columns: 5 Found: 3"),
        ("rooms", 2, 2, "start_date: '2026-3-1' is not a date YYYY-MM-DD"),
        ("rooms", 3, 3, "start_time: '9h30' is not a time HH:MM or HH:MM:SS"),
        ("rooms", 4, 4, "capacity: 'many' is not an integer"),
        ("rooms", 5, 5, "is_private: 'perhaps' is not a boolean (true/false)"),
    ]
    assert query(tmp_path / "db.duckdb", "select is_private from raw.rooms") == [(False,)]
    raw = query(tmp_path / "db.duckdb", "select raw_record from raw.rejected_records")
    assert ('{"event_uuid": "x", ',) in raw  # the line as delivered


def test_a_file_that_is_not_utf8_or_not_gzip_is_rejected_whole(tmp_path):
    delivery = tmp_path / "delivery"
    (delivery / "room_joins").mkdir(parents=True)
    (delivery / "room_joins" / "latin1.csv").write_bytes(
        csv_text([["j9", "E", "r1", "Zoë", "2026-03-29T00:30:00Z", "GB"]]).encode("latin-1")
    )
    (delivery / "room_joins" / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08 not gzip")
    write(delivery / "room_joins" / "good.jsonl", jsonl([JOIN]))
    summary = load_delivery(tmp_path / "db.duckdb", delivery)
    assert (summary.files_loaded, summary.files_rejected, summary.records_loaded) == (1, 2, 1)
    assert query(
        tmp_path / "db.duckdb",
        "select source_file, line_number, reason from raw.rejected_records order by 1",
    ) == [
        ("room_joins/broken.jsonl.gz", None, "not a valid gzip file"),
        ("room_joins/latin1.csv", None, "not valid UTF-8 text"),
    ]
    assert load_delivery(tmp_path / "db.duckdb", delivery).files_skipped == 3


def test_a_failure_mid_file_leaves_nothing_of_that_file(tmp_path, monkeypatch):
    delivery = tmp_path / "delivery"
    write(delivery / "room_joins.jsonl", jsonl([JOIN, "not json"]))

    def fail_after_landing(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "_record_file", fail_after_landing)
    with pytest.raises(RuntimeError):
        load_delivery(tmp_path / "db.duckdb", delivery)
    assert query(
        tmp_path / "db.duckdb",
        "select (select count(*) from raw.room_joins), (select count(*) from raw.rejected_records),"
        " (select count(*) from raw.loaded_files)",
    ) == [(0, 0, 0)]


def test_a_missing_folder_or_an_empty_delivery_is_a_user_error(tmp_path):
    with pytest.raises(SmartSessionsError, match="does not exist"):
        load_delivery(tmp_path / "db.duckdb", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "readme.md", "nothing to load")
    with pytest.raises(SmartSessionsError, match="holds no file to load"):
        load_delivery(tmp_path / "db.duckdb", tmp_path / "empty")


def test_the_cli_prints_the_summary_and_one_line_errors(tmp_path):
    write(tmp_path / "delivery" / "room_joins.jsonl", jsonl([JOIN]))
    runner = CliRunner()
    ok = runner.invoke(
        app, ["--db", str(tmp_path / "db.duckdb"), "load", str(tmp_path / "delivery")]
    )
    assert ok.exit_code == 0
    assert ok.stdout.strip() == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 1 records loaded, 0 rejected"
    )
    missing = runner.invoke(app, ["--db", str(tmp_path / "db.duckdb"), "load", str(tmp_path / "x")])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: delivery folder")
    assert missing.stderr.count("\n") == 1


def test_a_database_named_like_a_schema_is_refused(tmp_path):
    write(tmp_path / "delivery" / "room_joins.jsonl", jsonl([JOIN]))
    with pytest.raises(SmartSessionsError, match="name the file anything but"):
        load_delivery(tmp_path / "raw.duckdb", tmp_path / "delivery")
