"""What a Spark cluster's build left, asked of its Thrift Server (the `spark_thrift` target):
its tables and where their files are, as the metastore says, never a warehouse folder this
process happens to share with the cluster. The server is the one profiles.yml's spark_thrift
target reaches: host, port and auth from the same environment variables."""

import os
import socket
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from smartsessions.errors import SmartSessionsError

# The schemas whose tables readers need: the marts, the relations the report views read, and a
# window's report relations (built as tables on Spark).
SCHEMAS = ("marts", "intermediate", "report")


def thrift_address() -> tuple[str, int, str]:
    """(host, port, auth) of the Thrift Server, as profiles.yml reads them."""
    host = os.environ.get("SMARTSESSIONS_THRIFT_HOST", "127.0.0.1")
    port = os.environ.get("SMARTSESSIONS_THRIFT_PORT", "10000")
    if not port.isdigit():
        raise SmartSessionsError(f"SMARTSESSIONS_THRIFT_PORT must be a port number, not {port!r}")
    return host, int(port), os.environ.get("SMARTSESSIONS_THRIFT_AUTH", "NOSASL")


def connect():
    """A PyHive connection to the Thrift Server, or one line saying there is none."""
    from pyhive import hive  # the [spark-cluster] extra

    host, port, auth = thrift_address()
    try:
        # knock first: thrift logs a refused connection to stderr before it raises
        socket.create_connection((host, port), timeout=10).close()
        return hive.connect(host=host, port=port, username="smartsessions", auth=auth)
    except Exception as error:  # refused, thrift's TTransportException, a reset socket
        raise SmartSessionsError(
            f"no Spark Thrift Server answers at {host}:{port} ({first_line(error)}):"
            " start one (docs/spark.md) or set SMARTSESSIONS_THRIFT_HOST and _PORT"
        ) from None


@dataclass(frozen=True)
class ClusterTable:
    location: Path  # the folder of its files
    comment: str | None  # its description, and its columns' (dbt's persist_docs)
    columns: dict[str, str]
    types: dict[str, str]  # its columns' Spark types, in order


def cluster_tables(schemas=SCHEMAS) -> dict[tuple[str, str], ClusterTable]:
    """(schema, table) -> where its files are and what it says of itself, for every table of
    `schemas` the cluster has (a schema it never made has none; a view has no files)."""
    with closing(connect()) as con, closing(con.cursor()) as cursor:
        cursor.execute("show databases")
        existing = {name for (name,) in cursor.fetchall()}
        locations = {}
        for schema in (schema for schema in schemas if schema in existing):
            cursor.execute(f"show tables in {schema}")
            for _, table, temporary in cursor.fetchall():
                if temporary:
                    continue
                cursor.execute(f"describe formatted {schema}.{table}")
                found = _described(cursor.fetchall(), schema, table)
                if found is not None:
                    locations[(schema, table)] = found
    return locations


def cluster_landing() -> Path | None:
    """The landing folder the cluster's last build read (its raw tables' location, which every
    build registers afresh), or None when it has none; one line when no server answers."""
    with closing(connect()) as con, closing(con.cursor()) as cursor:
        for listing in ("show databases like 'raw'", "show tables in raw like 'loaded_files'"):
            cursor.execute(listing)
            if not cursor.fetchall():
                return None
        cursor.execute("describe formatted raw.loaded_files")
        return _described(cursor.fetchall(), "raw", "loaded_files").location.parent


def _described(rows: list[tuple], schema: str, table: str) -> ClusterTable | None:
    """`describe formatted`'s rows: the columns, a blank or `#` row, then name-value pairs."""
    columns: dict[str, str] = {}
    types: dict[str, str] = {}
    for name, kind, comment in rows:
        if not name or name.startswith("#"):
            break
        types[name] = kind
        if comment:
            columns[name] = comment
    described = {(name or "").strip(): (value or "").strip() for name, value, _ in rows}
    if described.get("Type") == "VIEW":
        return None
    location = _location(described, schema, table)
    return ClusterTable(location, described.get("Comment") or None, columns, types)


def _location(described: dict[str, str], schema: str, table: str) -> Path:
    """The `Location` row of `describe formatted`: a URI, of which DuckDB reads local paths
    (file:) only: a cluster's warehouse on HDFS or an object store is not readable here."""
    found = described.get("Location")
    if not found:
        raise SmartSessionsError(f"the metastore gives no location for {schema}.{table}")
    uri = urlparse(found)
    if uri.scheme not in ("", "file"):
        raise SmartSessionsError(
            f"{schema}.{table} is at {found}: the export reads a warehouse on a"
            " local or mounted path only (docs/spark.md, shared storage)"
        )
    return Path(unquote(uri.path))


def first_line(error: BaseException) -> str:
    """PyHive's errors carry the server's whole Java stack: its message's first line."""
    message = getattr(error, "args", [None])[0]
    status = getattr(message, "status", None)  # a TExecuteStatementResp
    text = getattr(status, "errorMessage", None) or str(error) or type(error).__name__
    return text.strip().splitlines()[0]
