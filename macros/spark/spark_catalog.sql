{#- Spark's versions of the exporter's catalog (macros/report/report_catalog.sql) and of the raw sources.

    Spark's tables are parquet files, which cannot `delete` or `update` rows: a catalog table is
    partitioned by what a statement replaces (a tab's model, a build's invocation), and a
    statement overwrites its own partition. Each statement runs on its own (`run_query`: Spark
    runs one statement at a time), and the hook renders to nothing. -#}

{% macro spark__create_report_catalog() %}
    {%- do run_query('create database if not exists marts') -%}
    {%- do spark_catalog_table('report_tabs', [
        ('tab_order', 'int'), ('tab_name', 'string'), ('relation', 'string'),
        ('window_relation', 'string'), ('window_inputs', 'string'), ('saved_at', 'timestamp'),
        ('model', 'string')
    ], 'model') -%}
    {%- do spark_catalog_table('report_tab_columns', [
        ('column_order', 'int'), ('column_name', 'string'), ('header', 'string'),
        ('data_type', 'string'), ('model', 'string')
    ], 'model') -%}
    {%- do spark_catalog_table('build_runs', [
        ('command', 'string'), ('report_from', 'string'), ('report_to', 'string'),
        ('started_at', 'timestamp'), ('finished_at', 'timestamp'), ('status', 'string'),
        ('invocation_id', 'string')
    ], 'invocation_id') -%}
{% endmacro %}

{#- A catalog table with its descriptions (report_catalog_docs), partitioned by its last column. -#}
{% macro spark_catalog_table(table, columns, partition) %}
    {%- set docs = report_catalog_docs()[table] -%}
    {%- set body = [] -%}
    {%- for name, type in columns -%}
        {%- do body.append(name ~ ' ' ~ type ~ ' comment ' ~ spark_text(docs.columns[name])) -%}
    {%- endfor -%}
    {%- do run_query(
        'create table if not exists marts.' ~ table ~ ' (' ~ body | join(', ') ~ ')'
        ~ ' using parquet partitioned by (' ~ partition ~ ') comment ' ~ spark_text(docs.about)
    ) -%}
{% endmacro %}

{% macro spark__write_report_tab(tab, relation, window_relation, window_inputs, columns) %}
    {%- set model_partition = "partition (model = '" ~ this.identifier ~ "')" -%}
    {%- do run_query(
        "insert overwrite table marts.report_tabs " ~ model_partition ~ " select "
        ~ tab.order ~ ", " ~ spark_text(tab.name) ~ ", " ~ spark_text(relation) ~ ", "
        ~ (spark_text(window_relation) if window_relation is not none else 'cast(null as string)') ~ ", "
        ~ (spark_text(window_inputs) if window_relation is not none else 'cast(null as string)')
        ~ ", cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)"
    ) -%}
    {%- set rows = [] -%}
    {%- for column in columns -%}
        {%- do rows.append(
            "(" ~ loop.index ~ ", " ~ spark_text(column.name) ~ ", "
            ~ spark_text(column.meta.header) ~ ", " ~ spark_text(column.data_type) ~ ")"
        ) -%}
    {%- endfor -%}
    {%- do run_query(
        "insert overwrite table marts.report_tab_columns " ~ model_partition
        ~ " values " ~ rows | join(', ')
    ) -%}
{% endmacro %}

{% macro spark__record_build_start() %}
    {%- if flags.WHICH in ('build', 'run') -%}
        {%- do run_query(spark_build_run('null', 'running')) -%}
    {%- endif -%}
{% endmacro %}

{#- A run that never reaches its end (a crash, a compile error) stays `running`. -#}
{% macro spark__record_build_end(results) %}
    {%- if flags.WHICH in ('build', 'run') -%}
        {%- set finished = modules.datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S") -%}
        {%- do run_query(spark_build_run(
            "cast('" ~ finished ~ "' as timestamp)", build_outcome(results)
        )) -%}
    {%- endif -%}
{% endmacro %}

{#- This run's row of marts.build_runs, replaced whole: a parquet partition is never updated. -#}
{% macro spark_build_run(finished_at, status) -%}
    insert overwrite table marts.build_runs partition (invocation_id = '{{ invocation_id }}')
    select
        '{{ flags.WHICH }}',
        {{ report_window_literal('report_from') }},
        {{ report_window_literal('report_to') }},
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
        {{ finished_at }},
        '{{ status }}'
{%- endmacro %}

{#- A Spark string literal (a backslash escapes in Spark's literals, unlike standard SQL). -#}
{% macro spark_text(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- The raw sources: DuckDB keeps its raw tables; Spark reads the parquet files the loader
    writes for every landed file (NAME.landing/<table>/, beside the database). Each run
    registers them afresh, so that the tables see the files landed since. -#}
{% macro register_landed_sources() %}
    {{ return(adapter.dispatch('register_landed_sources', 'smartsessions')()) }}
{% endmacro %}

{% macro default__register_landed_sources() %}
{% endmacro %}

{% macro spark__register_landed_sources() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set landing = env_var(
        'SMARTSESSIONS_LANDING',
        env_var('SMARTSESSIONS_DB', 'smartsessions.duckdb') | replace('.duckdb', '.landing')
    ) -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
        {#- an external table: dropping it leaves the files -#}
        {%- do run_query('drop table if exists raw.' ~ source.name) -%}
        {%- do run_query(
            'create table raw.' ~ source.name ~ ' using parquet location '
            ~ spark_text(landing ~ '/' ~ source.name)
        ) -%}
    {%- endfor -%}
{% endmacro %}
