"""`smartsessions export --format csv|parquet --out FOLDER`: the report's tabs as data files, for
analysts who load the report elsewhere. One file per tab, named after its mart
(`room_join_buckets.csv`), its columns the mart's own (`bucket_start`), so that a script names
them without quoting; the same rows as the workbook's tabs, dates and times as ISO text (CSV) or
typed (Parquet). Beside them `report_info.json` says what they hold: the event app, window,
time zone, data as of, and per file its tab's workbook name, rows, and headers. Written by
DuckDB and the standard library straight from the published catalog, each file whole or not at
all."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.freshness import read_data_as_of
from smartsessions.pipeline.publish import require_published
from smartsessions.report.export import ExportSummary, find_event
from smartsessions.report.tabs import Tab, read_tabs, set_window
from smartsessions.report.window import Window, check_window
from smartsessions.sql import literal
from smartsessions.work_files import remove, work_path

FORMATS = {
    "csv": "(format csv, header true, dateformat '%Y-%m-%d', timestampformat '%Y-%m-%d %H:%M:%S')",
    "parquet": "(format parquet)",
}
INFO_FILE = "report_info.json"


def export_data_files(
    db_path: Path, event_code: str, folder: Path, fmt: str, window: Window | None = None
) -> ExportSummary:
    """Write each tab of one event app's report for `window` as `FOLDER/<mart>.<fmt>`, then
    `FOLDER/report_info.json`."""
    window = check_window(window or Window())
    _check_folder(folder)
    with connect(require_published(db_path), read_only=True) as con:
        event = find_event(con, db_path, event_code)
        summary = ExportSummary(folder, event, window, read_data_as_of(con))
        set_window(con, window)
        tabs = read_tabs(con)
        for tab in tabs:
            columns = ", ".join(column.name for column in tab.columns)
            with _whole(folder / f"{tab.model}.{fmt}") as partial:
                summary.rows[tab.name] = con.execute(
                    f"copy (select {columns} from {tab.source(window)} as tab_rows"
                    " where event_id = $event_id order by report_order)"
                    f" to {literal(partial)} {FORMATS[fmt]}",
                    {"event_id": event.event_id},
                ).fetchone()[0]
    with _whole(folder / INFO_FILE) as partial:
        partial.write_text(report_info(summary, tabs, fmt), encoding="utf-8")
    return summary


def report_info(summary: ExportSummary, tabs: list[Tab], fmt: str) -> str:
    """What the files hold, as JSON: keys in the order written here, every run the same."""
    event, window, as_of = summary.event, summary.window, summary.data_as_of
    info = {
        "event": {"code": event.event_id, "name": event.event_name},
        "window": {"from": _iso(window.start), "to": _iso(window.end)},  # null: open
        "time_zone": event.timezone,
        "data_as_of": {"last_load": _utc(as_of.last_load), "last_build": _utc(as_of.last_build)},
        "files": {
            f"{tab.model}.{fmt}": {
                "tab": tab.name,
                "rows": summary.rows[tab.name],
                "columns": {column.header: column.name for column in tab.columns},
            }
            for tab in tabs
        },
    }
    return json.dumps(info, indent=2, ensure_ascii=False) + "\n"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _utc(moment: datetime | None) -> str | None:
    """A naive UTC moment as ISO 8601 with its zone, to the second: 2026-03-31T09:15:00Z."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z" if moment else None


@contextmanager
def _whole(target: Path) -> Iterator[Path]:
    """A work file to write `target` through, renamed to it when written: the file appears
    whole or not at all."""
    partial = work_path(target, "partial")
    try:
        yield partial
        os.replace(partial, target)
    except OSError as error:
        raise SmartSessionsError(f"cannot write {target}: {error.strerror}") from None
    finally:
        remove(partial)


def _check_folder(folder: Path) -> None:
    if folder.suffix.lower() == ".xlsx":  # a workbook's name, surely meant for --format xlsx
        raise SmartSessionsError(
            f"--out {folder} names a workbook: csv and parquet files go into a folder"
        )
    if folder.exists() and not folder.is_dir():
        raise SmartSessionsError(f"--out {folder} is not a folder")
    if not folder.parent.is_dir():
        raise SmartSessionsError(f"output folder {folder.parent} does not exist")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:  # a parent that takes no folders (/proc), or not ours to write in
        raise SmartSessionsError(
            f"cannot create output folder {folder}: {error.strerror}"
        ) from None
    if not os.access(folder, os.W_OK):
        raise SmartSessionsError(f"output folder {folder} is not writable")
