"""`smartsessions export --format csv|parquet --out FOLDER`: the report's tabs as data files, one
per tab, for analysts who load the report elsewhere: the same rows as the workbook's tabs,
columns named by their headers, dates and times as ISO text (CSV) or typed (Parquet). Written
by DuckDB straight from the published catalog, each file whole or not at all."""

import os
from pathlib import Path

from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.freshness import read_data_as_of
from smartsessions.pipeline.publish import require_published
from smartsessions.report.export import ExportSummary, find_event
from smartsessions.report.tabs import read_tabs, set_window
from smartsessions.report.window import Window, check_window
from smartsessions.sql import literal, quoted
from smartsessions.work_files import remove, work_path

FORMATS = {
    "csv": "(format csv, header true, dateformat '%Y-%m-%d', timestampformat '%Y-%m-%d %H:%M:%S')",
    "parquet": "(format parquet)",
}


def export_data_files(
    db_path: Path, event_code: str, folder: Path, fmt: str, window: Window | None = None
) -> ExportSummary:
    """Write each tab of one event app's report for `window` as `FOLDER/<tab>.<fmt>`."""
    window = check_window(window or Window())
    _check_folder(folder)
    with connect(require_published(db_path), read_only=True) as con:
        event = find_event(con, db_path, event_code)
        summary = ExportSummary(folder, event, window, read_data_as_of(con))
        set_window(con, window)
        for tab in read_tabs(con):
            columns = ", ".join(f"{c.name} as {quoted(c.header)}" for c in tab.columns)
            target = folder / f"{tab.name}.{fmt}"
            partial = work_path(target, "partial")
            try:
                written = con.execute(
                    f"copy (select {columns} from {tab.source(window)} as tab_rows"
                    " where event_id = $event_id order by report_order)"
                    f" to {literal(partial)} {FORMATS[fmt]}",
                    {"event_id": event.event_id},
                ).fetchone()[0]
                os.replace(partial, target)
            except OSError as error:
                raise SmartSessionsError(f"cannot write {target}: {error.strerror}") from None
            finally:
                remove(partial)
            summary.rows[tab.name] = written
    return summary


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
