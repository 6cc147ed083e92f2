"""What the CLI remembers of its last published build (`NAME.dbt/last_build.json`): dbt's
invocation id and the fingerprint of the dbt project it ran. A refresh compares them with the
working database's record of builds (marts.build_runs) and with the project installed now, to
know whether the marts are still the project's answer to what is loaded (refresh_plan.py)."""

import hashlib
import json
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from smartsessions.workspace import PROJECT_DIR, Workspace

# The package holds the dbt project and the Python that publishes; these run them.
PACKAGE_DIR = PROJECT_DIR.parent
PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb")


@dataclass(frozen=True)
class BuildRecord:
    invocation_id: str
    fingerprint: str


def project_fingerprint() -> str:
    """A hash of every file of the package, its dbt project included (the repository's links
    followed), and of the versions of what runs them: an upgrade or an edited model changes it."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        digest.update(f"{package}=={version(package)}\n".encode())
    for folder, folders, names in os.walk(PACKAGE_DIR, followlinks=True):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            path = Path(folder, name)
            digest.update(f"{path.relative_to(PACKAGE_DIR)}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def save_build_record(db_path: Path, invocation_id: str) -> None:
    path = _record_path(db_path)
    record = {"invocation_id": invocation_id, "fingerprint": project_fingerprint()}
    staged = path.with_name(path.name + ".new")
    try:
        staged.write_text(json.dumps(record))
        os.replace(staged, path)
    except OSError:  # a full disk: the next refresh runs the complete build, which is safe
        staged.unlink(missing_ok=True)


def read_build_record(db_path: Path) -> BuildRecord | None:
    try:
        record = json.loads(_record_path(db_path).read_text())
        return BuildRecord(record["invocation_id"], record["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):  # none, or unreadable: build again
        return None


def _record_path(db_path: Path) -> Path:
    return Workspace(db_path).dbt_target() / "last_build.json"
