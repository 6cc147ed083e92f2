"""Writing a delivery's files, streamed, in the formats raw-landing.md allows.

The generator hands records over table by table; this module decides the files (a single file
or a folder of parts per table), writes JSON lines, CSV or parquet, and keeps count of lines
and rows so that each planted malformed record is known by its place in its file.
"""

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from smartsessions.landing.contract import TABLES
from smartsessions.sql import literal

# Per format, each table's layout: (ending, whether its records go in a folder of parts).
MIXED_LAYOUT = {
    "event_apps": (".csv", False),
    "rooms": (".jsonl", False),
    "attendees": (".csv", False),
    "room_joins": (".jsonl.gz", True),
    "room_leaves": (".csv.gz", False),
    "bubble_events": (".ndjson", True),
    "teleports": (".parquet", False),
    "chat_messages": (".csv.gz", False),
}
ACTIVITY_TABLES = {name for name, table in TABLES.items() if table.is_activity}


@dataclass(frozen=True)
class PlantedReject:
    """A malformed record written on purpose, and where the loader will find it."""

    table: str
    source_file: str
    line_number: int | None
    row_number: int | None
    reason_kind: str


@dataclass
class GeneratedDelivery:
    folder: Path
    files: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    planted: list[PlantedReject] = field(default_factory=list)

    def describe(self) -> str:
        total = sum(self.records.values())
        return (
            f"wrote {len(self.files)} files, {total:,} records ({len(self.planted)} malformed "
            f"on purpose) to {self.folder}"
        )


class TableFile:
    """One file being written, with its line and row counts."""

    def __init__(self, folder: Path, relative: str, table: str):
        self.path = folder / relative
        self.relative = relative
        self.columns = TABLES[table].column_names
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lines = 0  # physical lines written (CSV: the header is line 1)
        self.rows = 0  # records a reader can split (CSV, parquet) or lines (JSON)

    def close(self) -> None:
        self.handle.close()


class JsonLinesFile(TableFile):
    format = "json"

    def __init__(self, folder: Path, relative: str, table: str):
        super().__init__(folder, relative, table)
        self.handle = _open_text(self.path, newline="\n")

    def write(self, record: dict) -> None:
        present = {key: value for key, value in record.items() if value is not None}
        self.write_raw(json.dumps(present, ensure_ascii=False))

    def write_raw(self, line: str) -> None:
        self.handle.write(line + "\n")
        self.lines += 1
        self.rows += 1


class CsvFile(TableFile):
    format = "csv"

    def __init__(self, folder: Path, relative: str, table: str):
        super().__init__(folder, relative, table)
        self.handle = _open_text(self.path, newline="")
        self.csv = csv.writer(self.handle, lineterminator="\n")
        self.csv.writerow(self.columns)
        self.lines = 1

    def write(self, record: dict) -> None:
        self.csv.writerow([_csv_value(record.get(column)) for column in self.columns])
        self.lines += 1
        self.rows += 1

    def write_raw(self, line: str) -> None:
        """A line that is not a well-formed row (it is not counted as a row)."""
        self.handle.write(line + "\n")
        self.lines += 1


class ParquetFile(CsvFile):
    """Written as a CSV beside it, then converted by DuckDB (every column as text)."""

    format = "parquet"

    def __init__(self, folder: Path, relative: str, table: str):
        super().__init__(folder, relative + ".tmp.csv", table)
        self.parquet_path = folder / relative
        self.relative = relative

    def close(self) -> None:
        super().close()
        source, target = literal(self.path), literal(self.parquet_path)
        with duckdb.connect() as con:
            con.execute(
                f"copy (select * from read_csv({source}, all_varchar = true, header = true))"
                f" to {target} (format parquet)"
            )
        self.path.unlink()


# Malformed lines (not records) each format can carry.
STRUCTURAL_PLANTS = {
    "json": ("invalid JSON", "not a JSON object"),
    "csv": ("wrong number of fields",),
}
WRITERS = {".jsonl": JsonLinesFile, ".ndjson": JsonLinesFile, ".csv": CsvFile}


def _open_text(path: Path, newline: str):
    """A UTF-8 text file, gzip-compressed when its name says so; gzip with no timestamp, so
    that the same seed writes the same bytes."""
    if path.name.endswith(".gz"):
        compressed = gzip.GzipFile(path, "wb", mtime=0)
        return io.TextIOWrapper(compressed, encoding="utf-8", newline=newline)
    return path.open("w", encoding="utf-8", newline=newline)


def _writer_for(ending: str):
    if ending == ".parquet":
        return ParquetFile
    return WRITERS[ending.removesuffix(".gz")]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DeliveryWriter:
    """Routes records to their table's file (or part) and collects what was written."""

    def __init__(self, folder: Path, fmt: str):
        self.folder = folder
        self.fmt = fmt
        self.files: dict[tuple[str, str], TableFile] = {}
        self.records: dict[str, int] = {}
        self.planted = []

    def write(self, table: str, record: dict, part: str = "main") -> None:
        self.file(table, part).write(record)
        self.records[table] = self.records.get(table, 0) + 1

    def plant(self, table: str, kind: str, record: dict | str) -> None:
        """A malformed record, where this table's format can carry it."""
        file = self.file(table, "main")
        if isinstance(record, str):
            if kind not in STRUCTURAL_PLANTS.get(file.format, ()):
                return
            file.write_raw(record)
            line = file.lines
            row = file.rows if file.format == "json" else None
        else:
            file.write(record)
            line = file.lines if file.format == "json" else None
            row = file.rows
        self.records[table] = self.records.get(table, 0) + 1
        self.planted.append(PlantedReject(table, file.relative, line, row, kind))

    def file(self, table: str, part: str) -> TableFile:
        ending, in_parts = self.layout(table)
        key = (table, part if in_parts else "main")
        if key not in self.files:
            relative = f"{table}/{key[1]}/part-1{ending}" if in_parts else f"{table}{ending}"
            self.files[key] = _writer_for(ending)(self.folder, relative, table)
        return self.files[key]

    def layout(self, table: str) -> tuple[str, bool]:
        if self.fmt == "mixed":
            return MIXED_LAYOUT[table]
        return f".{self.fmt}", table in ACTIVITY_TABLES

    def close(self) -> GeneratedDelivery:
        for file in self.files.values():
            file.close()
        return GeneratedDelivery(
            folder=self.folder,
            files=sorted(file.relative for file in self.files.values()),
            records=dict(self.records),
            planted=self.planted,
        )
