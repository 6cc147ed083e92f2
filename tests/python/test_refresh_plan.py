"""What a refresh runs after its load (pipeline/refresh_plan.py): with nothing new after a build
that passed, no dbt and nothing published; with new files, the `refresh` selector; the complete
build whenever the last build is not known to have passed, and with --full-check. dbt never
runs here but in the last test: a build is a stand-in that says how it was called."""

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from smartsessions.cli import app
from smartsessions.landing import load as landing_load
from smartsessions.landing.hash_cache import HashCache
from smartsessions.landing.load import load_delivery
from smartsessions.pipeline import build, refresh_plan
from smartsessions.pipeline.refresh import refresh
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"


class Built(Exception):
    """The stand-in for dbt's build was called: `selector` is what it was asked to build."""

    def __init__(self, selector: str | None) -> None:
        super().__init__(selector)
        self.selector = selector


def builds(db: Path, delivery: Path, **options) -> str:
    """How a refresh built: `refresh` (the selector) or `complete`."""
    with pytest.raises(Built) as built:
        refresh(db, delivery, **options)
    return built.value.selector or "complete"


@pytest.fixture
def built(generated_db, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the session's generated database, built and published by the CLI, with the
    delivery it was loaded from (the database, then its delivery); dbt's build is a stand-in."""
    source = generated_db.parent
    for path in source.iterdir():
        if path.name.startswith(generated_db.stem):
            copy = shutil.copytree if path.is_dir() else shutil.copy2
            copy(path, tmp_path / path.name)

    def build_called(db_path, **options):
        raise Built(options.get("selector"))

    monkeypatch.setattr(build, "run_build", build_called)
    return tmp_path / generated_db.name, source / "delivery"


def record_build(db: Path, invocation_id: str, status: str, window=(None, None)) -> None:
    """A dbt build recorded as the project records one (marts.build_runs), a minute after the
    last one."""
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into marts.build_runs select ?, 'build', ?, ?, max(started_at) + interval 1"
            " minute, max(started_at) + interval 2 minute, ? from marts.build_runs",
            [invocation_id, *window, status],
        )


def status_lines(db: Path) -> list[str]:
    result = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_nothing_new_runs_no_dbt_publishes_nothing_and_notes_the_check(built, monkeypatch):
    db, delivery = built
    published = Workspace(db).published
    before, published_before = status_lines(db), published.stat().st_mtime_ns
    result = CliRunner().invoke(app, ["refresh", str(delivery), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("refresh: 0 files and 0 records new, 0 records and 0 files")
    assert "nothing new since the last build passed: no dbt run, nothing published" in result.stdout
    assert published.stat().st_mtime_ns == published_before
    after = status_lines(db)
    (checked,) = [line for line in after if line.startswith("last checked for new files: ")]
    assert checked.endswith(" UTC")
    # all else as it was (the freshness line counts hours since the load: now moves it)
    assert [line for line in after if line != checked and not line.startswith("freshness")] == [
        line for line in before if not line.startswith("freshness")
    ]

    # the second time, no file is read: their hashes are remembered by path, size and time
    def scanned(file):
        raise AssertionError(f"{file.relative} hashed again")

    monkeypatch.setattr(landing_load, "scan_file", scanned)
    assert refresh(db, delivery).build is None


def test_new_files_build_the_refresh_selection_and_a_full_check_everything(built):
    db, _ = built
    assert builds(db, FIXTURE, full_check=True) == "complete"
    assert builds(db, FIXTURE) == "refresh"  # the stand-in built nothing: still new


def test_after_a_failed_build_a_refresh_builds_with_nothing_new(built):
    db, delivery = built
    record_build(db, "later", "failed")
    assert builds(db, delivery) == "complete"


def test_a_build_by_hand_since_is_followed_by_the_complete_build(built):
    """A dbt build the CLI did not run (a selection, by hand, a partial one): its outcome is
    dbt's, but what it ran with is not known."""
    db, delivery = built
    record_build(db, "by hand", "success")
    assert builds(db, delivery) == "complete"


def test_a_windowed_build_since_changes_nothing(built):
    """A windowed build replaces no mart (an export's): nothing to do still."""
    db, delivery = built
    record_build(db, "windowed", "failed", window=("2026-01-01", "2026-01-02"))
    assert refresh(db, delivery).build is None


def test_a_load_on_its_own_since_is_built_by_the_next_refresh(built):
    db, delivery = built
    assert load_delivery(db, FIXTURE).files_loaded  # `smartsessions load`, with no build
    assert builds(db, delivery) == "refresh"


def test_a_file_rejected_whole_is_built(built, tmp_path):
    """Its rejection is published for readers (raw.loaded_files, data_quality)."""
    db, delivery = built
    folder = tmp_path / "rejected"
    shutil.copytree(delivery, folder)
    (folder / "room_joins" / "late.jsonl.gz").write_bytes(b"not gzip")
    assert builds(db, folder) == "refresh"


def test_another_project_or_no_publication_is_followed_by_the_complete_build(built, monkeypatch):
    db, delivery = built
    with monkeypatch.context() as patched:
        patched.setattr(refresh_plan, "project_fingerprint", lambda: "an upgraded project")
        assert builds(db, delivery) == "complete"
    Workspace(db).published.unlink()
    assert builds(db, delivery) == "complete"


def test_a_file_rewritten_is_hashed_again(tmp_path):
    file, cache_file = tmp_path / "rooms.csv", tmp_path / "cache.json"
    file.write_text("a")
    cache = HashCache(cache_file)
    cache.remember(file, cache.signature(file), "hash of a")
    cache.save()
    cache = HashCache(cache_file)
    assert cache.known_hash(file, cache.signature(file)) == "hash of a"
    modified = file.stat().st_mtime_ns
    file.write_text("b")  # the same size: the time tells
    os.utime(file, ns=(modified + 1, modified + 1))
    assert cache.known_hash(file, cache.signature(file)) is None
    cache_file.write_text('{"broken": [1]')
    assert HashCache(cache_file).entries == {}
    assert HashCache().known_hash(file, cache.signature(file)) is None  # `load` keeps none
