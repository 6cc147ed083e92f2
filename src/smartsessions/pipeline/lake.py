"""The lake (`NAME.lake/`): the published relations' parquet files, one per partition (event app,
and local date for the activity), named after its content, so that a partition whose rows did
not change keeps its file. A file the catalog no longer names is retired, and removed an hour
after that (see `publish`)."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from smartsessions.sql import quoted
from smartsessions.work_files import copy_to_parquet

ABANDONED_AFTER_SECONDS = 3600  # a file no catalog names is removed this long after it retired


def write_partitions(con, relation, keys, lake: Path, previous, summary) -> list:
    """The relation's files, one per partition: kept when its rows are unchanged, else written.
    Returns (partition key, fingerprint, file) of each, the schema-only file first."""
    folder = lake / relation
    folder.mkdir(exist_ok=True)
    order = "report_order" if relation.startswith("marts.") else ", ".join(keys)
    schema_file = folder / "schema.parquet"  # so that the view has columns with no rows
    copy_to_parquet(con, f"select * from {relation} limit 0", schema_file)
    entries = [("", "", str(schema_file))]
    key_list = ", ".join(keys)
    fingerprints = con.execute(
        f"select {key_list}, count(*), sum(hash(rows)::hugeint)"
        f" from {relation} as rows group by {key_list}"
    ).fetchall()
    for *values, count, hash_sum in fingerprints:
        key = "\x1f".join("" if value is None else str(value) for value in values)
        fingerprint = f"{count}:{hash_sum}"
        name = hashlib.sha256(f"{key}\x1e{fingerprint}".encode()).hexdigest()[:32]
        path = folder / f"{name}.parquet"
        if previous.get((relation, key), (None, None))[1] == str(path) and path.exists():
            summary.files_kept += 1
        else:
            where = " and ".join(f"{quoted(column)} is not distinct from ?" for column in keys)
            copy_to_parquet(
                con, f"select * from {relation} where {where} order by {order}", path, values
            )
            summary.files_written += 1
            summary.rows_written += count
        entries.append((key, fingerprint, str(path)))
    return entries


def retire_unnamed(
    lake: Path, referenced: set[str], retired: dict[str, datetime]
) -> tuple[dict[str, datetime], list[str]]:
    """The lake's files the new catalog does not name, with when they were retired (the new
    catalog records them), and those retired long enough ago to remove.

    Retention counts from when a file stopped being published, never from when it was written:
    a partition written days ago is exactly what a reader of the previous catalog is reading.
    A file the previous catalog retired keeps its time; any other unnamed file (one the previous
    catalog named, or one a killed publish left) is retired now. A retired file that the new
    catalog names again (same content, same name) is simply not unnamed: it is un-retired."""
    # Naive UTC, as the catalog stores times; seconds before the rename that retires them.
    now = datetime.now(UTC).replace(tzinfo=None)
    kept: dict[str, datetime] = {}
    expired = []
    for path in lake.rglob("*"):
        name = str(path)
        if not path.is_file() or name in referenced:
            continue
        since = retired.get(name, now)
        if (now - since).total_seconds() > ABANDONED_AFTER_SECONDS:
            expired.append(name)
        else:
            kept[name] = since
    return kept, expired
