"""Publishing a cluster's build (`--target spark_thrift`) to the catalog readers open, as a
DuckDB build is published (pipeline/publish.py): the portal, `status` and analysts then see it
as they see a DuckDB build.

publish.py reads a DuckDB connection holding the working database's relations. For a cluster
build that connection is a staging DuckDB file (NAME.dbt/spark_thrift/publishing.duckdb, made
and removed by each publish) holding:

- views over the files of the cluster's marts and intermediate tables, where its metastore says
  they are (metastore.py), their columns cast to the DuckDB types the project declares (the
  marts' contracts, the intermediate models' data_type), so that readers, and the report views
  below, get a DuckDB build's types;
- the views readers read, as dbt compiles the same models for DuckDB: the intermediate views
  over those tables (int_activity) and the report views (`report.<tab>`, a windowed tab read
  with the session variables report_from / report_to; Spark builds a window's tabs as tables
  for one window, which readers cannot choose). A view is made when every model it reads is
  there: one reading the staging models (the raw data) is not published, as on DuckDB;
- every relation's and column's description, from the dbt project as DuckDB's persist_docs
  gives them (the cluster's metastore lacks some column comments), for the build's own tables
  (report_tabs, build_runs) from the metastore, and for the load's book-keeping as the load
  gives it.

The freshness thresholds are the project's dbt vars, as a DuckDB build publishes them.
"""

from pathlib import Path

import duckdb

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.raw_schema import BOOKKEEPING
from smartsessions.pipeline.dbt_runner import dbt_log, invoke_dbt
from smartsessions.pipeline.publish import (
    Freshness,
    PublishSummary,
    publish,
    publish_failed_build,
)
from smartsessions.spark.metastore import ClusterTable, cluster_tables
from smartsessions.spark.spark_catalog import attach_spark_tables
from smartsessions.sql import literal, quoted
from smartsessions.work_files import remove
from smartsessions.workspace import Workspace

# The cluster's schemas the catalog copies: its `report` tables are the last window exported.
PUBLISHED_SCHEMAS = ("marts", "intermediate")
VIEWS = (
    "resource_type:model,config.materialized:view,config.schema:intermediate",
    "resource_type:model,config.schema:report",
)
FRESHNESS = "select {{ var('freshness_warn_hours') }}, {{ var('freshness_error_hours') }}"


def publish_cluster_build(db_path: Path) -> PublishSummary:
    staging = _staging(db_path)
    try:
        manifest = _dbt(staging, ["parse"]).result
        views = ["compile", "--select", *VIEWS, "--indirect-selection", "empty"]
        compiled = [result.node for result in _dbt(staging, views, manifest).result.results]
        freshness = _dbt(staging, ["compile", "--inline", FRESHNESS], manifest)
        tables = cluster_tables(PUBLISHED_SCHEMAS)
        with duckdb.connect(str(staging)) as con:
            con.execute("set TimeZone = 'UTC'")
            _attach(con, db_path, tables, _declared_types(manifest))
            _create_views(con, compiled, manifest)
            # the metastore's first: the build's own tables (report_tabs, ...) are no model
            for (schema, name), table in tables.items():
                _describe(con, f"{quoted(schema)}.{quoted(name)}", table.comment, table.columns)
            _describe_models(con, manifest)
            about, columns = BOOKKEEPING["loaded_files"]
            _describe(con, "raw.loaded_files", about, {name: text for name, _, text in columns})
            warn, error = con.execute(freshness.result.results[0].node.compiled_code).fetchone()
            return publish(con, db_path, Freshness(warn, error))
    finally:
        _remove(staging)


def publish_failed_cluster_build(db_path: Path) -> None:
    """Readers stay on the last published marts and learn of the failure: the cluster's record
    of builds is copied into the published catalog."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        _attach(con, db_path, cluster_tables(("marts",)))
        publish_failed_build(con, db_path)


def _attach(con, db_path: Path, tables: dict[tuple[str, str], ClusterTable], types=None) -> None:
    locations = {key: table.location for key, table in tables.items()}
    attach_spark_tables(con, locations, Workspace(db_path).landing, types)
    # a table without a file (nothing loaded yet, or a mart with no row) is empty, with the
    # columns the metastore lists, of the types declared (DuckDB reads Spark's type names)
    for (schema, name), table in tables.items():
        if not any(table.location.rglob("*.parquet")):
            declared = (types or {}).get((schema, name), {})
            columns = ", ".join(
                f"cast(null as {declared.get(column, kind)}) as {quoted(column)}"
                for column, kind in table.types.items()
            )
            con.execute(f"create schema if not exists {quoted(schema)}")
            con.execute(f"create view {quoted(schema)}.{quoted(name)} as select {columns} limit 0")


def _declared_types(manifest) -> dict[tuple[str, str], dict[str, str]]:
    """Each model's columns as the project declares their DuckDB types (the marts' contracts,
    the published intermediate models' data_type): what a DuckDB build gives readers."""
    return {
        (node.schema, node.alias): {
            name: column.data_type for name, column in node.columns.items() if column.data_type
        }
        for node in manifest.nodes.values()
        if node.resource_type == "model"
    }


def _staging(db_path: Path) -> Path:
    staging = Workspace(db_path).dbt_target("spark_thrift") / "publishing.duckdb"
    staging.parent.mkdir(parents=True, exist_ok=True)
    _remove(staging)  # what a killed publish left
    return staging


def _remove(staging: Path) -> None:
    remove(staging)
    remove(staging.with_name(staging.name + ".wal"))


def _dbt(staging: Path, args: list[str], manifest=None):
    """dbt on the DuckDB target, for what the project says about DuckDB: no model runs."""
    result = invoke_dbt(staging, args, target="duckdb", manifest=manifest)
    if not result.success:
        log = dbt_log(staging)
        raise SmartSessionsError(
            f"cannot publish the cluster's build: dbt {args[0]} failed; see {log}"
        )
    return result


def _create_views(con, views: list, manifest) -> None:
    """Each compiled view whose models are all there, the views it reads made first."""
    con.execute("create schema if not exists report")
    there = {
        node.unique_id
        for node in manifest.nodes.values()
        if node.resource_type == "model" and _exists(con, node)
    }
    pending = {node.unique_id: node for node in views}
    while made := [
        node
        for node in pending.values()
        if all(needed in there for needed in node.depends_on.nodes if needed in manifest.nodes)
    ]:
        for node in made:
            con.execute(f"create view {_relation(node)} as {node.compiled_code}")
            there.add(pending.pop(node.unique_id).unique_id)
    unmade = sorted(node.name for node in pending.values() if node.schema == "report")
    if unmade:  # a report view reads a model the cluster did not build as a table
        raise SmartSessionsError(f"cannot publish the cluster's build: no {', '.join(unmade)}")


def _exists(con, node) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
            [node.schema, node.alias],
        ).fetchone()[0]
    )


def _relation(node) -> str:
    return f"{quoted(node.schema)}.{quoted(node.alias)}"


def _describe_models(con, manifest) -> None:
    """The project's descriptions of its models and their columns on the staging relations."""
    for node in manifest.nodes.values():
        if node.resource_type == "model" and _exists(con, node):
            columns = {name: column.description for name, column in node.columns.items()}
            _describe(con, _relation(node), node.description, columns)


def _describe(con, relation: str, about: str | None, columns: dict[str, str]) -> None:
    """Descriptions on a staging relation (a view over the cluster's files, or a view of
    the project's), where publishing copies them from (catalog_file.copy_comments)."""
    if about:
        con.execute(f"comment on view {relation} is {literal(about)}")
    for column, text in columns.items():
        if text:
            con.execute(f"comment on column {relation}.{quoted(column)} is {literal(text)}")
