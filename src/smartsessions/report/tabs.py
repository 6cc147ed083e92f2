"""The report's tabs as the build left them in the database: no dbt at export time.

Every tab mart saves, when it is built for all history, its tab's position and name, its
columns with their workbook headers, and (for a windowed tab) its compiled SQL with the window's
bounds as parameters (`macros/report/report_catalog.sql`). An export reads those rows and runs plain
SQL, read-only: the tab definitions stay in the dbt models, one per tab.
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
    windowed_query: str | None  # the mart's SQL for any window; None when the window does not apply

    def source(self, window: Window) -> str:
        """What the tab's rows are read from: the mart, or its SQL when a window applies."""
        if window.is_open or self.windowed_query is None:
            return self.relation
        return f"({self.windowed_query})"


def read_tabs(con: duckdb.DuckDBPyConnection) -> list[Tab]:
    """The report's tabs in order, as the last build saved them."""
    tabs = con.execute(
        "select tab_name, model, relation, windowed_query from marts.report_tabs order by tab_order"
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
        Tab(name, model, tuple(columns.get(model, ())), relation, query)
        for name, model, relation, query in tabs
    ]
