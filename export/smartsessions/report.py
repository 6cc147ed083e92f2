"""The report's tabs as dbt defines them: which mart each tab is, its headers, and its rows' SQL.

Headers come from the marts' YAML (`meta.header` of each column), so they are written in one
place. For a window, the tab marts are compiled with the window vars and their SQL is run as
it is: the exporter never recomputes a tab, it reads what dbt says.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from smartsessions.errors import SmartSessionsError

# The workbook's tabs, in order, and the mart behind each.
TABS = (
    ("High Level (detailed view)", "room_schedules"),
    ("User by countries", "room_countries"),
    ("Usage graph", "room_join_buckets"),
    ("Usage (detailed view)", "room_user_entries"),
    ("User engagement (high level)", "user_room_days"),
    ("User engagement (bubble)", "user_bubbles"),
    ("User engagement (teleport)", "user_teleports"),
)


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
    source: str  # a relation, or the compiled SQL of the windowed mart in parentheses


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

    def bounds(self) -> dict[str, str]:
        """The window as dbt vars, an open end as the widest date (the same as no bound)."""
        return {
            "report_from": (self.start or date.min).isoformat(),
            "report_to": (self.end or date.max).isoformat(),
        }


# The tab marts are compiled with these bounds, whatever the window, and the window's own
# dates are put in their place: dbt re-parses the whole project when its vars change, so one
# set of vars keeps every export on dbt's partial parse (seconds instead of a full parse).
SENTINELS = Window().bounds()


def compile_tabs(db_path: Path, window: Window) -> list[Tab]:
    """Compile the seven tab marts and describe each tab, with its rows' SQL for `window`.

    dbt runs in a child process: its parsed project would otherwise stay in the exporter's
    memory for the whole export."""
    child = subprocess.run(
        [sys.executable, "-m", "smartsessions.report", str(db_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        last_line = (child.stderr.strip().splitlines() or ["no output"])[-1]
        raise SmartSessionsError(f"dbt could not compile the report: {last_line}")
    nodes = json.loads(child.stdout.strip().splitlines()[-1])
    return [_tab(name, model, nodes[model], window) for name, model in TABS]


def _compiled_nodes(db_path: Path) -> dict[str, dict]:
    """What the exporter needs of each compiled tab mart, as plain data."""
    from smartsessions.dbt_invoke import invoke_dbt

    selected = " ".join(model for _, model in TABS)
    args = ["compile", "--select", selected, "--vars", json.dumps(SENTINELS)]
    result = invoke_dbt(db_path, args)
    if not result.success:
        raise SmartSessionsError(str(result.exception).strip().splitlines()[0])
    return {
        r.node.name: {
            "columns": [
                [column.name, column.meta["header"], column.data_type]
                for column in r.node.columns.values()
                if "header" in column.meta
            ],
            "schema": r.node.schema,
            "relation": f'"{r.node.database}"."marts"."{r.node.alias}"',
            "sql": r.node.compiled_code,
        }
        for r in result.result.results
        if r.node.resource_type == "model"
    }


def _tab(name: str, model: str, node: dict, window: Window) -> Tab:
    columns = tuple(Column(*column) for column in node["columns"])
    windowed = node["schema"] == "report"  # the report_schema() macro: the window applies
    if window.is_open or not windowed:
        # the built all-history mart (a windowed mart builds into `marts` without a window)
        source = node["relation"]
    else:
        sql = node["sql"]
        for var, sentinel in SENTINELS.items():
            sql = sql.replace(f"'{sentinel}'", f"'{window.bounds()[var]}'")
        source = f"({sql})"
    return Tab(name, model, columns, source)


if __name__ == "__main__":  # the child process of compile_tabs
    try:
        print(json.dumps(_compiled_nodes(Path(sys.argv[1]))))
    except SmartSessionsError as error:
        sys.exit(str(error))
