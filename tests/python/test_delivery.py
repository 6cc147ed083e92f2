"""Which file feeds which table: formats by name, nested table folders in byte order,
names that are not patterns, links and special files, unknown and hidden files, and a
delivery folder that is not there."""

import errno
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from deliveries import JOIN, ROOM, csv_rows, jsonl, query, table_counts, write, write_parquet
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.errors import SmartSessionsError
from smartsessions.landing.load import load_delivery
from smartsessions.synthetic.generate import generate_delivery

SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"

# --- the delivery's files ---------------------------------------------------------------------


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


def test_a_linked_table_folder_is_skipped_with_a_warning(tmp_path, delivery, db):
    # raw-landing.md: a link to a folder is never followed, inside the delivery or out of it
    write(delivery / ".archive" / "joins" / "day-1.jsonl", jsonl(JOIN))
    write(tmp_path / "elsewhere" / "day-1.jsonl", jsonl(JOIN))
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    (delivery / "room_joins").symlink_to(".archive/joins")
    (delivery / "room_leaves").symlink_to(tmp_path / "elsewhere")
    summary = load_delivery(db, delivery)
    assert summary.warnings == [
        "skipped room_joins: a link to a folder, never followed",
        "skipped room_leaves: a link to outside the delivery folder",
    ]
    assert table_counts(db)[:2] == (0, 1)


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


def test_a_missing_folder_a_file_or_an_empty_delivery_is_a_user_error(tmp_path, db):
    with pytest.raises(SmartSessionsError, match="does not exist"):
        load_delivery(db, tmp_path / "nowhere")
    with pytest.raises(SmartSessionsError, match="is not a folder"):
        load_delivery(db, write(tmp_path / "rooms.jsonl", jsonl(ROOM)))
    write(tmp_path / "empty" / "readme.md", "nothing to load")
    write(tmp_path / "empty" / ".rooms.jsonl", jsonl(ROOM))
    with pytest.raises(SmartSessionsError, match=r"^empty delivery: .* holds no file to load$"):
        load_delivery(db, tmp_path / "empty")


def test_a_gzip_compressed_parquet_file_is_an_unknown_file(tmp_path, delivery, db):
    write_parquet(tmp_path / "joins.parquet", "select 'j1' as event_uuid")
    parquet = (tmp_path / "joins.parquet").read_bytes()
    write(delivery / "room_joins.parquet.gz", parquet)
    write(delivery / "room_joins" / "part-1.parquet.gz", parquet)
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    summary = load_delivery(db, delivery)
    assert summary.files_loaded == 1
    assert summary.warnings == [
        "skipped unknown file room_joins.parquet.gz",
        "skipped unknown file room_joins/part-1.parquet.gz",
    ]
    assert query(db, "select count(*) from raw.loaded_files where table_name = 'room_joins'") == [
        (0,)
    ]


# --- a name is a name, not a pattern ----------------------------------------------------------

# Where each file of a generated delivery goes in the hostile copy: every name and folder holds
# something DuckDB's readers would expand (`*`, `?`, `[..]`) or quoting could trip on.
HOSTILE_NAMES = {
    "attendees.csv": 'attendees/part [1]/it\'s "q".csv',
    "chat_messages.csv.gz": "chat_messages/a*b?/new\nline.csv.gz",
    "teleports.parquet": "teleports/café/[xy].parquet",
    "room_joins/main/part-1.jsonl.gz": "room_joins/part [1]/*.jsonl.gz",
    "room_joins/redelivery/part-1.jsonl.gz": "room_joins/new\nline/?.jsonl.gz",
    "bubble_events/main/part-1.ndjson": 'bubble_events/quote\'s "x"/a*b?.ndjson',
    "bubble_events/redelivery/part-1.ndjson": "bubble_events/café/[xy].ndjson",
}
# Files, in both copies, that those names read as patterns would match (a file of another
# delivery each); the hostile folder has a sibling that its own name would match.
DECOYS = {
    'attendees/part 1/it\'s "q".csv': "attendees.csv",
    "chat_messages/aXbY/new\nline.csv.gz": "chat_messages.csv.gz",
    "teleports/café/x.parquet": "teleports.parquet",
    "room_joins/part 1/x.jsonl.gz": "room_joins/main/part-1.jsonl.gz",
    "room_joins/new\nline/x.jsonl.gz": "room_joins/redelivery/part-1.jsonl.gz",
    'bubble_events/quote\'s "x"/ab1.ndjson': "bubble_events/main/part-1.ndjson",
    "bubble_events/café/y.ndjson": "bubble_events/redelivery/part-1.ndjson",
}
HOSTILE_FOLDER = 'dl[1] it\'s "q" a*b? café\nend'
SIBLING_FOLDER = 'dl1 it\'s "q" aXbY café\nend'  # what HOSTILE_FOLDER matches as a pattern


def lay_out(generated: Path, decoys: Path, target: Path, names: dict[str, str]) -> None:
    """The generated delivery's files under `target`, renamed as `names` says, and the decoys
    copied from the `decoys` delivery."""
    for source in generated.rglob("*"):
        if source.is_file() and not source.name.startswith("."):
            relative = source.relative_to(generated).as_posix()
            copy(source, target / names.get(relative, relative))
    for decoy, original in DECOYS.items():
        copy(decoys / original, target / decoy)


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def landed(db: Path) -> dict[str, object]:
    """Every raw table's row count, the rejects and the files, as comparable values."""
    names = [
        row[0]
        for row in query(
            db, "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        )
    ]
    return {
        "counts": {name: query(db, f"select count(*) from raw.{name}")[0][0] for name in names},
        "rejects": query(
            db,
            "select table_name, line_number, row_number, reason from raw.rejected_records"
            " order by all",
        ),
    }


def test_every_file_is_read_as_exactly_itself_whatever_its_name(tmp_path):
    generated = generate_delivery(tmp_path / "generated", scale=1, seed=5).folder
    other = generate_delivery(tmp_path / "other", scale=1, seed=6).folder
    lay_out(generated, other, tmp_path / "clean", {})
    lay_out(generated, other, tmp_path / HOSTILE_FOLDER, HOSTILE_NAMES)
    lay_out(other, generated, tmp_path / SIBLING_FOLDER, HOSTILE_NAMES)
    clean = load_delivery(tmp_path / "clean.duckdb", tmp_path / "clean")
    hostile = load_delivery(tmp_path / "hostile.duckdb", tmp_path / HOSTILE_FOLDER)
    assert hostile.warnings == clean.warnings == []
    assert hostile.describe() == clean.describe()
    assert landed(tmp_path / "hostile.duckdb") == landed(tmp_path / "clean.duckdb")
    # each file landed under its own name, once
    files = query(tmp_path / "hostile.duckdb", "select source_file from raw.loaded_files")
    renamed = {HOSTILE_NAMES.get(name, name) for name in clean_names(generated)}
    assert sorted(name for (name,) in files) == sorted(renamed | set(DECOYS))


def clean_names(generated: Path) -> list[str]:
    return [
        path.relative_to(generated).as_posix()
        for path in generated.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    ]


# --- only regular files inside the delivery -----------------------------------------------------


def test_links_that_leave_dangle_or_loop_and_special_files_are_skipped_unopened(
    tmp_path, delivery, db, monkeypatch
):
    write(delivery / "room_joins" / "day-1.jsonl", jsonl(JOIN))
    write(delivery / ".store" / "rooms.jsonl", jsonl(ROOM))
    (delivery / "rooms.jsonl").symlink_to(".store/rooms.jsonl")  # inside: followed
    (delivery / "attendees.csv").symlink_to("/etc/passwd")
    (delivery / "chat_messages.jsonl").symlink_to("/dev/null")
    (delivery / "event_apps.csv").symlink_to(tmp_path / "gone.csv")
    (delivery / "room_joins" / "loop").symlink_to(".")
    (delivery / "room_joins" / "up").symlink_to("..")
    (delivery / "room_joins" / "a.jsonl").symlink_to("b.jsonl")
    (delivery / "room_joins" / "b.jsonl").symlink_to("a.jsonl")
    os.mkfifo(delivery / "room_leaves.jsonl")
    (delivery / "room_joins" / "pipe.jsonl").symlink_to("../room_leaves.jsonl")
    monkeypatch.chdir(delivery)  # a socket's path must be short
    listening = socket.socket(socket.AF_UNIX)
    listening.bind("teleports.csv")
    # a load that opened any of them would hang, read /etc/passwd or never end: run it apart
    result = subprocess.run(
        [SMARTSESSIONS, "--db", str(db), "load", str(delivery)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    listening.close()
    assert (result.returncode, result.stdout) == (
        0,
        "2 files loaded, 0 skipped as already loaded, 0 rejected whole;"
        " 2 records loaded, 0 rejected\n",
    )
    assert result.stderr.splitlines() == [
        "warning: skipped attendees.csv: a link to outside the delivery folder",
        "warning: skipped chat_messages.jsonl: a link to outside the delivery folder",
        "warning: skipped event_apps.csv: a link to nothing (it dangles)",
        "warning: skipped room_joins/a.jsonl: a link that loops",
        "warning: skipped room_joins/b.jsonl: a link that loops",
        "warning: skipped room_joins/loop: a link to a folder, never followed",
        "warning: skipped room_joins/pipe.jsonl: a link to a FIFO, not a regular file",
        "warning: skipped room_joins/up: a link to a folder, never followed",
        "warning: skipped room_leaves.jsonl: a FIFO, not a regular file",
        "warning: skipped teleports.csv: a socket, not a regular file",
    ]
    assert query(db, "select source_file, table_name from raw.loaded_files order by 1") == [
        ("room_joins/day-1.jsonl", "room_joins"),
        ("rooms.jsonl", "rooms"),
    ]


def test_a_folder_that_cannot_be_read_is_a_warning(delivery, db, monkeypatch):
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    write(delivery / "room_joins" / "day-1.jsonl", jsonl(JOIN))
    scandir = os.scandir

    def refusing_room_joins(path="."):
        if isinstance(path, str | os.PathLike) and Path(path).name == "room_joins":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing_room_joins)
    summary = load_delivery(db, delivery)
    assert summary.warnings == ["skipped room_joins/: cannot read the folder (Permission denied)"]
    assert summary.files_loaded == 1


# Making a device node needs root, as CI has: elsewhere mknod fails the test, it never skips.
def test_a_device_is_skipped_unopened(delivery, db):
    write(delivery / "rooms.jsonl", jsonl(ROOM))
    os.mknod(delivery / "room_joins.jsonl", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
    summary = load_delivery(db, delivery)
    assert summary.warnings == ["skipped room_joins.jsonl: a device, not a regular file"]
    assert summary.files_loaded == 1


def not_utf8(folder: Path, name: bytes) -> Path:
    """The path of `name` in `folder`, its bytes kept as they are (surrogateescape)."""
    return folder / os.fsdecode(name)


def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_loads(tmp_path, delivery, db):
    shutil.copytree(FIXTURE, delivery)
    write(not_utf8(delivery, b"late\xff.jsonl"), jsonl(JOIN))
    write(not_utf8(delivery / "room_joins", b"day-3\xe9.jsonl"), jsonl(JOIN))
    write(not_utf8(delivery, b"rooms\xff") / "extra.jsonl", jsonl(ROOM))  # a folder
    skipped = [
        r"warning: skipped late\xff.jsonl: its name is not UTF-8",
        r"warning: skipped room_joins/day-3\xe9.jsonl: its name is not UTF-8",
        r"warning: skipped rooms\xff/: its name is not UTF-8",
    ]
    loaded = CliRunner().invoke(app, ["load", str(delivery), "--db", str(db)])
    assert (loaded.exit_code, loaded.stderr.splitlines()) == (0, skipped)
    assert loaded.stdout.startswith("9 files loaded, 0 skipped as already loaded, 0 rejected")
    assert query(db, "select source_file from raw.loaded_files order by 1") == [
        (name,) for name in sorted(clean_names(FIXTURE))
    ]
    # a schedule's refresh publishes too, rather than stopping on the name every time
    refreshed = CliRunner().invoke(
        app, ["refresh", str(delivery), "--db", str(tmp_path / "refreshed.duckdb")]
    )
    assert (refreshed.exit_code, refreshed.stderr.splitlines()) == (0, skipped)
    assert refreshed.stdout.startswith("refresh: 9 files and 26 records new")
