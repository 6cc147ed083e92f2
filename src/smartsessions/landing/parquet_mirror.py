"""Every landed file as parquet too, for an engine that reads files rather than DuckDB's raw
tables (Spark: the `spark` target in profiles.yml reads NAME.landing/ as its raw sources).

One landing contract, two outputs: the loader checks and casts a file once (`checks`)
and writes the outcome to DuckDB's raw tables; in the same transaction, before the commit, the
rows it wrote are copied from those tables to immutable parquet files named by table, load and
content hash, each written under a work name and renamed into place:

    NAME.landing/<table>/<load>-<hash>.parquet               the file's good records
    NAME.landing/rejected_records/<table>-<load>-<hash>.parquet   its rejects
    NAME.landing/loaded_files/<table>-<load>-<hash>.parquet       its book-keeping row

plus a zero-row `schema.parquet` per folder, so that a reader knows the columns before
anything landed. A load first removes the files of a (table, hash) that raw.loaded_files does
not hold (a load killed between the rename and the commit), so a file tried again never lands
twice, and writes those of loaded files that have none (a database loaded before its landing
folder was asked for).
"""

from pathlib import Path

from smartsessions.landing.contract import TABLES
from smartsessions.work_files import copy_to_parquet, remove

BOOKKEEPING = ("rejected_records", "loaded_files")
SCHEMA_FILE = "schema.parquet"


class Landing:
    def __init__(self, folder: Path):
        self.folder = folder

    def prepare(self, con) -> None:
        """Make the folders and schema files; remove what no loaded file accounts for; write
        what a loaded file lacks. Run by a load holding the database's write lock."""
        for table in (*TABLES, *BOOKKEEPING):
            (self.folder / table).mkdir(parents=True, exist_ok=True)
            schema = self.folder / table / SCHEMA_FILE
            if not schema.exists():
                copy_to_parquet(con, f"{_select(con, table)} limit 0", schema)
        loaded = con.execute(
            "select table_name, file_hash, _load_id from raw.loaded_files"
        ).fetchall()
        known = {(table, file_hash) for table, file_hash, _ in loaded}
        for path in self.folder.glob("*/*"):
            if path.name != SCHEMA_FILE and _landed_file(path) not in known:
                remove(path)
        for table, file_hash, load_id in loaded:
            if not self._book_path(table, load_id, file_hash).exists():
                self.write_file(con, table, file_hash, load_id)

    def write_file(self, con, table: str, file_hash: str, load_id: int) -> None:
        """Copy one offered file's rows from the raw tables (this transaction's included)."""
        source_file, records_loaded = con.execute(
            "select source_file, records_loaded from raw.loaded_files"
            " where table_name = ? and file_hash = ?",
            [table, file_hash],
        ).fetchone()
        written = []
        try:
            name = f"{load_id}-{file_hash}.parquet"
            if records_loaded:
                where = "where _load_id = ? and _source_file = ?"
                path = self.folder / table / name
                copy_to_parquet(con, f"{_select(con, table)} {where}", path, (load_id, source_file))
                written.append(path)
            rejects = con.execute(
                "select count(*) from raw.rejected_records"
                " where table_name = ? and source_file = ? and _load_id = ?",
                [table, source_file, load_id],
            ).fetchone()[0]
            if rejects:
                where = "where table_name = ? and source_file = ? and _load_id = ?"
                path = self.folder / "rejected_records" / f"{table}-{name}"
                query = f"{_select(con, 'rejected_records')} {where}"
                copy_to_parquet(con, query, path, (table, source_file, load_id))
                written.append(path)
            book = self._book_path(table, load_id, file_hash)
            query = f"{_select(con, 'loaded_files')} where table_name = ? and file_hash = ?"
            copy_to_parquet(con, query, book, (table, file_hash))
        except BaseException:
            for path in written:
                remove(path)
            raise

    def _book_path(self, table: str, load_id: int, file_hash: str) -> Path:
        return self.folder / "loaded_files" / f"{table}-{load_id}-{file_hash}.parquet"


def _select(con, table: str) -> str:
    """The raw table's columns; a time of day as text HH:MM:SS, as Spark has no TIME type."""
    columns = [
        f"cast({name} as varchar) as {name}" if kind == "TIME" else name
        for name, kind in con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    return f"select {', '.join(columns)} from raw.{table}"


def _landed_file(path: Path) -> tuple[str, str] | None:
    """(table, content hash) of a landing file, from its folder and name."""
    parts = path.name.removesuffix(".parquet").split("-")
    if path.parent.name in BOOKKEEPING:
        return (parts[0], parts[-1]) if len(parts) == 3 else None
    return (path.parent.name, parts[-1]) if len(parts) == 2 else None
