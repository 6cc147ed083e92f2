"""DDL of the `raw` schema: one typed table per landed table, plus the load's own book-keeping."""

import duckdb

from smartsessions.landing.contract import LINEAGE_COLUMNS, SQL_TYPES, TABLES
from smartsessions.sql import literal

# The load's own book-keeping: (column, type, description); the descriptions are the tables'
# comments, which the published catalog carries for analysts (raw.loaded_files is published).
BOOKKEEPING = {
    "rejected_records": (
        "Every record that broke the contract, and every file rejected whole (no line, no record).",
        (
            ("table_name", "varchar", "The raw table the record was for."),
            ("source_file", "varchar", "The delivered file, relative to its delivery folder."),
            ("line_number", "bigint", "JSON lines: the line; CSV: the line DuckDB could not split"),
            ("row_number", "bigint", "JSON lines: the line; CSV, parquet: the data row, from 1."),
            ("raw_record", "varchar", "The record as delivered (its first 1,000 characters)."),
            ("reason", "varchar", "Why it was rejected."),
            ("_load_id", "integer", "The load that offered it."),
            ("_loaded_at", "timestamptz", "When that load ran."),
        ),
    ),
    "loaded_files": (
        "One row per file content ever offered: a file whose hash is here is skipped.",
        (
            ("file_hash", "varchar", "The hash of the file's content."),
            ("source_file", "varchar", "The delivered file, relative to its delivery folder."),
            ("delivery_dir", "varchar", "The delivery folder it was offered in."),
            ("table_name", "varchar", "The raw table it was landed in."),
            ("status", "varchar", "loaded, or rejected (the whole file)."),
            ("records_loaded", "bigint", "Its records landed."),
            ("records_rejected", "bigint", "Its records rejected (raw.rejected_records)."),
            ("_load_id", "integer", "The load that offered it."),
            ("_loaded_at", "timestamptz", "When that load ran (source freshness reads it)."),
        ),
    ),
}


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables where they do not exist yet."""
    con.execute("create schema if not exists raw")
    tables = {
        name: [(c.name, SQL_TYPES[c.kind]) for c in table.columns] + list(LINEAGE_COLUMNS)
        for name, table in TABLES.items()
    } | {name: [column[:2] for column in columns] for name, (_, columns) in BOOKKEEPING.items()}
    for name, columns in tables.items():
        body = ", ".join(f"{column} {sql_type}" for column, sql_type in columns)
        con.execute(f"create table if not exists raw.{name} ({body})")
    # Described once: a database that has them writes nothing (a build on a full disk fails
    # in dbt, where it says so, not here).
    described = dict(
        con.execute(
            "select table_name || coalesce('.' || column_name, ''), comment from ("
            " select table_name, null as column_name, comment from duckdb_tables()"
            " where schema_name = 'raw' and database_name = current_database()"
            " union all select table_name, column_name, comment from duckdb_columns()"
            " where schema_name = 'raw' and database_name = current_database())"
        ).fetchall()
    )
    for name, (description, columns) in BOOKKEEPING.items():
        if described.get(name) != description:
            con.execute(f"comment on table raw.{name} is {literal(description)}")
        for column, _, about in columns:
            if described.get(f"{name}.{column}") != about:
                con.execute(f"comment on column raw.{name}.{column} is {literal(about)}")
