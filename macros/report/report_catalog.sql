{#- What the exporter needs to write a report without dbt, kept in the database by the build:

    - marts.report_tabs: each tab's position and name (the model's `meta.report_tab`), the mart
      it reads and, for a windowed tab, its report view (`report.<tab>`, which reads the window
      from the session variables report_from / report_to) with the relations that view reads;
    - marts.report_tab_columns: each tab's columns in order, with their workbook headers
      (`meta.header`) and types;
    - marts.build_runs: every `dbt build` / `dbt run` with its outcome, for "data as of";
    - marts.build_failures: the nodes of those runs that did not pass (a failing or warning
      test with its row count and the table that keeps its rows, a model in error), so that
      `status` and the export can name them after the run, from the published catalog.

    A tab mart saves its own rows in a post-hook, so a build of any selection keeps them in
    step with the marts; a windowed build (report_from / report_to set) saves nothing. -#}

{#- The descriptions of the exporter's catalog tables, for both engines: DuckDB comments on
    them, Spark creates them with these comments (macros/spark/spark_catalog.sql), and analysts
    read them in the published catalog either way. -#}
{% macro report_catalog_docs() %}
    {{ return({
        'report_tabs': {
            'about': "One row per report tab: its position, name, mart, and report view with what it reads (saved by the build).",
            'columns': {
                'tab_order': "The tab's position in the workbook.",
                'tab_name': "The tab's name.",
                'model': "The mart the tab reads (its dbt model).",
                'relation': "The mart, schema.name.",
                'window_relation': "For a windowed tab, its report view (report.<tab>), which reads the session variables report_from / report_to.",
                'window_inputs': "The relations that view reads, comma-separated.",
                'saved_at': "The start of the build that saved the row (UTC)."
            }
        },
        'report_tab_columns': {
            'about': "One row per column of a report tab: its workbook header and type (saved by the build).",
            'columns': {
                'model': "The tab's mart.",
                'column_order': "The column's position in the tab.",
                'column_name': "The mart's column.",
                'header': "Its workbook header.",
                'data_type': "Its type."
            }
        },
        'build_runs': {
            'about': "One row per dbt build or run: window vars, start, finish and outcome.",
            'columns': {
                'invocation_id': "dbt's id of the run.",
                'command': "build or run.",
                'report_from': "The window's first date, when the run had one (its marts are not the published ones).",
                'report_to': "The window's last date, when the run had one.",
                'started_at': "When it started (UTC).",
                'finished_at': "When it finished (UTC); empty while running or when it never reached its end.",
                'status': "running, success (complete, every node passed: published), failed, or partial (not every model, seed and data test ran: not published)."
            }
        },
        'build_failures': {
            'about': "One row per node of a dbt build or run that did not pass: error, fail or warn, rows failing, where they are kept.",
            'columns': {
                'invocation_id': "The run (build_runs).",
                'resource_type': "model, seed, test, unit_test, ...",
                'node_name': "The node's name.",
                'status': "error (it did not run through), fail or warn (a test found rows).",
                'failing_rows': "A test that ran: the rows it found.",
                'stored_failures': "schema.table of the working database that keeps those rows.",
                'message': "dbt's message."
            }
        }
    }) }}
{% endmacro %}

{% macro create_report_catalog() %}
    {{ return(adapter.dispatch('create_report_catalog', 'smartsessions')()) }}
{% endmacro %}

{% macro default__create_report_catalog() %}
    create schema if not exists marts;
    create table if not exists marts.report_tabs (
        tab_order integer,
        tab_name varchar,
        model varchar,
        relation varchar,
        window_relation varchar,
        window_inputs varchar,
        saved_at timestamp
    );
    -- a database built before the report views kept each windowed tab's SQL as text instead
    alter table marts.report_tabs drop column if exists windowed_query;
    alter table marts.report_tabs add column if not exists window_relation varchar;
    alter table marts.report_tabs add column if not exists window_inputs varchar;
    create table if not exists marts.report_tab_columns (
        model varchar,
        column_order integer,
        column_name varchar,
        header varchar,
        data_type varchar
    );
    create table if not exists marts.build_runs (
        invocation_id varchar,
        command varchar,
        report_from varchar,
        report_to varchar,
        started_at timestamp,
        finished_at timestamp,
        status varchar
    );
    create table if not exists marts.build_failures (
        invocation_id varchar,
        resource_type varchar,
        node_name varchar,
        status varchar,
        failing_rows bigint,
        stored_failures varchar,
        message varchar
    );
    {%- for table, docs in report_catalog_docs().items() %}
    comment on table marts.{{ table }} is '{{ docs.about | replace("'", "''") }}';
    {%- for column, about in docs.columns.items() %}
    comment on column marts.{{ table }}.{{ column }} is '{{ about | replace("'", "''") }}';
    {%- endfor %}
    {%- endfor %}
{% endmacro %}

{% macro save_report_tab() %}
    {%- set tab = model.config.get('meta', {}).get('report_tab') -%}
    {%- if not execute or tab is none or report_window_is_set() -%}
        {{ return('') }}
    {%- endif -%}
    {#- Relations without the database name: the file that holds them may be a copy. -#}
    {%- set relation = this.include(database=false) | string -%}
    {#- A windowed tab's mart reads its report view (schema `report`): the export reads that view
        for a window, and a reader of the published catalog needs the relations it reads. -#}
    {%- set window = namespace(relation=none, inputs=[]) -%}
    {%- for node_id in model.depends_on.nodes if graph.nodes.get(node_id, {}).get('schema') == 'report' -%}
        {%- set view = graph.nodes[node_id] -%}
        {%- set window.relation = view.schema ~ '.' ~ view.alias -%}
        {%- for input_id in view.depends_on.nodes -%}
            {%- do window.inputs.append(graph.nodes[input_id].schema ~ '.' ~ graph.nodes[input_id].alias) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set columns = [] -%}
    {%- for column in model.columns.values() if column.get('meta', {}).get('header') -%}
        {%- do columns.append(column) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('write_report_tab', 'smartsessions')(
        tab, relation, window.relation, window.inputs | sort | join(','), columns
    )) }}
{% endmacro %}

{% macro default__write_report_tab(tab, relation, window_relation, window_inputs, columns) %}
    delete from marts.report_tabs where model = '{{ this.identifier }}';
    insert into marts.report_tabs
        (tab_order, tab_name, model, relation, window_relation, window_inputs, saved_at)
    values (
        {{ tab.order }},
        '{{ tab.name | replace("'", "''") }}',
        '{{ this.identifier }}',
        '{{ relation | replace("'", "''") }}',
        {% if window_relation is not none %}'{{ window_relation }}'{% else %}null{% endif %},
        {% if window_relation is not none %}'{{ window_inputs }}'{% else %}null{% endif %},
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
    );
    delete from marts.report_tab_columns where model = '{{ this.identifier }}';
    {%- for column in columns %}
    insert into marts.report_tab_columns values (
        '{{ this.identifier }}',
        {{ loop.index }},
        '{{ column.name }}',
        '{{ column.meta.header | replace("'", "''") }}',
        '{{ column.data_type }}'
    );
    {%- endfor %}
{% endmacro %}

{% macro record_build_start() %}
    {{ return(adapter.dispatch('record_build_start', 'smartsessions')()) }}
{% endmacro %}

{% macro default__record_build_start() %}
    {%- if flags.WHICH in ('build', 'run') %}
    insert into marts.build_runs values (
        '{{ invocation_id }}',
        '{{ flags.WHICH }}',
        {{ report_window_literal('report_from') }},
        {{ report_window_literal('report_to') }},
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
        null,
        'running'
    )
    {%- endif %}
{% endmacro %}

{#- A run that never reaches its end (a crash, a compile error) stays `running`. -#}
{% macro record_build_end(results) %}
    {{ return(adapter.dispatch('record_build_end', 'smartsessions')(results)) }}
{% endmacro %}

{% macro default__record_build_end(results) %}
    {%- if flags.WHICH in ('build', 'run') %}
    update marts.build_runs
    set
        finished_at = cast('{{ modules.datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
        status = '{{ build_outcome(results) }}'
    where invocation_id = '{{ invocation_id }}';
    {%- for result in results if result.status in ('error', 'fail', 'warn') %}
    {%- set node = result.node %}
    {#- a test that ran and found rows left them in a table (macros/report/test_failures.sql) -#}
    {%- set kept = node.resource_type == 'test' and result.status in ('fail', 'warn') %}
    insert into marts.build_failures values (
        '{{ invocation_id }}',
        '{{ node.resource_type }}',
        '{{ node.name }}',
        '{{ result.status }}',
        {{ result.failures if result.failures is not none else 'null' }},
        {% if kept %}'{{ test_failures_relation(result) }}'{% else %}null{% endif %},
        '{{ (result.message or '') | replace("'", "''") }}'
    );
    {%- endfor %}
    {%- endif %}
{% endmacro %}

{% macro report_window_literal(name) -%}
    {%- set bound = report_window_bound(name) -%}
    {{ "'" ~ bound ~ "'" if bound else 'null' }}
{%- endmacro %}
