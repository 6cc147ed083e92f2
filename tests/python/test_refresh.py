"""`smartsessions refresh`: incremental by load, published atomically, crash-safe, and never
in a reader's way. The invariant: refreshing after each delivery gives the marts of one
full build over all of them, row for row."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from batches import split_delivery
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.pipeline.publish import CATALOG_SCHEMA
from smartsessions.pipeline.refresh import refresh_lock
from smartsessions.pipeline.status import _verdict
from smartsessions.report.export import busiest_event
from smartsessions.synthetic.generate import generate_delivery
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"
SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
WORKER = Path(__file__).with_name("incremental_worker.py")
MARTS = (
    "room_schedules",
    "room_countries",
    "room_join_buckets",
    "room_user_entries",
    "user_room_days",
    "user_bubbles",
    "user_teleports",
    "room_user_visits",
    "room_occupancy",
    "data_quality",
    "event_apps",
)
# Seeded splits of the generated delivery (with its updates and rejects-only batches); random
# batches of deliveries drawn from the whole contract are test_properties.py's.
SPLITS = 4


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated scale-1 delivery, every table as gzipped JSON lines."""
    folder = tmp_path_factory.mktemp("generated") / "delivery"
    generate_delivery(folder, scale=1, seed=11, fmt="jsonl.gz")
    return folder


def marts(db: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without the load each row was computed at."""
    with duckdb.connect(str(db), read_only=True) as con:
        found = {}
        for mart in MARTS:
            columns = con.execute(
                "select string_agg(column_name, ', ' order by ordinal_position)"
                " from information_schema.columns where table_schema = 'marts'"
                " and table_name = ? and column_name <> '_processed_load_id'",
                [mart],
            ).fetchone()[0]
            rows = con.execute(f"select {columns} from marts.{mart}").fetchall()
            found[mart] = sorted(rows, key=repr)  # None sorts among values
    return found


def run_workers(jobs: list[dict], folder: Path, processes: int = 2) -> None:
    workers = []
    for number in range(processes):
        jobs_file = folder / f"jobs-{number}.json"
        jobs_file.write_text(json.dumps(jobs[number::processes], default=str))
        workers.append(subprocess.Popen([sys.executable, str(WORKER), str(jobs_file)]))
    assert [worker.wait() for worker in workers] == [0] * processes


def test_refreshing_after_each_delivery_equals_one_full_build(generated, tmp_path):
    """Seeded splits into 1 to 3 batches (records days late, lines delivered twice), then a
    batch of updates (a room renamed, one moved to another event app, an attendee renamed)
    and one of rejects only: after the last refresh every mart equals one full build."""
    jobs = []
    for seed in range(SPLITS):
        data_batches = 1 + seed % 3
        batches = split_delivery(generated, tmp_path / f"split-{seed}", data_batches, seed)
        jobs.append({"db": tmp_path / f"split-{seed}.duckdb", "batches": batches})
    for job in jobs:
        job["full_refresh"] = False
    reference = {"db": tmp_path / "full.duckdb", "batches": jobs[0]["batches"]}
    run_workers([*jobs, reference | {"full_refresh": True}], tmp_path)
    expected = marts(reference["db"])
    assert expected["user_room_days"] and expected["data_quality"]
    renamed = [row for row in expected["room_schedules"] if "Renamed Hall" in row]
    assert len(renamed) == 1  # the update batch reached the marts
    for job in jobs:
        assert marts(job["db"]) == expected, job["db"].name


def test_refresh_loads_builds_and_publishes_in_one_line(tmp_path):
    db = tmp_path / "refreshed.duckdb"
    result = CliRunner().invoke(app, ["refresh", str(FIXTURE), "--db", str(db)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith("refresh: 9 files and 26 records new, 1 records and 0 files rejected;")
    assert f"in {Workspace(db).published}" in line
    again = CliRunner().invoke(app, ["refresh", str(FIXTURE), "--db", str(db), "--strict"])
    assert again.exit_code == 0  # nothing new: nothing rejected either
    assert again.stdout.startswith("refresh: 0 files and 0 records new")
    strict = CliRunner().invoke(
        app, ["refresh", str(FIXTURE), "--db", str(tmp_path / "strict.duckdb"), "--strict"]
    )
    assert strict.exit_code == 3  # the fixture holds one malformed record


def test_a_refresh_tests_the_rows_it_wrote_and_a_full_check_every_row(tmp_path):
    """On the refresh selection, a data test of an incremental model reads the rows the run
    wrote (macros/incremental/refresh_tests.sql): a row an earlier run wrote, broken here by
    hand, passes it; `refresh --full-check` runs the complete build, whose tests read every
    row, and fails on it."""
    db, runner = tmp_path / "scoped.duckdb", CliRunner()
    assert runner.invoke(app, ["refresh", str(FIXTURE), "--db", str(db)]).exit_code == 0
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update intermediate.int_activity_checked set record_event_id = null"
            " where event_uuid = 'j1'"
        )
    later = tmp_path / "later"
    (later / "room_joins").mkdir(parents=True)
    joined = {"event_uuid": "j-late", "event_id": "LDN26", "room_id": "r2", "user_id": "u2"}
    joined |= {"occurred_at": "2026-03-30T11:00:00Z", "country_code": "GB"}
    (later / "room_joins" / "day-3.jsonl").write_text(json.dumps(joined) + "\n")
    result = runner.invoke(app, ["refresh", str(later), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("refresh: 1 files and 1 records new")
    assert "(the refresh selection)" in result.stdout
    full = runner.invoke(app, ["refresh", str(later), "--db", str(db), "--full-check"])
    assert full.exit_code == 1
    assert "not_null_columns_int_activity_checked" in full.stderr


def test_a_second_refresh_waits_for_the_first(generated, tmp_path):
    first, second = split_delivery(generated, tmp_path / "split", 2, seed=5)[:2]
    db = tmp_path / "two.duckdb"
    refreshes = [
        subprocess.Popen(
            [SMARTSESSIONS, "refresh", str(batch), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for batch in (first, second)
    ]
    outcomes = [(process.wait(), process.stderr.read()) for process in refreshes]
    assert [status for status, _ in outcomes] == [0, 0]
    waited = [stderr for _, stderr in outcomes if stderr]
    assert waited == [f"waiting for the load, build or refresh already running on {db}\n"]
    reference = tmp_path / "full-build.duckdb"
    run_workers([{"db": reference, "batches": [first, second], "full_refresh": True}], tmp_path, 1)
    assert marts(db) == marts(reference)


def test_a_load_and_a_build_wait_for_the_lock_a_refresh_holds(tmp_path):
    db = tmp_path / "locked.duckdb"
    for command in ("load", "build"):
        with refresh_lock(db, lambda message: None):
            args = [SMARTSESSIONS, command, *([str(FIXTURE)] if command == "load" else [])]
            waiting = subprocess.Popen(
                [*args, "--db", str(db)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            first_line = waiting.stderr.readline()  # said before it waits, while we hold it
        assert first_line == f"waiting for the load, build or refresh already running on {db}\n"
        assert waiting.wait() == 0, waiting.stderr.read()


def without_root_s_override() -> list[str]:
    """A command prefix under which file modes bind this user as they bind another: root
    passes them by its capabilities, so they are dropped (setpriv, util-linux)."""
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all"] if os.geteuid() == 0 else []


def test_a_lock_file_this_user_may_only_read_still_locks(tmp_path):
    # another user's lock file, 0644: writing it was refused (a PermissionError traceback)
    db = tmp_path / "shared.duckdb"
    lock_file = tmp_path / "shared.refresh.lock"
    lock_file.touch(mode=0o444)
    hold = (
        "import sys; from pathlib import Path\n"
        "from smartsessions.pipeline.refresh import refresh_lock\n"
        "with refresh_lock(Path(sys.argv[1]), print):\n"
        "    print('locked', flush=True); sys.stdin.readline()"
    )
    holder = subprocess.Popen(
        [*without_root_s_override(), sys.executable, "-c", hold, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with open(lock_file) as probe, pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        holder.communicate("done\n")
    assert holder.returncode == 0


def test_a_lock_file_this_user_may_not_open_is_one_line(tmp_path):
    db = tmp_path / "shared.duckdb"
    lock_file = tmp_path / "shared.refresh.lock"
    lock_file.touch(mode=0o000)
    result = subprocess.run(
        [*without_root_s_override(), SMARTSESSIONS, "refresh", str(FIXTURE), "--db", str(db)],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (
        1,
        f"error: cannot open the refresh lock {lock_file}: Permission denied\n",
    )
    assert list(tmp_path.iterdir()) == [lock_file]


def published_at(db: Path):
    with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
        return con.execute(f"select published_at from {CATALOG_SCHEMA}.published").fetchone()[0]


def kill_when(command: list[str], ready) -> None:
    """Start the command and kill -9 it as soon as `ready()` says so (or when it ends)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not ready():
        time.sleep(0.005)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_refresh_killed_anywhere_loses_nothing_and_counts_nothing_twice(generated, tmp_path):
    batches = split_delivery(generated, tmp_path / "split", 2, seed=3)
    db = tmp_path / "killed.duckdb"
    subprocess.run([SMARTSESSIONS, "refresh", str(batches[0]), "--db", str(db)], check=True)
    before = published_at(db)
    started = time.monotonic()
    lake = Workspace(db).lake

    def publishing() -> bool:  # the next catalog or a partition file being written
        catalogs = (".published.duckdb." in path.name for path in db.parent.iterdir())
        partitions = (path.name.endswith(".partial") for path in lake.rglob("*"))
        return any(catalogs) or any(partitions)

    refresh = [SMARTSESSIONS, "refresh", str(batches[1]), "--db", str(db)]
    kill_points = [
        lambda: time.monotonic() - started > 0.3,  # during the load
        lambda: time.monotonic() - started > 3.0,  # during the build
        publishing,  # publishing
    ]
    for ready in kill_points:
        started = time.monotonic()
        kill_when(refresh, ready)
        assert published_at(db) == before  # readers are still on the last published state
        with duckdb.connect(str(Workspace(db).published), read_only=True) as con:
            con.execute("select count(*) from marts.user_room_days").fetchone()
    for batch in batches[1:]:  # the killed one again, then the rest
        subprocess.run([SMARTSESSIONS, "refresh", str(batch), "--db", str(db)], check=True)
    assert published_at(db) > before
    reference = tmp_path / "full-build.duckdb"
    run_workers([{"db": reference, "batches": batches, "full_refresh": True}], tmp_path, 1)
    expected = marts(reference)
    assert marts(db) == expected
    with duckdb.connect(str(Workspace(db).published), read_only=True) as published:
        published_rows = published.execute(
            "select * exclude (_processed_load_id) from marts.user_teleports"
        ).fetchall()
    assert sorted(published_rows, key=repr) == expected["user_teleports"]


def test_readers_keep_reading_while_a_refresh_writes(generated, tmp_path):
    """An analyst's session held open on the published catalog and exports started during a
    refresh all succeed; the analyst keeps the state it opened, the next session sees the new."""
    batches = split_delivery(generated, tmp_path / "split", 2, seed=8)
    db = tmp_path / "read.duckdb"
    subprocess.run([SMARTSESSIONS, "refresh", str(batches[0]), "--db", str(db)], check=True)
    analyst = duckdb.connect(str(Workspace(db).published), read_only=True)
    count = "select count(*) from intermediate.int_activity"
    seen = analyst.execute(count).fetchone()[0]
    event = busiest_event(db)
    refresh = subprocess.Popen([SMARTSESSIONS, "refresh", str(batches[1]), "--db", str(db)])
    exports = 0
    while refresh.poll() is None:
        out = tmp_path / f"during-{exports}.xlsx"
        command = [SMARTSESSIONS, "--db", str(db), "export", "--event", event, "--out", str(out)]
        subprocess.run(command, check=True, capture_output=True)
        exports += 1
        assert analyst.execute(count).fetchone()[0] == seen
    assert refresh.returncode == 0 and exports >= 1
    analyst.close()
    with duckdb.connect(str(Workspace(db).published), read_only=True) as later:
        assert later.execute(count).fetchone()[0] > seen


def test_status_says_what_readers_see(tmp_path):
    db = tmp_path / "status.duckdb"
    assert CliRunner().invoke(app, ["refresh", str(FIXTURE), "--db", str(db)]).exit_code == 0
    result = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"published: {Workspace(db).published} at ")
    assert lines[1].startswith("data as of: loaded ")
    assert lines[2].startswith("last checked for new files: ")  # by the refresh, just now
    assert lines[3].startswith("freshness: pass (warn after 24 h, error after 72 h)")
    rooms = next(line for line in lines if line.startswith("rooms "))
    assert rooms.split()[-4:] == ["1", "3", "0", "0"]  # files, records, rejected, files rejected
    assert any(line.split() == ["marts.user_room_days", "5", "2"] for line in lines)


def test_the_freshness_verdict_follows_the_thresholds():
    assert _verdict(None, 24, 72) == "unknown"
    assert _verdict(1.0, 24, 72) == "pass (warn after 24 h, error after 72 h)"
    assert _verdict(24.0, 24, 72) == "warn (more than 24 h)"
    assert _verdict(80.0, 24, 72) == "error (more than 72 h)"
