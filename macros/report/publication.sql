{#- What readers see after a dbt build or run on the working database, whoever ran it: by hand,
    an orchestrator or `smartsessions build`. A build without a window that ran every model,
    seed and data test of the project, each passing (a warning passes), is published; anything
    else (a failure, a selection, `dbt run` without its tests) leaves the last publication
    serving, and readers learn of it: the run's record (marts.build_runs, build_failures) is
    copied into the published catalog. The work is Python's (pipeline/publish.py), reached
    through functions the project's dbt-duckdb plugin registers on dbt's connection
    (pipeline/dbt_plugin.py, profiles.yml). -#}

{#- `success` (complete, every node passed), `failed` (a node in error or failing) or `partial`
    (every node that ran passed, but not every model, seed and data test ran). A refresh's build
    (`--selector refresh`, selectors.yml) that passed is a success: it ran every model new
    records can change, with their tests, on a project whose complete build passed before. -#}
{% macro build_outcome(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- elif results | selectattr('status', 'in', ['error', 'fail', 'skipped']) | list -%}
        failed
    {%- else -%}
        {%- set ran = results | map(attribute='node') | map(attribute='unique_id') | list -%}
        {%- set needed = [] -%}
        {%- for node in graph.nodes.values()
            if node.package_name == project_name and node.resource_type in ('model', 'seed', 'test') -%}
            {%- do needed.append(node.unique_id) -%}
        {%- endfor -%}
        {%- set complete = needed | reject('in', ran) | list | length == 0 -%}
        {{ 'success' if flags.WHICH == 'build' and (complete or is_refresh_selection()) else 'partial' }}
    {%- endif -%}
{%- endmacro %}

{% macro publish_for_readers(results) %}
    {{ return(adapter.dispatch('publish_for_readers', 'smartsessions')(results)) }}
{% endmacro %}

{% macro default__publish_for_readers(results) %}
    {%- if execute and flags.WHICH in ('build', 'run') and not report_window_is_set() -%}
        {%- if build_outcome(results) == 'success' -%}
            select smartsessions_publish(
                {{ var('freshness_warn_hours') }}, {{ var('freshness_error_hours') }}
            )
        {%- else -%}
            select smartsessions_record_unpublished()
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- A Spark build is never published: the export reads Spark's tables. -#}
{% macro spark__publish_for_readers(results) %}
{% endmacro %}
