"""Work files named after the process that writes them (`.NAME.PID.KIND` beside NAME), so that
the next run can tell one abandoned by a killed process from one in use, and remove it."""

import glob
import os
import shutil
from pathlib import Path

from smartsessions.sql import literal


def work_path(target: Path, kind: str) -> Path:
    """This process's work file (or folder) of `kind` for `target`."""
    return target.with_name(f".{target.name}.{os.getpid()}.{kind}")


def copy_to_parquet(con, query: str, path: Path, parameters=()) -> None:
    """Write the query's rows to `path` as parquet, whole or not at all: under this process's
    work name (readers skip names starting with a dot), then renamed."""
    partial = work_path(path, "partial")
    try:
        con.execute(f"copy ({query}) to {literal(partial)} (format parquet)", list(parameters))
        os.replace(partial, path)
    finally:
        remove(partial)


def remove_abandoned(target: Path) -> None:
    """Remove the work files of `target` whose process is gone."""
    prefix = f".{target.name}."
    for path in target.parent.glob(glob.escape(prefix) + "*"):
        pid = path.name[len(prefix) :].split(".")[0]
        if pid.isdigit() and not _running(int(pid)):
            remove(path)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
