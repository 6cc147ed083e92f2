"""The writer's peer: pandas.DataFrame.to_excel of the same rows, every tab of one event app.

Usage: pandas_export.py DB OUT EVENT ENGINE (xlsxwriter, pandas' default when it is installed,
or openpyxl).
"""

import sys

import duckdb
import pandas


def main(db: str, out: str, event: str, engine: str) -> None:
    con = duckdb.connect(db, read_only=True)
    tabs = con.execute(
        "select tab_name, model from marts.report_tabs order by tab_order"
    ).fetchall()
    with pandas.ExcelWriter(out, engine=engine) as writer:
        for name, model in tabs:
            frame = con.execute(
                f"select * from marts.{model} where event_id = ? order by report_order", [event]
            ).df()
            frame.to_excel(writer, sheet_name=name[:31], index=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
