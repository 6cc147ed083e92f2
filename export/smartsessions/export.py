"""`smartsessions export`: one event app's report, read from the marts, written as a workbook."""

import difflib
import os
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError
from smartsessions.report import Tab, Window, compile_tabs
from smartsessions.workbook import CHARTED_ROOMS, EXCEL_MAX_DATA_ROWS, ChartedRoom, ReportWorkbook

USAGE_GRAPH_MODEL = "room_join_buckets"
# Rows sorted per query (a windowed tab's query runs again for each page: few windows are
# longer than a page), and rows held in Python at a time.
PAGE_ROWS = 50_000
FETCH_ROWS = 10_000


@dataclass(frozen=True)
class Event:
    event_id: str
    event_name: str | None
    timezone: str


@dataclass
class ExportSummary:
    path: Path
    event: Event
    window: Window
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        tabs = ", ".join(f"{name}: {count:,}" for name, count in self.rows.items())
        return f"wrote {self.path} for {self.event.event_id} ({self.window.describe()}): {tabs}"


def parse_date(text: str | None, option: str) -> date | None:
    """A --from/--to value: YYYY-MM-DD, or None when not given."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SmartSessionsError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


def export_report(
    db_path: Path,
    event_code: str,
    out: Path,
    window: Window | None = None,
    progress: bool = False,
    max_rows: int = EXCEL_MAX_DATA_ROWS,
) -> ExportSummary:
    """Write the report of one event app and window to `out` (all or nothing)."""
    window = window or Window()
    if window.start and window.end and window.start > window.end:
        raise SmartSessionsError(f"--from {window.start} is after --to {window.end}")
    _check_writable(out)
    with connect(db_path, read_only=True) as con:  # before dbt: clear errors, nothing created
        event = _find_event(con, db_path, event_code)
    tabs = compile_tabs(db_path, window)
    summary = ExportSummary(out, event, window)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with connect(db_path, read_only=True) as con:
            book = ReportWorkbook(partial, max_rows)
            with _progress_bar(progress) as bar:
                bucket_minutes = None
                for tab in tabs:
                    task = bar.add_task(tab.name, total=None) if bar else None
                    advance = (
                        (lambda n, task=task: bar.advance(task, n)) if bar else (lambda n: None)
                    )
                    if tab.model == USAGE_GRAPH_MODEL:
                        rows, bucket_minutes = _write_usage_graph(book, con, tab, event, advance)
                    else:
                        rows = _write_tab(book, con, tab, event, advance)
                    summary.rows[tab.name] = rows
            _write_report_info(book, con, summary, bucket_minutes)
            book.close()
        os.replace(partial, out)  # the file appears whole, or not at all
    finally:
        partial.unlink(missing_ok=True)
    return summary


def busiest_event(db_path: Path) -> str:
    """The event app with the most counted joins (the demo exports it)."""
    with connect(db_path, read_only=True) as con:
        found = con.execute(
            "select event_id from marts.event_apps order by join_count desc, event_id limit 1"
        ).fetchone()
    if not found:
        raise SmartSessionsError(f"database {db_path} has no event app to report on")
    return found[0]


def _check_writable(out: Path) -> None:
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise SmartSessionsError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise SmartSessionsError(f"output folder {folder} is not writable")
    if out.is_dir():
        raise SmartSessionsError(f"--out {out} is a folder, not a file")


def _find_event(con: duckdb.DuckDBPyConnection, db_path: Path, code: str) -> Event:
    built = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'marts' and table_name = 'event_apps'"
    ).fetchone()[0]
    if not built:
        raise SmartSessionsError(f"database {db_path} is not built yet: run `smartsessions build`")
    found = con.execute(
        "select event_id, event_name, timezone from marts.event_apps where event_id = ?", [code]
    ).fetchone()
    if found:
        return Event(*found)
    known = [row[0] for row in con.execute("select event_id from marts.event_apps").fetchall()]
    by_lower = {event_id.lower(): event_id for event_id in known}
    close = difflib.get_close_matches(code.lower(), by_lower, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(by_lower[c] for c in close)}?" if close else ""
    raise SmartSessionsError(f"unknown event code {code!r}{hint}")


def _rows(
    con: duckdb.DuckDBPyConnection, tab: Tab, event: Event, extra: str = ""
) -> Iterator[tuple]:
    """The tab's rows in report order, a page at a time: DuckDB sorts one page, never the whole
    tab, so memory stays flat however long the tab. report_order numbers an event app's rows
    1, 2, 3, ... (tested), so a short page is the last."""
    columns = ", ".join(column.name for column in tab.columns) + extra
    page = (
        f"select {columns} from {tab.source} as tab_rows where event_id = ?"
        " and report_order > ? and report_order <= ? order by report_order"
    )
    start, read = 0, PAGE_ROWS
    while read == PAGE_ROWS:
        cursor, read = con.execute(page, [event.event_id, start, start + PAGE_ROWS]), 0
        while batch := cursor.fetchmany(FETCH_ROWS):
            read += len(batch)
            yield from batch
        start += PAGE_ROWS


def _headers(tab: Tab) -> list[tuple[str, str]]:
    return [(column.header, column.data_type) for column in tab.columns]


def _write_tab(book: ReportWorkbook, con, tab: Tab, event: Event, advance) -> int:
    return book.write_tab(tab.name, _headers(tab), _rows(con, tab, event), advance).rows


def _write_usage_graph(book: ReportWorkbook, con, tab: Tab, event: Event, advance):
    """The Usage graph tab, noting where the top rooms' rows land for their charts."""
    spans: dict[str, list[int]] = {}  # room name -> [first, last] data row ordinal
    names = [column.name for column in tab.columns]
    room_name = names.index("room_name")
    bucket_minutes = None

    def shown(rows):
        nonlocal bucket_minutes
        for ordinal, (*row, room_rank, minutes) in enumerate(rows, start=1):
            bucket_minutes = minutes
            if room_rank <= CHARTED_ROOMS:
                spans.setdefault(row[room_name], [ordinal, ordinal])[1] = ordinal
            yield row

    extra = ", room_rank, bucket_minutes"
    written = book.write_tab(tab.name, _headers(tab), shown(_rows(con, tab, event, extra)), advance)
    rooms = []
    for name, (first, last) in spans.items():
        sheet_index, first_row = book.locate(first)
        last_sheet, last_row = book.locate(last)
        if last_sheet != sheet_index:  # a room split over two sheets: chart its first part
            last_row = book.max_rows + 1
        rooms.append(ChartedRoom(name, sheet_index, first_row, last_row))
    book.add_usage_charts(
        written.sheets,
        rooms,
        name_column=room_name + 1,
        join_column=names.index("join_count") + 1,
        start_column=names.index("bucket_start") + 1,
    )
    return written.rows, bucket_minutes


def _write_report_info(book: ReportWorkbook, con, summary: ExportSummary, bucket_minutes) -> None:
    event = summary.event
    left_out = con.execute(
        "select reason_description, record_count from marts.data_quality"
        " where event_id = ? order by reason_order",
        [event.event_id],
    ).fetchall()
    items = [
        ("Event id/short-code", event.event_id, "varchar"),
        ("Event name", event.event_name, "varchar"),
        ("Time zone", event.timezone, "varchar"),
        ("Window from", summary.window.start or "all history", "date"),
        ("Window to", summary.window.end or "all history", "date"),
        ("Bucket minutes", bucket_minutes, "integer"),
        ("Generated at (UTC)", datetime.now(UTC).replace(tzinfo=None), "timestamp"),
    ]
    items += [(f"Rows: {name}", count, "bigint") for name, count in summary.rows.items()]
    items += [(f"Left out: {reason}", count, "bigint") for reason, count in left_out]
    book.write_info("Report info", items)


def _progress_bar(enabled: bool):
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        transient=True,
    )
