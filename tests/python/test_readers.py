"""The readers: every format lands the same records, typed parquet columns read as text,
CSV columns found by header name, lines a reader cannot split, empty files, records longer
than 1 MiB, JSON that is not strict, records a reader could lose (a quote that never closes, a
JSON line cut short, a parquet footer counting rows the file lacks)."""

import json

import pytest
from deliveries import JOIN, JOIN_HEADER, csv_rows, jsonl, query, rejects, write, write_parquet
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.landing.load import load_delivery

# --- formats ----------------------------------------------------------------------------------


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
        " timestamptz '2026-03-01 09:00:00+00' as updated_at",
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


def test_an_empty_json_lines_file_loads_no_records_an_empty_csv_is_rejected_whole(delivery, db):
    write(delivery / "rooms.csv", "")
    write(delivery / "room_joins.jsonl.gz", "\n\n")
    write(delivery / "attendees.csv", "event_id,user_id\n")
    write(delivery / "event_apps.csv", "\nevent_id\nE\n")
    summary = load_delivery(db, delivery)
    assert (summary.files_loaded, summary.records_loaded, summary.records_rejected) == (2, 0, 0)
    # a CSV file without its header row is rejected whole: its columns are unknown
    assert summary.files_rejected == 2
    assert summary.warnings == [
        "rejected event_apps.csv whole: its first line, the CSV header, is blank",
        "rejected rooms.csv whole: it is empty: a CSV file starts with a header row",
    ]


def test_a_json_lines_file_of_no_bytes_loads_no_records(delivery, db):
    write(delivery / "room_leaves.jsonl", "")
    summary = load_delivery(db, delivery)
    assert summary.describe() == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 0 records loaded, 0 rejected"
    )


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("rooms.csv", "", "it is empty: a CSV file starts with a header row"),
        ("rooms.csv.gz", "", "it is empty: a CSV file starts with a header row"),
        ("rooms.csv", "\ufeff", "it is empty: a CSV file starts with a header row"),
        (
            "rooms.csv",
            "\r\nroom_id,event_id,room_name\r\nr1,E,Hall\r\n",
            "its first line, the CSV header, is blank",
        ),
        (
            "rooms.csv",
            " \t\nroom_id,event_id,room_name\nr1,E,Hall\n",
            "its first line, the CSV header, is blank",
        ),
    ],
)
def test_a_csv_without_a_header_row_is_rejected_whole(delivery, db, name, text, reason):
    write(delivery / name, text)
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded, summary.records_rejected) == (1, 0, 0)
    assert query(
        db,
        "select source_file, line_number, row_number, raw_record, reason from raw.rejected_records",
    ) == [(name, None, None, None, reason)]
    assert query(db, "select status from raw.loaded_files") == [("rejected",)]


# --- CSV and JSON lines -----------------------------------------------------------------------


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
        "\ufeff room_name ,room_id,event_id\nHall,r1,E\nHall,,E\n",
    )
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (1, 1)
    assert query(db, "select room_id, room_name, capacity from raw.rooms") == [("r1", "Hall", None)]
    assert rejects(db) == [("rooms.csv", None, 2, "missing required field room_id")]


def test_a_control_character_in_a_json_line_cannot_split_it(delivery, db):
    write(delivery / "room_joins.jsonl", jsonl(json.dumps(JOIN) + "\x01junk", JOIN))
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (1, 1)
    assert query(db, "select raw_record, reason from raw.rejected_records") == [
        (json.dumps(JOIN) + "\x01junk", "invalid JSON")
    ]


# --- records longer than 1 MiB --------------------------------------------------------------------

MIB = 1_048_576


def join_line(event_uuid: str, size: int, pad: str = "x") -> str:
    """A JSON line of a join, `size` bytes of UTF-8 long (`pad` is one or two bytes)."""
    bare = json.dumps({**JOIN, "event_uuid": event_uuid, "pad": ""}, ensure_ascii=False)
    missing = size - len(bare.encode())
    padding = pad * (missing // len(pad.encode())) + "x" * (missing % len(pad.encode()))
    line = json.dumps({**JOIN, "event_uuid": event_uuid, "pad": padding}, ensure_ascii=False)
    assert len(line.encode()) == size
    return line


def too_long(size: str) -> str:
    return f"record is longer than 1 MiB ({size} bytes): only its first 1,000 characters are kept"


@pytest.mark.parametrize("name", ["room_joins.jsonl", "room_joins.jsonl.gz"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_json_line_longer_than_1_mib_is_rejected_alone(delivery, db, name, newline):
    lines = [
        join_line("j1", MIB + 1),  # the first line too
        join_line("j2", MIB),
        join_line("j3", MIB + 1, pad="é"),
        join_line("j4", 1_200_000),
        join_line("j5", MIB, pad="é"),
        json.dumps(JOIN),
    ]
    write(delivery / name, newline.join(lines) + newline)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (3, 3)
    assert query(db, "select event_uuid, _source_row from raw.room_joins order by 2") == [
        ("j2", 2),
        ("j5", 5),
        ("j1", 6),
    ]
    assert rejects(db) == [
        (name, 1, 1, too_long("1,048,577")),
        (name, 3, 3, too_long("1,048,577")),
        (name, 4, 4, too_long("1,200,000")),
    ]
    kept = query(db, "select raw_record from raw.rejected_records order by line_number")
    assert [raw for (raw,) in kept] == [line[:1000] for line in (lines[0], lines[2], lines[3])]


def csv_join(event_uuid: str, size: int, pad: str = "x") -> str:
    """A CSV row of a join, `size` bytes long, its country code padded (and quoted)."""
    bare = f'{event_uuid},LDN26,r1,u1,2026-03-29T00:30:00Z,""'
    missing = size - len(bare.encode())
    padding = pad * (missing // len(pad.encode())) + "x" * (missing % len(pad.encode()))
    row = f'{event_uuid},LDN26,r1,u1,2026-03-29T00:30:00Z,"{padding}"'
    assert len(row.encode()) == size
    return row


@pytest.mark.parametrize("name", ["room_joins.csv", "room_joins.csv.gz"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_csv_record_longer_than_1_mib_is_rejected_alone(delivery, db, name, newline):
    rows = [
        JOIN_HEADER,
        csv_join("j1", MIB + 1),  # the first data row too
        csv_join("j2", MIB),
        csv_join("j3", MIB + 1, pad="é"),
        csv_join("j4", 1_200_000),
        csv_join("j5", MIB, pad="é"),
        "j6,LDN26,r1,u1,2026-03-29T00:30:00Z,GB",
    ]
    write(delivery / name, newline.join(rows) + newline)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (3, 3)
    # data rows are the rows DuckDB could split, counted from 1 after the header
    assert query(db, "select event_uuid, _source_row from raw.room_joins order by 2") == [
        ("j2", 1),
        ("j5", 2),
        ("j6", 3),
    ]
    assert rejects(db) == [
        (name, 2, None, too_long("1,048,577")),
        (name, 4, None, too_long("1,048,577")),
        (name, 5, None, too_long("1,200,000")),
    ]
    kept = query(db, "select raw_record from raw.rejected_records order by line_number")
    assert [raw for (raw,) in kept] == [row[:1000] for row in (rows[1], rows[3], rows[4])]


# --- strict JSON ----------------------------------------------------------------------------------


def test_json_that_is_not_strict_is_an_invalid_record(delivery, db):
    record = json.dumps(JOIN)
    lines = [
        record.replace('"u1"', '"u\t1"'),  # a raw tab in a string
        record.replace('"u1"', '"u\r1"'),  # a raw CR in a string, in a file of LF lines
        record.replace('"u1"', '"u\x1f1"'),
        record.replace('"GB"', "NaN"),
        record.replace('"GB"', "-Infinity"),
        record.replace('"GB"', "inf"),
        record.replace('"GB"', '"GB", }'),
        record.replace('"GB"', '["GB",]'),
        # strict: NaN and a comma before a brace inside strings, CR between tokens
        record.replace('"GB"', '"NaN, Infinity ,}"').replace("j1", "j9"),
        record.replace('"event_id"', '\r"event_id"').replace("j1", "j10"),
    ]
    write(delivery / "room_joins.jsonl", jsonl(*lines))
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (2, 8)
    assert rejects(db) == [("room_joins.jsonl", n, n, "invalid JSON") for n in range(1, 9)]
    # the CR stays in the record kept, and the lines after it keep their numbers
    assert query(db, "select raw_record from raw.rejected_records where line_number = 2") == [
        (lines[1],)
    ]
    assert query(db, "select event_uuid, _source_row from raw.room_joins order by 2") == [
        ("j9", 9),
        ("j10", 10),
    ]


# --- records a reader could lose -----------------------------------------------------------------

UNCLOSED = (
    "unterminated quote: the quoted field opened on line {} never closes, so the record runs to"
    " the end of the file"
)


def join_rows(count: int) -> list[str]:
    return [f"j{n},LDN26,r1,u1,2026-03-29T00:30:00Z,GB" for n in range(1, count + 1)]


@pytest.mark.parametrize("name", ["room_joins.csv", "room_joins.csv.gz"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_quote_that_never_closes_rejects_its_record_to_the_end_of_the_file(
    delivery, db, name, newline
):
    rows = join_rows(1_510)
    rows[99] = '"' + rows[99]  # data row 100, on line 101: a quote opens its first field
    write(delivery / name, newline.join([JOIN_HEADER, *rows]) + newline)
    summary = load_delivery(db, delivery)
    # the rows before it load; it and every line after it are one record, rejected
    assert summary.describe() == (
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 99 records loaded, 1 rejected"
    )
    assert query(db, "select count(*), max(_source_row) from raw.room_joins") == [(99, 99)]
    assert query(
        db, "select line_number, row_number, reason, raw_record from raw.rejected_records"
    ) == [(101, None, UNCLOSED.format(101), newline.join(rows[99:]) + newline)]
    assert query(db, "select status, records_loaded, records_rejected from raw.loaded_files") == [
        ("loaded", 99, 1)
    ]


def test_a_quote_that_never_closes_is_a_reject_under_strict_and_its_file_is_loaded(tmp_path):
    delivery = tmp_path / "delivery"
    rows = join_rows(1_510)
    rows[99] = rows[99].replace(",GB", ',"GB')
    write(delivery / "room_joins.csv", csv_rows(*rows))
    command = ["--db", str(tmp_path / "a.duckdb"), "load", str(delivery), "--strict"]
    first = CliRunner().invoke(app, command)
    assert (first.exit_code, first.stdout) == (
        3,
        "1 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 99 records loaded, 1 rejected\n",
    )
    # loaded whole (its good records and its reject): offered again, it is skipped
    again = CliRunner().invoke(app, command)
    assert (again.exit_code, again.stdout) == (
        0,
        "0 files loaded, 1 skipped as already loaded, 0 rejected whole;"
        " 0 records loaded, 0 rejected\n",
    )


def test_an_unclosed_quote_names_its_line_and_rejects_its_record_from_where_it_starts(delivery, db):
    rows = [
        '"j1",LDN26,r1,u1,2026-03-29T00:30:00Z,GB',
        '"j2\nsecond line",LDN26,r1,u1,2026-03-29T00:30:00Z,GB',
        '"j3\nsecond line",LDN26,r1,u1,2026-03-29T00:30:00Z, "GB',  # after one space
        "j4,LDN26,r1,u1,2026-03-29T00:30:00Z,GB",
    ]
    write(delivery / "room_joins.csv", csv_rows(*rows)[:-1])  # no line ending at the end
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (2, 1)
    assert rejects(db) == [("room_joins.csv", 5, None, UNCLOSED.format(6))]
    assert query(db, "select raw_record from raw.rejected_records") == [("\n".join(rows[2:]),)]


def test_an_unclosed_quote_longer_than_1_mib_keeps_its_first_characters(delivery, db):
    rows = join_rows(30_000)
    rows[0] = '"' + rows[0]
    text = csv_rows(*rows)
    write(delivery / "room_joins.csv", text)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (0, 1)
    size = len(text) - len(JOIN_HEADER) - 1
    assert query(db, "select line_number, reason, raw_record from raw.rejected_records") == [
        (
            2,
            UNCLOSED.format(2) + f" and is longer than 1 MiB ({size:,} bytes): only its first"
            " 1,000 characters are kept",
            text[len(JOIN_HEADER) + 1 :][:1000],
        )
    ]


def test_a_record_duckdb_loses_without_a_word_rejects_the_file_whole(delivery, db):
    # DuckDB drops this last record (a quote after a closed quoted field and a space) and says
    # nothing: every record must be read or rejected, so the file is rejected whole instead
    rows = [*join_rows(2), 'j3,LDN26,r1,u1,2026-03-29T00:30:00Z,"GB" "']
    write(delivery / "room_joins.csv", csv_rows(*rows))
    summary = load_delivery(db, delivery)
    assert (summary.files_rejected, summary.records_loaded, summary.records_rejected) == (1, 0, 0)
    assert rejects(db) == [
        (
            "room_joins.csv",
            None,
            None,
            "DuckDB read 3 of the 4 records it holds (its header row one of them): it is"
            " rejected whole rather than loaded in part",
        )
    ]
    assert query(db, "select status from raw.loaded_files") == [("rejected",)]


@pytest.mark.parametrize("name", ["room_joins.jsonl", "room_joins.jsonl.gz"])
@pytest.mark.parametrize(("cut", "line_ending"), [(5, "\n"), (10, "\n"), (10, "")])
def test_a_json_line_cut_inside_a_string_is_rejected_alone(delivery, db, name, cut, line_ending):
    lines = [json.dumps({**JOIN, "event_uuid": f"j{n}"}) for n in range(1, 11)]
    lines[cut - 1] = lines[cut - 1][:30]  # inside the string "LDN26"
    write(delivery / name, "\n".join(lines) + line_ending)
    summary = load_delivery(db, delivery)
    assert (summary.records_loaded, summary.records_rejected) == (9, 1)
    assert query(db, "select line_number, raw_record, reason from raw.rejected_records") == [
        (cut, lines[cut - 1], "invalid JSON")
    ]


def test_a_parquet_file_with_fewer_rows_than_its_footer_counts_is_rejected_whole(delivery, db):
    path = delivery / "room_joins.parquet"
    write_parquet(
        path,
        "select 'j' || i as event_uuid, 'LDN26' as event_id, 'r1' as room_id,"
        " 'u1' as user_id, '2026-03-29T00:30:00Z' as occurred_at from range(10) t(i)",
    )
    # the footer's row count, 10 (a zigzag varint, 0x14) before its list of one row group:
    # made 12 (0x18), the row group keeping its 10 rows
    data = path.read_bytes()
    assert data.count(b"\x16\x14\x19\x1c") == 1
    path.write_bytes(data.replace(b"\x16\x14\x19\x1c", b"\x16\x18\x19\x1c"))
    summary = load_delivery(db, delivery)
    assert summary.describe() == (
        "0 files loaded, 0 skipped as already loaded, 1 rejected whole;"
        " 0 records loaded, 0 rejected"
    )
    assert rejects(db) == [
        (
            "room_joins.parquet",
            None,
            None,
            "DuckDB read 10 of the 12 rows its footer counts: it is rejected whole rather than"
            " loaded in part",
        )
    ]
