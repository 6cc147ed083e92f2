"""DDL of the `raw` schema: one typed table per landed table, plus the load's own book-keeping."""

import duckdb

from smartsessions.landing.contract import LINEAGE_COLUMNS, SQL_TYPES, TABLES

BOOKKEEPING = {
    # Every record that broke the contract, and every file rejected whole (no line, no record).
    "rejected_records": (
        ("table_name", "varchar"),
        ("source_file", "varchar"),
        ("line_number", "bigint"),  # JSON lines: the line; CSV: the line DuckDB could not split
        ("row_number", "bigint"),  # JSON lines: the line; CSV, parquet: the data row, from 1
        ("raw_record", "varchar"),
        ("reason", "varchar"),
        ("_load_id", "integer"),
        ("_loaded_at", "timestamptz"),
    ),
    # One row per file content ever offered: a file whose hash is here is skipped.
    "loaded_files": (
        ("file_hash", "varchar"),
        ("source_file", "varchar"),
        ("delivery_dir", "varchar"),
        ("table_name", "varchar"),
        ("status", "varchar"),  # loaded | rejected (the whole file)
        ("records_loaded", "bigint"),
        ("records_rejected", "bigint"),
        ("_load_id", "integer"),
        ("_loaded_at", "timestamptz"),
    ),
}


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables where they do not exist yet."""
    con.execute("create schema if not exists raw")
    tables = {
        name: [(c.name, SQL_TYPES[c.kind]) for c in table.columns] + list(LINEAGE_COLUMNS)
        for name, table in TABLES.items()
    } | {name: list(columns) for name, columns in BOOKKEEPING.items()}
    for name, columns in tables.items():
        body = ", ".join(f"{column} {sql_type}" for column, sql_type in columns)
        con.execute(f"create table if not exists raw.{name} ({body})")
