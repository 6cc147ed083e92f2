"""Writing a file's outcome to the raw tables: its good records, its rejects and its
book-keeping row in one transaction, or a whole-file reject with its book-keeping row."""

from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime

import duckdb

from smartsessions.landing.checks import JUDGED, typed_sql
from smartsessions.landing.delivery import DeliveryFile
from smartsessions.sql import quoted


@dataclass(frozen=True)
class Batch:
    """One `load_delivery` call: every row it writes carries these."""

    load_id: int
    loaded_at: datetime
    delivery_dir: str


def next_load_id(con) -> int:
    return con.execute("select coalesce(max(_load_id), 0) + 1 from raw.loaded_files").fetchone()[0]


def already_offered(con, file: DeliveryFile, file_hash: str) -> bool:
    """Whether these bytes were offered before for this table: the same bytes delivered for two
    tables are two files."""
    seen = con.execute(
        "select count(*) from raw.loaded_files where table_name = ? and file_hash = ?",
        [file.table.name, file_hash],
    )
    return seen.fetchone()[0] > 0


def insert_good_records(con, file: DeliveryFile, batch: Batch) -> int:
    columns = file.table.columns
    names = ", ".join(quoted(column.name) for column in columns)
    values = ", ".join(typed_sql(column) for column in columns)
    inserted = con.execute(
        f"""
        insert into raw.{file.table.name}
            ({names}, _load_id, _loaded_at, _source_file, _source_row)
        select {values}, ?, ?, ?, _row from {JUDGED} where _reason is null
        """,
        [batch.load_id, batch.loaded_at, file.relative],
    )
    return inserted.fetchone()[0]


def insert_rejects(con, file: DeliveryFile, batch: Batch) -> int:
    fields = ", ".join(f"{quoted(name)} := {quoted(name)}" for name in file.table.column_names)
    inserted = con.execute(
        f"""
        insert into raw.rejected_records (table_name, source_file, line_number, row_number,
            raw_record, reason, _load_id, _loaded_at)
        select ?, ?, _line, _row, coalesce(_raw, to_json(struct_pack({fields}))::varchar),
            _reason, ?, ?
        from {JUDGED} where _reason is not null order by coalesce(_line, _row)
        """,
        [file.table.name, file.relative, batch.load_id, batch.loaded_at],
    )
    return inserted.fetchone()[0]


def record_file(con, file, file_hash, status, loaded, rejected, batch: Batch) -> None:
    con.execute(
        """
        insert into raw.loaded_files (file_hash, source_file, delivery_dir, table_name, status,
            records_loaded, records_rejected, _load_id, _loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            file_hash,
            file.relative,
            batch.delivery_dir,
            file.table.name,
            status,
            loaded,
            rejected,
            batch.load_id,
            batch.loaded_at,
        ],
    )


def reject_file(con, file: DeliveryFile, file_hash: str, reason: str, batch: Batch, landed) -> None:
    """One reject naming the file and the reason, and its book-keeping row, together (and their
    parquet copies, when `landed` is a landing folder)."""
    with transaction(con):
        con.execute(
            """
            insert into raw.rejected_records (table_name, source_file, reason, _load_id, _loaded_at)
            values (?, ?, ?, ?, ?)
            """,
            [file.table.name, file.relative, reason, batch.load_id, batch.loaded_at],
        )
        record_file(con, file, file_hash, "rejected", 0, 0, batch)
        if landed:
            landed.write_file(con, file.table.name, file_hash, batch.load_id)


@contextmanager
def transaction(con):
    """Everything in the block is written, or nothing."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        # A commit that failed (a full disk) has ended the transaction already: the error that
        # ended it is the one to raise, not the rollback's "no transaction is active".
        with suppress(duckdb.Error):
            con.execute("rollback")
        raise
