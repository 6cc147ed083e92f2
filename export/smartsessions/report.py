"""The report's tabs as the build left them in the database: no dbt at export time.

Every tab mart saves, when it is built for all history, its tab's position and name, its
columns with their workbook headers, and (for a windowed tab) its compiled SQL with the window's
bounds as parameters (`macros/report/report_catalog.sql`). An export reads those rows and runs plain
SQL, read-only: the tab definitions stay in the dbt models, one per tab.
"""

import re
from dataclasses import dataclass
from datetime import date

import duckdb

from smartsessions.errors import SmartSessionsError


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    data_type: str


def read_date(text: str) -> date:
    """A report window's date as people type it, in the CLI and the portal: exactly
    YYYY-MM-DD, a real day; ValueError otherwise. date.fromisoformat alone also takes
    20260328 and week dates (2026-W13-6, 2026W136), which the help and the errors do not
    promise; [0-9], as \\d matches other scripts' digits too."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return date.fromisoformat(text)


@dataclass(frozen=True)
class Window:
    start: date | None = None
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None

    def describe(self) -> str:
        if self.is_open:
            return "all history"
        return f"{self.start or '…'} to {self.end or '…'}"

    def parameters(self) -> dict[str, date]:
        """The window as the tab queries' parameters, an open end as the widest date."""
        return {"report_from": self.start or date.min, "report_to": self.end or date.max}


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
