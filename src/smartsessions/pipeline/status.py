"""`smartsessions status`: what readers see, from the published catalog alone (never the
working database a refresh may be writing): per raw table the last load, rows and rejects; per
published relation its rows and files; "data as of"; and the source freshness verdict."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from smartsessions.database import connect
from smartsessions.pipeline.freshness import DataAsOf, read_data_as_of, read_last_loads
from smartsessions.pipeline.publish import CATALOG_SCHEMA, require_published
from smartsessions.pipeline.refresh import last_checked, refresh_running


@dataclass(frozen=True)
class Status:
    published: Path
    published_at: datetime
    data_as_of: DataAsOf
    freshness: str  # pass, warn, error or unknown
    freshness_hours: float | None  # since the last load
    raw_tables: list[tuple]  # (table, last load, files, records, records rejected, files rejected)
    relations: list[tuple]  # (relation, rows, files)
    refreshing: bool = False  # a refresh holds the database's refresh lock now
    last_checked: datetime | None = None  # when a refresh last looked for new files (UTC)

    @property
    def last_build_failed(self) -> bool:
        """What `smartsessions status` exits 4 for: readers see an older publication."""
        return self.data_as_of.last_build_failed

    def lines(self) -> list[str]:
        as_of = self.data_as_of
        age = (
            f"{self.freshness_hours:.1f} h since the last load"
            if self.freshness_hours is not None
            else "nothing loaded"
        )
        lines = [
            f"published: {self.published} at {self.published_at:%Y-%m-%d %H:%M:%S} UTC",
            f"data as of: {as_of.describe()}",
        ]
        if self.last_checked:
            lines.append(f"last checked for new files: {self.last_checked:%Y-%m-%d %H:%M:%S} UTC")
        if self.refreshing:
            lines.append(
                "a load, build or refresh is running: readers see the publication above until it"
                " ends"
            )
        if as_of.last_build_failed:
            lines.append(
                f"last build failed at {as_of.describe_latest_build()}:"
                f" {as_of.describe_failed_nodes()}; readers see the publication of"
                f" {self.published_at:%Y-%m-%d %H:%M:%S} UTC"
            )
        if as_of.warned_nodes:
            warned = ", ".join(node.describe() for node in as_of.warned_nodes)
            lines.append(f"last build warned (published all the same): {warned}")
        lines += [
            f"freshness: {self.freshness} ({age})",
            "",
            f"{'raw table':<18} {'last load (UTC)':<17} {'files':>6} {'records':>11} "
            f"{'rejected':>9} {'files rejected':>15}",
        ]
        for table, last_load, files, records, rejected, files_rejected in self.raw_tables:
            shown = f"{last_load:%Y-%m-%d %H:%M}" if last_load else "never"
            lines.append(
                f"{table:<18} {shown:<17} {files:>6,} {records:>11,} {rejected:>9,}"
                f" {files_rejected:>15,}"
            )
        lines += ["", f"{'published relation':<34} {'rows':>11} {'files':>6}"]
        lines += [f"{name:<34} {rows:>11,} {files:>6,}" for name, rows, files in self.relations]
        return lines


def read_status(db_path: Path) -> Status:
    published = require_published(db_path)
    with connect(published, read_only=True) as con:
        published_at, warn_hours, error_hours = con.execute(
            "select published_at, freshness_warn_hours, freshness_error_hours"
            f" from {CATALOG_SCHEMA}.published"
        ).fetchone()
        as_of = read_data_as_of(con)
        last_loads = read_last_loads(con)
        raw_tables = [
            (table, last_loads[table], *counts)
            for table, *counts in con.execute(
                "select table_name,"
                " count(*) filter (where status = 'loaded'), coalesce(sum(records_loaded), 0),"
                " coalesce(sum(records_rejected), 0), count(*) filter (where status = 'rejected')"
                " from raw.loaded_files group by table_name order by table_name"
            ).fetchall()
        ]
        relations = []
        for schema, name, kind in con.execute(
            "select schema_name, table_name, 'table' from duckdb_tables()"
            f" where schema_name not in ('{CATALOG_SCHEMA}')"
            " union all select schema_name, view_name, 'view' from duckdb_views()"
            # a report view holds its mart's rows for all history: counting them would
            # compute every tab again
            " where not internal and schema_name <> 'report' order by 1, 2"
        ).fetchall():
            rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            files = con.execute(
                f"select count(*) from {CATALOG_SCHEMA}.partitions where relation = ?",
                [f"{schema}.{name}"],
            ).fetchone()[0]
            relations.append((f"{schema}.{name}", rows, files if kind == "view" else 0))
    hours = None
    if as_of.last_load:
        hours = (datetime.now(UTC).replace(tzinfo=None) - as_of.last_load).total_seconds() / 3600
    return Status(
        published,
        published_at,
        as_of,
        _verdict(hours, warn_hours, error_hours),
        hours,
        raw_tables,
        relations,
        refresh_running(db_path),
        last_checked(db_path),
    )


def _verdict(hours: float | None, warn_hours: float | None, error_hours: float | None) -> str:
    """dbt source freshness's verdict on the time since the last load, now."""
    if hours is None or warn_hours is None:
        return "unknown"
    if error_hours is not None and hours >= error_hours:
        return f"error (more than {error_hours:g} h)"
    if hours >= warn_hours:
        return f"warn (more than {warn_hours:g} h)"
    return f"pass (warn after {warn_hours:g} h, error after {error_hours:g} h)"
