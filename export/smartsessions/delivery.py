"""Which file of a delivery feeds which table, and in which format (raw-landing.md, "Files")."""

import os
from dataclasses import dataclass
from pathlib import Path

from smartsessions.contract import FORMATS, TABLES, Table
from smartsessions.errors import SmartSessionsError


@dataclass(frozen=True)
class DeliveryFile:
    path: Path
    relative: str  # '/'-separated path inside the delivery folder
    table: Table
    reader: str  # json, csv or parquet
    compressed: bool


def find_delivery_files(folder: Path) -> tuple[list[DeliveryFile], list[str]]:
    """The delivery's files in byte order of their relative path, and a warning for each
    other file (hidden files and folders are ignored silently)."""
    if not folder.exists():
        raise SmartSessionsError(f"delivery folder {folder} does not exist")
    if not folder.is_dir():
        raise SmartSessionsError(f"delivery folder {folder} is not a folder")
    files, warnings = [], []
    # Python orders str by code point, which is the byte order of their UTF-8.
    for relative in sorted(_visible_files(folder)):
        file = _delivery_file(folder, relative)
        if file is None:
            warnings.append(f"skipped unknown file {relative}")
        else:
            files.append(file)
    if not files:
        raise SmartSessionsError(f"empty delivery: {folder} holds no file to load")
    return files, warnings


def _visible_files(folder: Path):
    for root, folders, names in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if not name.startswith("."):
                yield Path(root, name).relative_to(folder).as_posix()


def _delivery_file(folder: Path, relative: str) -> DeliveryFile | None:
    parts = relative.split("/")
    ending = max((e for e in FORMATS if parts[-1].endswith(e)), key=len, default=None)
    if ending is None:
        return None
    table_name = parts[0] if len(parts) > 1 else parts[0].removesuffix(ending)
    if table_name not in TABLES:
        return None
    return DeliveryFile(
        folder / relative,
        relative,
        TABLES[table_name],
        FORMATS[ending],
        ending.endswith(".gz"),
    )
