"""Fixtures shared by the test modules."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

# The slowest test files, in the order they start. `make test` hands whole files to one worker
# per core in collection order (pytest-xdist --dist loadfile): a long file picked up last would
# run alone at the end while the other core idles.
SLOWEST_FIRST = (
    "test_refresh.py",
    "test_bench.py",
    "test_properties.py",
    "test_export.py",
    "test_install.py",
    "test_publish.py",
    "test_build.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest in order


@pytest.fixture
def another_process_holding():
    """A context manager: another process holds the DuckDB file's write lock meanwhile."""

    @contextmanager
    def holding(db: Path):
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                " print('ready', flush=True); time.sleep(60)",
                str(db),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "ready"
            yield
        finally:
            holder.kill()
            holder.wait()

    return holding


@pytest.fixture(scope="session")
def generated_db(tmp_path_factory) -> Path:
    """A generated scale-1 delivery (five event apps), loaded and built with its data tests
    (not the unit tests: their rows are their own, the same in every build; the builds that check
    them run them)."""
    from smartsessions.landing.load import load_delivery
    from smartsessions.pipeline.build import run_build
    from smartsessions.synthetic.generate import generate_delivery

    folder = tmp_path_factory.mktemp("generated")
    generate_delivery(folder / "delivery", scale=1, seed=7)
    db = folder / "generated.duckdb"
    load_delivery(db, folder / "delivery")
    run_build(db, unit_tests=False)
    return db


@pytest.fixture
def delivery(tmp_path) -> Path:
    return tmp_path / "delivery"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "landed.duckdb"


@pytest.fixture
def small_filesystem(tmp_path, request):
    """An empty folder on a 64 KiB filesystem of its own (a tmpfs), to fill up; a test that needs
    more room asks for it: `@pytest.mark.parametrize("small_filesystem", ["40m"], indirect=True)`.
    Needs root, as CI has: elsewhere mount fails the test, which never skips."""
    import subprocess

    folder = tmp_path / "small"
    folder.mkdir()
    size = getattr(request, "param", "64k")
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="session")
def portal_db(tmp_path_factory) -> Path:
    """The hand-made delivery, built once for the portal's test modules (OTH26 is named in
    markup, which pages must show as text)."""
    from portal_kit import build_portal_db

    return build_portal_db(tmp_path_factory.mktemp("portal-db"))
