"""Publishing what readers need: a small catalog file, swapped in with a rename, over immutable
parquet partitions.

Readers (the export, the portal, `status`, an analyst's SQL session) never open the working
database that `load` and `build` write: they open `NAME.published.duckdb`, which only a
successful build replaces, whole, with `os.replace`; a reader that opened the old one finishes
on it. The catalog holds the small relations as tables and the big ones as views over parquet
files in `NAME.lake/`, one file per partition (event app, and local date for the activity),
named after its content: a partition whose rows did not change keeps its file, so a refresh
writes only what changed. A file the new catalog no longer names is retired, and the catalog
records when (`publication.retired_files`); it is removed by the first publish more than an hour
after that, so a reader still on an earlier catalog keeps its files for that hour, however long
ago they were written.
"""

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from smartsessions.database import write_failure
from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.catalog_file import (
    CATALOG_SCHEMA,
    attached,
    copy_comments,
    copy_report_views,
    report_views,
    write_catalog,
)
from smartsessions.pipeline.lake import retire_unnamed, write_partitions
from smartsessions.sql import literal
from smartsessions.work_files import remove, remove_abandoned, work_path
from smartsessions.workspace import Workspace

# What readers need: every mart, every report view (a windowed tab, `report.<tab>`) with the
# relations it reads, and the load's book-keeping. The big ones are cut into files (the tabs'
# marts by event app); the rest is copied into the catalog, where DuckDB keeps the statistics
# it plans joins with (people as parquet views made a windowed teleports tab join 18 GB).
PARTITIONED = {
    "intermediate.int_activity": ("event_id", "occurred_local_date"),
    "intermediate.int_room_visits": ("event_id", "started_local_date"),
}
BOOKKEEPING = ("raw.loaded_files",)


@dataclass(frozen=True)
class Freshness:
    """Hours without a new load before `dbt source freshness` warns, and fails."""

    warn_hours: float | None = None
    error_hours: float | None = None


@dataclass
class PublishSummary:
    path: Path
    files_written: int = 0
    files_kept: int = 0
    rows_written: int = 0
    seconds: float = 0.0
    published_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def publish(
    con: duckdb.DuckDBPyConnection, db_path: Path, freshness: Freshness | None = None
) -> PublishSummary:
    """Publish the working database's marts (on `con`) for readers, atomically, with the
    source freshness thresholds the build ran with."""
    started = time.perf_counter()
    target = Workspace(db_path).published
    with _write_failures_in_one_line(target):
        summary = _publish(con, db_path, target, freshness)
    summary.seconds = time.perf_counter() - started
    return summary


def _publish(con, db_path: Path, target: Path, freshness: Freshness | None) -> PublishSummary:
    summary = PublishSummary(target)
    lake = Workspace(db_path).lake
    lake.mkdir(exist_ok=True)
    previous, retired = _previous_files(target)
    partitioned = dict(PARTITIONED) | {f"marts.{name}": ("event_id",) for name in _tab_marts(con)}
    files: dict[str, list[tuple[str, str, str]]] = {}
    for relation, keys in partitioned.items():
        files[relation] = write_partitions(con, relation, keys, lake, previous, summary)
    views = report_views(con)
    inputs = {relation for view in views.values() for relation in view.inputs}
    needed = [*BOOKKEEPING, *inputs, *(f"marts.{name}" for name in _marts(con))]
    small = sorted(set(needed) - set(partitioned))
    referenced = {path for entries in files.values() for _, _, path in entries}
    retired, expired = retire_unnamed(lake, referenced, retired)
    with _swapped_in(target) as staging, attached(con, staging):
        write_catalog(con, small, files, retired, summary, freshness or Freshness())
        copy_report_views(con, views)
        copy_comments(con)
    # Only once no catalog names them: a publish killed before the rename leaves the previous
    # catalog, whose retired files must still be there (killed after it, the next publish finds
    # these unrecorded and retires them again, which only keeps them longer).
    for path in expired:
        Path(path).unlink(missing_ok=True)
    return summary


def publish_failed_build(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """After a failed build, readers stay on the last published marts but learn of the failure:
    the published catalog is copied with the working database's record of builds and of the
    nodes that did not pass."""
    target = Workspace(db_path).published
    if not target.exists():
        return
    recorded = con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
        " and table_name in ('build_runs', 'build_failures')"
    ).fetchall()
    with _write_failures_in_one_line(target), _swapped_in(target) as staging:
        shutil.copyfile(target, staging)
        con.execute(f"attach {literal(staging)} as published_next")
        try:
            for (table,) in recorded:
                con.execute(
                    f"create or replace table published_next.marts.{table}"
                    f" as select * from marts.{table}"
                )
        finally:
            con.execute("detach published_next")


@contextmanager
def _write_failures_in_one_line(target: Path):
    """A full disk or a failing device while publishing is one line; readers keep the catalog
    published before (its files too), and the next publish retires what this one wrote."""
    try:
        yield
    except (OSError, duckdb.Error) as error:
        reason = write_failure(error)
        if reason is None:
            raise
        raise SmartSessionsError(f"cannot publish {target}: {reason}") from None


@contextmanager
def _swapped_in(target: Path):
    """A work file that replaces `target` in one rename once the block has written it."""
    remove_abandoned(target)  # what a killed publish left
    staging = work_path(target, "next")
    try:
        yield staging
        _sync(staging)
        os.replace(staging, target)
        _sync(target.parent)
    finally:
        remove(staging)


def _tab_marts(con) -> list[str]:
    models = con.execute("select model from marts.report_tabs order by 1").fetchall()
    return [name for (name,) in models]


def _marts(con) -> list[str]:
    names = con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()
    return [name for (name,) in names]


def _previous_files(target: Path) -> tuple[dict, dict[str, datetime]]:
    """(relation, partition key) -> (fingerprint, file) in the catalog published now, and
    file -> when it was retired, for the files it records as retired."""
    if not target.exists():
        return {}, {}
    try:
        with duckdb.connect(str(target), read_only=True) as old:
            rows = old.execute(
                "select relation, partition_key, fingerprint, file"
                f" from {CATALOG_SCHEMA}.partitions"
            ).fetchall()
            try:
                retired = old.execute(
                    f"select file, retired_at from {CATALOG_SCHEMA}.retired_files"
                ).fetchall()
            except duckdb.CatalogException:  # a catalog from before retirement was recorded:
                retired = []  # its unnamed files are retired now, so kept another hour
    except duckdb.Error:  # an older or damaged catalog: every partition is written again
        return {}, {}
    files = {(relation, key): (fingerprint, file) for relation, key, fingerprint, file in rows}
    return files, dict(retired)


def _sync(path: Path) -> None:
    """Make the file (or a folder's entries) durable before and after the rename."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def require_published(db_path: Path) -> Path:
    """The catalog readers open, or one line saying why there is none."""
    target = Workspace(db_path).published
    if not target.exists():
        if not db_path.exists():
            raise SmartSessionsError(f"no database at {db_path}: load a delivery first")
        raise SmartSessionsError(
            f"database {db_path} is not built yet: run `smartsessions build` or `refresh`"
        )
    return target
