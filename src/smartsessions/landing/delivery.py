"""Which file of a delivery feeds which table, and in which format (raw-landing.md, "Files").

Only regular files inside the delivery folder are read. The walk never follows a link to a
folder; a link to a file is followed only when it resolves to a regular file inside the
folder. Anything else (a link that leaves, dangles or loops, a FIFO, a device, a socket) is
reported and never opened: opening a FIFO would block the load, and a link could read any file
on the machine. So is a file or folder whose name is not UTF-8, shown with its bytes escaped.
"""

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.contract import FORMATS, TABLES, Table


@dataclass(frozen=True)
class DeliveryFile:
    path: Path  # absolute, the link's target for a link: the file that is read, exactly
    relative: str  # '/'-separated path inside the delivery folder
    table: Table
    reader: str  # json, csv or parquet
    compressed: bool


@dataclass(frozen=True)
class Entry:
    """Something in the delivery folder that is not a folder: a file to look at, or why not."""

    relative: str
    path: Path | None  # the regular file it is, or resolves to
    skipped_because: str | None = None


def find_delivery_files(folder: Path) -> tuple[list[DeliveryFile], list[str]]:
    """The delivery's files in byte order of their relative path, and a warning for each
    other file (hidden files and folders are ignored silently)."""
    if not folder.exists():
        raise SmartSessionsError(f"delivery folder {folder} does not exist")
    if not folder.is_dir():
        raise SmartSessionsError(f"delivery folder {folder} is not a folder")
    root = folder.resolve()
    files, warnings = [], []
    # Python orders str by code point, which is the byte order of their UTF-8.
    for entry in sorted(_entries(root, root, ""), key=lambda entry: entry.relative):
        if entry.skipped_because:
            warnings.append(f"skipped {entry.relative}: {entry.skipped_because}")
        elif (file := _delivery_file(entry)) is None:
            warnings.append(f"skipped unknown file {entry.relative}")
        else:
            files.append(file)
    if not files:
        raise SmartSessionsError(f"empty delivery: {folder} holds no file to load")
    return files, warnings


def _entries(root: Path, folder: Path, prefix: str):
    """Every visible entry under `folder` that is not a real folder, walking real folders only."""
    try:
        with os.scandir(folder) as listing:
            found = list(listing)
    except OSError as error:
        yield Entry(prefix or ".", None, f"cannot read the folder ({error.strerror})")
        return
    for entry in found:
        if entry.name.startswith("."):
            continue
        relative = prefix + entry.name
        if not _is_utf8(entry.name):
            # DuckDB takes UTF-8 text only, so the name cannot be recorded (raw.loaded_files, the
            # rejects): a warning, not a traceback that stops every load until it is deleted.
            shown = _escaped(relative) + ("/" if entry.is_dir(follow_symlinks=False) else "")
            yield Entry(shown, None, "its name is not UTF-8")
        elif entry.is_dir(follow_symlinks=False):
            yield from _entries(root, Path(entry.path), relative + "/")
        else:
            yield _regular_file(root, Path(entry.path), relative)


def _is_utf8(name: str) -> bool:
    """Whether the name's bytes were UTF-8: os.scandir decodes the others with surrogateescape,
    whose lone surrogates do not encode."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(relative: str) -> str:
    """The path with each byte that is not UTF-8 shown as `\\xNN`: the byte on disk, which a
    person can look for, rather than the surrogate Python decoded it to."""
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def _regular_file(root: Path, path: Path, relative: str) -> Entry:
    """The entry as a regular file to read, or why it is skipped."""
    try:
        mode = path.lstat().st_mode
    except OSError as error:  # gone since the folder was listed
        return Entry(relative, None, f"cannot look at it ({error.strerror})")
    if stat.S_ISREG(mode):
        return Entry(relative, path)
    if not stat.S_ISLNK(mode):
        return Entry(relative, None, f"{_kind(mode)}, not a regular file")
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return Entry(relative, None, _broken_link(error))
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(root):
        return Entry(relative, None, "a link to outside the delivery folder")
    if stat.S_ISDIR(mode):
        return Entry(relative, None, "a link to a folder, never followed")
    if not stat.S_ISREG(mode):
        return Entry(relative, None, f"a link to {_kind(mode)}, not a regular file")
    return Entry(relative, target)


def _broken_link(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a link that loops"
    if error.errno == errno.ENOENT:
        return "a link to nothing (it dangles)"
    return f"a link that cannot be followed ({error.strerror})"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _delivery_file(entry: Entry) -> DeliveryFile | None:
    parts = entry.relative.split("/")
    ending = max((e for e in FORMATS if parts[-1].endswith(e)), key=len, default=None)
    if ending is None:
        return None
    table_name = parts[0] if len(parts) > 1 else parts[0].removesuffix(ending)
    if table_name not in TABLES:
        return None
    return DeliveryFile(
        entry.path,
        entry.relative,
        TABLES[table_name],
        FORMATS[ending],
        ending.endswith(".gz"),
    )
