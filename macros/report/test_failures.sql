{#- A failing test's rows, kept where whoever mends the build finds them: a table named after
    the test in its schema (`test_failures`, dbt_project.yml), holding what the test's query
    returned at the end of the run; `status` names it.

    What dbt's `store_failures` does, but for the failing tests only: store_failures writes a
    table for every test, passing ones included (empty), and those ~110 tables and their commits
    took the scale-1 build's data tests from about 11 s to about 18 s (README, Scheduling). A test
    that passes drops the table its last failure left, so the schema holds exactly the tests
    failing now. The table is written whatever the test's severity: a warning's rows are
    worth a look too. -#}
{% macro keep_test_failures(results) %}
    {{ return(adapter.dispatch('keep_test_failures', 'smartsessions')(results)) }}
{% endmacro %}

{% macro default__keep_test_failures(results) %}
    {%- set tests = results | selectattr('node.resource_type', 'equalto', 'test') | list %}
    {%- for schema in tests | map(attribute='node.schema') | unique %}
    create schema if not exists {{ schema }};
    {%- endfor %}
    {%- for result in tests %}
    {%- set kept = test_failures_relation(result) %}
    {%- if result.status in ('fail', 'warn') %}
    create or replace table {{ kept }} as {{ result.node.compiled_code }};
    {#- a test in error or skipped says nothing of the rows: what its last run kept stays -#}
    {%- elif result.status == 'pass' %}
    drop table if exists {{ kept }};
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- Spark writes each table as a job of its own, and `status`, which names the tables, reads
    DuckDB's published catalog: a Spark build's failing rows are in its log. -#}
{% macro spark__keep_test_failures(results) %}
{% endmacro %}

{#- schema.table, without the database: the file that holds it may be a copy. -#}
{% macro test_failures_relation(result) -%}
    {{ result.node.schema }}.{{ result.node.alias }}
{%- endmacro %}
