"""The report's tabs as the build left them in the database: no dbt at export time.

Every tab mart saves, when it is built for all history, its tab's position and name, its
columns with their workbook headers, and (for a windowed tab) its report view, `report.<tab>`,
which reads the window from the session variables `report_from` and `report_to`
(`macros/report/report_catalog.sql`). An export reads those rows and queries the marts or the
views, read-only: the tab definitions stay in the dbt models.
"""

from dataclasses import dataclass

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.report.window import Window


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    data_type: str


@dataclass(frozen=True)
class Tab:
    name: str
    model: str
    columns: tuple[Column, ...]  # the tab's columns, in order
    relation: str  # the built mart (all history)
    window_relation: str | None  # the report view for any window; None when no window applies

    def source(self, window: Window) -> str:
        """What the tab's rows are read from: the mart, or its report view when a window
        applies (the reader sets the window first, `set_window`)."""
        if window.is_open or self.window_relation is None:
            return self.relation
        return self.window_relation


def read_tabs(con: duckdb.DuckDBPyConnection) -> list[Tab]:
    """The report's tabs in order, as the last build saved them."""
    tabs = con.execute(
        "select tab_name, model, relation, window_relation from marts.report_tabs"
        " order by tab_order"
    ).fetchall()
    columns: dict[str, list[Column]] = {}
    for model, name, header, data_type in con.execute(
        "select model, column_name, header, data_type from marts.report_tab_columns"
        " order by model, column_order"
    ).fetchall():
        columns.setdefault(model, []).append(Column(name, header, data_type))
    if not tabs:
        raise SmartSessionsError("the database has no report tabs: run `smartsessions build`")
    return [
        Tab(name, model, tuple(columns.get(model, ())), relation, window_relation)
        for name, model, relation, window_relation in tabs
    ]


def set_window(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """The window the report views read on this connection (an open end: unset)."""
    for name, bound in (("report_from", window.start), ("report_to", window.end)):
        con.execute(f"set variable {name} = cast(? as date)", [bound])
