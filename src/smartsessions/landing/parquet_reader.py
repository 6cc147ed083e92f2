"""The parquet reader: every column as text into a temp table, by the names its schema holds."""

from smartsessions.landing.checks import check_all_read, column_positions, null_text
from smartsessions.landing.contract import Table
from smartsessions.sql import quoted


def read_parquet(con, table: Table, source: str) -> str:
    names = _parquet_column_names(con, source)
    positions = column_positions(table, names, "its parquet schema")
    values = ", ".join(
        f"cast({quoted(names[positions[name]])} as varchar) as {quoted(name)}"
        if name in positions
        else null_text(name)
        for name in table.column_names
    )
    con.execute(
        f"""
        create temp table parquet_rows as
        select file_row_number + 1 as _row, null::bigint as _line, null::varchar as _raw,
            null::varchar as _fault, {values}
        from read_parquet({source}, file_row_number = true)
        """
    )
    footer = con.execute(f"select num_rows from parquet_file_metadata({source})").fetchone()[0]
    check_all_read(con, ("parquet_rows",), f"of the {footer:,} rows its footer counts", footer)
    return "parquet_rows"


def _parquet_column_names(con, source: str) -> list[str]:
    """The file's column names as written. DuckDB's own read renames a column whose name
    repeats another's, case aside (`A` beside `a` becomes `A_1`), so the names come from the
    schema itself: its elements depth first, the root's children being the columns."""
    elements = con.execute(
        f"select name, num_children from parquet_schema({source}) order by column_id"
    ).fetchall()
    names, nested_left = [], 0  # elements left in the nested column being skipped
    for name, children in elements[1:]:
        if nested_left:
            nested_left += (children or 0) - 1
        else:
            names.append(name)
            nested_left = children or 0
    return names
