{#- On a refresh (`dbt build --selector refresh`, selectors.yml), a data test of an incremental
    model checks the rows this run wrote: those stamped with the model's newest
    `_processed_load_id`. Each incremental model rewrites whole keys (a tab mart a whole event
    app, the visits a whole person, the activity whole records, each with the newest load), so a
    test of a key's rows (`unique` within an event app, `relationships` from its rows) sees all
    of them. Rows a run did not touch were checked when they were written; `smartsessions build`
    and `refresh --full-check` check every row. Otherwise dbt's own: the test's `where`. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if checks_written_rows_only() -%}
        {%- do conditions.append(
            '_processed_load_id = (select max(_processed_load_id) from ' ~ relation ~ ')'
        ) -%}
    {%- endif -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- Whether this run is a refresh's: `dbt build --selector refresh` (selectors.yml). -#}
{% macro is_refresh_selection() -%}
    {{ return(invocation_args_dict.get('selector') == 'refresh') }}
{%- endmacro %}

{#- Whether the test being compiled is a refresh's test of an incremental model. -#}
{% macro checks_written_rows_only() -%}
    {%- if not execute or not is_refresh_selection() -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- do return(tested is not none and tested.config.materialized == 'incremental') -%}
{%- endmacro %}
