"""The export's floor: the same tab SQL run in DuckDB, the same rows through XlsxWriter alone.

Usage: export_floor.py DB OUT EVENT [FROM TO]. Reads each tab as the export does (the built mart
for all history, the tab's report view for a window), writes its rows with XlsxWriter's
constant-memory `write_row` (no cell types, formats, widths or charts), and prints the rows.
"""

import sys

import duckdb
import xlsxwriter


def main(db: str, out: str, event: str, start: str | None = None, end: str | None = None) -> None:
    con = duckdb.connect(db, read_only=True)
    for name, bound in (("report_from", start), ("report_to", end)):
        con.execute(f"set variable {name} = cast(? as date)", [bound])
    tabs = con.execute(
        "select tab_name, model, relation, window_relation from marts.report_tabs"
        " order by tab_order"
    ).fetchall()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    rows = 0
    for name, model, relation, window_relation in tabs:
        columns = con.execute(
            "select string_agg(column_name, ', ' order by column_order)"
            " from marts.report_tab_columns where model = ?",
            [model],
        ).fetchone()[0]
        windowed = window_relation is not None and (start or end)
        cursor = con.execute(
            f"select {columns} from {window_relation if windowed else relation} as tab_rows"
            " where event_id = $event_id order by report_order",
            {"event_id": event},
        )
        sheet = book.add_worksheet(name)
        written = 0
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                written += 1
                sheet.write_row(written, 0, row)
        rows += written
    book.close()
    print(rows)


if __name__ == "__main__":
    main(*sys.argv[1:])
