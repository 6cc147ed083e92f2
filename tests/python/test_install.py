"""A plain `pip install .` (what a server or a container image does) into a fresh virtualenv
outside the checkout, then the demo in an empty folder: the dbt project travels inside the
package, and dbt writes its target/ and logs/ beside the database, never into the package."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).parents[2]
# What a clean clone holds, less what the build would trip over.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "build", "*.egg-info", "__pycache__", "cache", "*.duckdb"
)


def test_a_plain_install_runs_the_demo_in_an_empty_folder(tmp_path):
    # a copy of the sources, so that the build's own folders never land in the checkout
    sources = tmp_path / "sources"
    shutil.copytree(REPOSITORY, sources, symlinks=True, ignore=NOT_SOURCES)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "pip"), "install", "--quiet", "--no-input", str(sources)]
    subprocess.run(install, check=True, capture_output=True)
    package = next((venv / "lib").glob("python*/site-packages/smartsessions"))
    shipped = sorted(path for path in package.rglob("*") if "__pycache__" not in path.parts)
    assert (package / "dbt_project" / "dbt_project.yml").is_file()
    assert (package / "dbt_project" / "models" / "marts" / "room_countries.sql").is_file()
    assert (package / "dbt_project" / "macros" / "cross_db" / "dateadd.sql").is_file()
    assert (package / "dbt_project" / "data-tests" / "generic" / "numbered_from_one.sql").is_file()
    assert (package / "portal" / "templates" / "base.html").is_file()  # smartsessions serve
    assert (package / "portal" / "static" / "portal.css").is_file()
    assert not any(path.is_symlink() for path in shipped)
    assert not (package / "dbt_project" / "tests").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    defaults = {name: value for name, value in os.environ.items() if name != "SMARTSESSIONS_DB"}
    demo = subprocess.run(
        [str(venv / "bin" / "smartsessions"), "demo"],
        cwd=empty,
        env=defaults,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    workbook = Path(demo.stdout.strip().splitlines()[-1].removeprefix("workbook: "))
    assert workbook == empty / "out" / "smart-sessions-NYC26.xlsx"
    assert workbook.is_file()
    assert sorted(path.name for path in empty.iterdir()) == [
        "demo-delivery",
        "out",
        "smartsessions.dbt",
        "smartsessions.duckdb",
        "smartsessions.lake",
        "smartsessions.published.duckdb",
    ]
    assert (empty / "smartsessions.dbt" / "logs" / "dbt.log").is_file()
    assert (empty / "smartsessions.dbt" / "target" / "manifest.json").is_file()
    after = sorted(path for path in package.rglob("*") if "__pycache__" not in path.parts)
    assert after == shipped  # nothing written where the package is installed
