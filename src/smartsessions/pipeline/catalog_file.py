"""What the published catalog holds, written into its file while it is attached as
`published_next` (publish.py swaps it in): the small relations as tables, the big ones as views
over their lake files, the report views as DuckDB keeps them, the descriptions of every
relation and column, and the catalog's own book-keeping (schema `publication`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from smartsessions.sql import exact_path, literal, quoted

CATALOG_SCHEMA = "publication"  # the catalog's own book-keeping
# The oldest storage format DuckDB 2 writes that every client from 1.1 on reads (analysts.md):
# readers' tools bundle their own DuckDB, often older than ours.
STORAGE_VERSION = "v1.1.0"
# Its tables, described like every other published relation and column.
CATALOG_TABLES = {
    "partitions": "One row per lake file this catalog reads: a partition of a big relation.",
    "retired_files": "Lake files no longer read, kept an hour for readers of earlier catalogs.",
    "published": "This publication: when, the latest load it includes, freshness thresholds.",
}
CATALOG_COLUMNS = {
    "partitions": {
        "relation": "A published relation cut into files (schema.name).",
        "partition_key": "The partition the file holds (event app, local date).",
        "fingerprint": "A hash of the partition's rows: an unchanged partition keeps its file.",
        "file": "The parquet file in the lake.",
    },
    "retired_files": {
        "file": "A lake file this catalog no longer names, kept for readers of earlier ones.",
        "retired_at": "When it was retired: it is removed an hour later.",
    },
    "published": {
        "published_at": "When this catalog was published (UTC).",
        "load_id": "The latest load its marts include.",
        "freshness_warn_hours": "Hours without a new load before status warns.",
        "freshness_error_hours": "Hours without a new load before status fails.",
    },
}


@contextmanager
def attached(con, staging: Path) -> Iterator[None]:
    """The new catalog file at `staging`, attached to `con` as `published_next`."""
    con.execute(
        f"attach {literal(staging)} as published_next (storage_version '{STORAGE_VERSION}')"
    )
    try:
        yield
    finally:
        con.execute("detach published_next")


@dataclass(frozen=True)
class ReportView:
    definition: str  # its CREATE VIEW statement, as DuckDB keeps it
    inputs: tuple[str, ...]  # the relations it reads, as the build saved them


def report_views(con) -> dict[str, ReportView]:
    """The windowed tabs' report views (`report.<tab>`), by relation."""
    rows = con.execute(
        "select tabs.window_relation, views.sql, tabs.window_inputs"
        " from marts.report_tabs as tabs inner join duckdb_views() as views"
        " on views.database_name = current_database()"
        " and tabs.window_relation = views.schema_name || '.' || views.view_name"
    ).fetchall()
    return {relation: ReportView(sql, tuple(inputs.split(","))) for relation, sql, inputs in rows}


def copy_comments(con) -> None:
    """Every published relation and column carries the description the build gave it (dbt's
    persist_docs), so that `duckdb_columns()` on the catalog documents it."""
    (working,) = con.execute("select current_database()").fetchone()
    relations = con.execute(
        "select published.schema_name, published.table_name, published.kind, source.comment"
        " from ("
        "  select database_name, schema_name, table_name, 'table' as kind, comment"
        "  from duckdb_tables()"
        "  union all select database_name, schema_name, view_name, 'view', comment"
        "  from duckdb_views() where not internal"
        " ) as published"
        " inner join ("
        "  select database_name, schema_name, table_name, comment from duckdb_tables()"
        "  union all select database_name, schema_name, view_name, comment from duckdb_views()"
        " ) as source using (schema_name, table_name)"
        " where published.database_name = 'published_next' and source.database_name = ?"
        " and source.comment is not null",
        [working],
    ).fetchall()
    for schema, name, kind, comment in relations:
        con.execute(
            f"comment on {kind} published_next.{quoted(schema)}.{quoted(name)}"
            f" is {literal(comment)}"
        )
    columns = con.execute(
        "select source.schema_name, source.table_name, source.column_name, source.comment"
        " from duckdb_columns() as source inner join duckdb_columns() as published"
        " using (schema_name, table_name, column_name)"
        " where published.database_name = 'published_next' and source.database_name = ?"
        " and source.comment is not null",
        [working],
    ).fetchall()
    for schema, name, column, comment in columns:
        con.execute(
            f"comment on column published_next.{quoted(schema)}.{quoted(name)}"
            f".{quoted(column)} is {literal(comment)}"
        )


def copy_report_views(con, views: dict[str, ReportView]) -> None:
    """The report views in the catalog at `staging`, as they are: their relations are named
    without a database (macros/ref.sql), so they read the catalog's own copies."""
    (working,) = con.execute("select current_database()").fetchone()
    con.execute("use published_next")
    try:
        con.execute("create schema report")
        for view in views.values():
            con.execute(view.definition)
    finally:
        con.execute(f"use {quoted(working)}")


def write_catalog(con, small: list[str], files: dict, retired: dict, summary, freshness) -> None:
    schemas = {name.split(".")[0] for name in [*small, *files]} | {CATALOG_SCHEMA}
    for schema in sorted(schemas):
        con.execute(f"create schema published_next.{schema}")
    for relation in small:
        con.execute(f"create table published_next.{relation} as select * from {relation}")
    for relation, entries in files.items():
        # The schema-only file last: DuckDB estimates a file list's rows from its first
        # file, and an estimate of zero rows makes it join in the worst order (a one-day
        # teleport tab at scale 100 took 40 s, joining people with people first).
        listed = [*entries[1:], entries[0]]
        paths = ", ".join(literal(exact_path(path)) for _, _, path in listed)
        con.execute(
            f"create view published_next.{relation} as select * from read_parquet([{paths}])"
        )
    con.execute(
        f"create table published_next.{CATALOG_SCHEMA}.partitions"
        " (relation varchar, partition_key varchar, fingerprint varchar, file varchar)"
    )
    rows = [
        (relation, key, fingerprint, path)
        for relation, entries in files.items()
        for key, fingerprint, path in entries[1:]
    ]
    if rows:
        con.executemany(
            f"insert into published_next.{CATALOG_SCHEMA}.partitions values (?, ?, ?, ?)",
            rows,
        )
    con.execute(
        f"create table published_next.{CATALOG_SCHEMA}.retired_files"
        " (file varchar, retired_at timestamp)"
    )
    if retired:
        con.executemany(
            f"insert into published_next.{CATALOG_SCHEMA}.retired_files values (?, ?)",
            sorted(retired.items()),
        )
    con.execute(
        f"create table published_next.{CATALOG_SCHEMA}.published as"
        " select ? as published_at, (select max(load_id) from intermediate.int_latest_load)"
        " as load_id, ? as freshness_warn_hours, ? as freshness_error_hours",
        [
            summary.published_at.replace(tzinfo=None),
            freshness.warn_hours,
            freshness.error_hours,
        ],
    )
    for table, columns in CATALOG_COLUMNS.items():
        about_table = CATALOG_TABLES[table]
        con.execute(
            f"comment on table published_next.{CATALOG_SCHEMA}.{table} is {literal(about_table)}"
        )
        for column, about in columns.items():
            con.execute(
                f"comment on column published_next.{CATALOG_SCHEMA}.{table}.{column}"
                f" is {literal(about)}"
            )
