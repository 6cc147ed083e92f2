"""`smartsessions export`: one event app's report, read from the marts, written as a workbook.

The export opens the published catalog once, read-only, and runs plain SQL: the tabs'
definitions are what the build saved (`tabs.py`), and a window is two session variables the
tabs' report views read. It never runs dbt,
never starts a process and never touches the working database, so any number of exports and
analysts read side by side, and beside a refresh.
"""

import os
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from smartsessions.database import connect
from smartsessions.engine import engine_for
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.freshness import DataAsOf, read_data_as_of
from smartsessions.pipeline.publish import require_published
from smartsessions.report.charts import TimeChart
from smartsessions.report.event_codes import lookup_code
from smartsessions.report.tabs import Tab, read_tabs, set_window
from smartsessions.report.window import Window, check_window
from smartsessions.report.workbook import EXCEL_MAX_DATA_ROWS, ReportWorkbook
from smartsessions.work_files import remove, remove_abandoned, work_path

# The Usage graph tab charts the rooms its mart marks `is_charted` (report-sheets.md): joins
# and unique joins against the bucket's start, one chart per room.
USAGE_GRAPH_MODEL = "room_join_buckets"
# Report info counts the window's visits closed without a natural end from this tab's mart.
OCCUPANCY_MODEL = "room_occupancy"
# Rows sorted per query of a built mart (DuckDB sorts one page, never the whole tab), and
# rows held in Python at a time.
PAGE_ROWS = 50_000
FETCH_ROWS = 2_000


@dataclass(frozen=True)
class Event:
    event_id: str
    event_name: str | None
    timezone: str
    bucket_minutes: int
    max_visit_minutes: int


@dataclass
class ExportSummary:
    path: Path
    event: Event
    window: Window
    data_as_of: DataAsOf
    rows: dict[str, int] = field(default_factory=dict)
    cells_cut: int = 0  # text cells longer than a cell holds, cut
    dates_as_text: int = 0  # local dates and date-times before 1900, which Excel cannot hold

    def describe(self) -> str:
        tabs = ", ".join(f"{name}: {count:,}" for name, count in self.rows.items())
        return f"wrote {self.path} for {self.event.event_id} ({self.window.describe()}): {tabs}"


def export_report(
    db_path: Path,
    event_code: str,
    out: Path,
    window: Window | None = None,
    progress: bool = False,
    max_rows: int = EXCEL_MAX_DATA_ROWS,
    target: str = "duckdb",
) -> ExportSummary:
    """Write the report of one event app and window to `out` (all or nothing), from the
    catalog the engine's build left for readers (DuckDB: the published catalog)."""
    window = check_window(window or Window())
    _check_out(out)
    remove_abandoned(out)  # work files of an export of the same file that was killed
    partial, parts = work_path(out, "partial"), work_path(out, "parts")
    try:
        with (
            engine_for(target).report_catalog(db_path, event_code, window, out) as catalog,
            connect(catalog, read_only=True) as con,
        ):
            event = find_event(con, db_path, event_code)
            tabs = read_tabs(con)
            set_window(con, window)
            summary = ExportSummary(out, event, window, read_data_as_of(con))
            parts.mkdir()
            book = ReportWorkbook(partial, max_rows, work_dir=parts)
            with _progress_bar(progress) as bar:
                for tab in tabs:
                    advance = _advance(bar, tab.name)
                    summary.rows[tab.name] = _write_tab(book, con, tab, event, window, advance)
            summary.cells_cut = book.cells_cut
            summary.dates_as_text = book.dates_as_text
            _write_report_info(book, con, tabs, summary)
            book.close()
        os.replace(partial, out)  # the file appears whole, or not at all
    except OSError as error:  # a full disk, a folder gone or made read-only meanwhile
        raise SmartSessionsError(f"cannot write {out}: {error.strerror or error}") from None
    finally:
        remove(partial)
        remove(parts)
    return summary


def busiest_event(db_path: Path) -> str:
    """The event app with the most counted joins (the demo exports it)."""
    with connect(require_published(db_path), read_only=True) as con:
        found = con.execute(
            "select event_id from marts.event_apps order by join_count desc, event_id limit 1"
        ).fetchone()
    if not found:
        raise SmartSessionsError(f"database {db_path} has no event app to report on")
    return found[0]


def _check_out(out: Path) -> None:
    if out.suffix.lower() != ".xlsx":
        raise SmartSessionsError(f"--out {out} must end in .xlsx")
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise SmartSessionsError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise SmartSessionsError(f"output folder {folder} is not writable")
    if out.is_dir():
        raise SmartSessionsError(f"--out {out} is a folder, not a file")
    if out.exists() and not out.is_file():  # a device, a FIFO, a socket: never replaced
        raise SmartSessionsError(f"--out {out} exists and is not a regular file")


def find_event(con: duckdb.DuckDBPyConnection, db_path: Path, code: str) -> Event:
    built = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'marts' and table_name in ('event_apps', 'report_tabs')"
    ).fetchone()[0]
    if built < 2:
        raise SmartSessionsError(f"database {db_path} is not built yet: run `smartsessions build`")
    known = [row[0] for row in con.execute("select event_id from marts.event_apps").fetchall()]
    found = con.execute(
        "select event_id, event_name, timezone, bucket_minutes, max_visit_minutes"
        " from marts.event_apps"
        " where event_id = ?",
        [lookup_code(known, code, any_case=False)],  # exact: the CLI's rule (event_codes.py)
    ).fetchone()
    return Event(*found)


def _rows(
    con: duckdb.DuckDBPyConnection, tab: Tab, event: Event, window: Window, extra: str = ""
) -> Iterator[tuple]:
    """The tab's rows in report order. A windowed tab is one query of its report view; a built
    mart is read a page at a time, so DuckDB never sorts a whole tab: report_order numbers an
    event app's rows 1, 2, 3, ... (tested), so a short page is the last."""
    columns = ", ".join(column.name for column in tab.columns) + extra
    select = f"select {columns} from {tab.source(window)} as tab_rows where event_id = $event_id"
    if tab.source(window) != tab.relation:
        cursor = con.execute(f"{select} order by report_order", {"event_id": event.event_id})
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield from batch
        return
    page = f"{select} and report_order > $first and report_order <= $last order by report_order"
    first, read = 0, PAGE_ROWS
    while read == PAGE_ROWS:
        bounds = {"event_id": event.event_id, "first": first, "last": first + PAGE_ROWS}
        cursor, read = con.execute(page, bounds), 0
        while batch := cursor.fetchmany(FETCH_ROWS):
            read += len(batch)
            yield from batch
        first += PAGE_ROWS


def _write_tab(book: ReportWorkbook, con, tab: Tab, event: Event, window: Window, advance) -> int:
    headers = [(column.header, column.data_type) for column in tab.columns]
    if tab.model != USAGE_GRAPH_MODEL:
        rows = _rows(con, tab, event, window)
        return book.write_tab(tab.name, headers, rows, advance).rows
    names = [column.name for column in tab.columns]
    chart = TimeChart(
        key_column=names.index("room_name"),
        x_column=names.index("bucket_start"),
        y_columns=(names.index("join_count"), names.index("unique_user_count")),
        y_title="Joins",
    )
    rows = _rows(con, tab, event, window, extra=", is_charted")
    return book.write_tab(tab.name, headers, rows, advance, chart).rows


def _write_report_info(book: ReportWorkbook, con, tabs: list[Tab], summary: ExportSummary):
    event, window, as_of = summary.event, summary.window, summary.data_as_of
    open_end = "all history" if window.is_open else "open"
    left_out = con.execute(
        "select reason_description, record_count from marts.data_quality"
        " where event_id = ? and reason_kind = 'left_out' order by reason_order",
        [event.event_id],
    ).fetchall()
    items = [
        ("Event id/short-code", event.event_id, "varchar"),
        ("Event name", event.event_name, "varchar"),
        ("Time zone", event.timezone, "varchar"),
        ("Window from", window.start or open_end, "date"),
        ("Window to", window.end or open_end, "date"),
    ]
    windowed = [tab.name for tab in tabs if tab.window_relation is not None]
    if not any(summary.rows[name] for name in windowed):
        no_activity = f"No activity in {window.describe()}: the tabs list the rooms only"
        items.append(("Activity", no_activity, "varchar"))
    items += [
        ("Bucket minutes", event.bucket_minutes, "integer"),
        ("Longest visit (minutes)", event.max_visit_minutes, "integer"),
        ("Generated at (UTC)", datetime.now(UTC).replace(tzinfo=None), "timestamp"),
        ("Data as of: last load (UTC)", as_of.last_load, "timestamp"),
        ("Data as of: last successful build (UTC)", as_of.last_build, "timestamp"),
    ]
    items += [(f"Rows: {name}", count, "bigint") for name, count in summary.rows.items()]
    items.append(("Text cells cut to 32,767 characters", summary.cells_cut, "bigint"))
    items.append(("Dates before 1900 written as text", summary.dates_as_text, "bigint"))
    items += [(f"Left out: {reason}", count, "bigint") for reason, count in left_out]
    items += _visits_without_a_natural_end(con, tabs, event, window)
    book.write_info("Report info", items)


def _visits_without_a_natural_end(con, tabs: list[Tab], event: Event, window: Window) -> list:
    """The window's visits that were still open and closed at the scheduled end or the cap."""
    (occupancy,) = [tab for tab in tabs if tab.model == OCCUPANCY_MODEL]
    closed = con.execute(
        "select coalesce(sum(closed_at_scheduled_end_count), 0),"
        " coalesce(sum(closed_at_cap_count), 0)"
        f" from {occupancy.source(window)} as tab_rows where event_id = $event_id",
        {"event_id": event.event_id},
    ).fetchone()
    return [
        ("Visits closed without a natural end: at the room's scheduled end", closed[0], "bigint"),
        (
            f"Visits closed without a natural end: after {event.max_visit_minutes} minutes",
            closed[1],
            "bigint",
        ),
    ]


def _progress_bar(enabled: bool):
    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        transient=True,
    )


def _advance(bar, description: str):
    if bar is None:
        return lambda rows: None
    task = bar.add_task(description, total=None)
    return lambda rows: bar.advance(task, rows)
