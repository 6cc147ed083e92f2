{#- The report window: local dates `report_from` .. `report_to` (dbt vars, inclusive, either
    end open). Without them the windowed marts hold all history. -#}

{% macro report_window_bound(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or value == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parsed = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
    {%- if not parsed -%}
        {{ exceptions.raise_compiler_error(name ~ " must be a date YYYY-MM-DD, not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value | string) }}
{%- endmacro %}

{#- The open window's bounds, the widest dates. -#}
{% macro report_window_sentinels() %}
    {{ return({'report_from': '0001-01-01', 'report_to': '9999-12-31'}) }}
{% endmacro %}

{#- A condition on a local date column: inside the window. An open end is the widest date, so
    that the SQL of an all-history build names both bounds (the exporter binds them). -#}
{% macro in_report_window(local_date) -%}
    {%- set open_bounds = report_window_sentinels() -%}
    {%- set report_from = report_window_bound('report_from') or open_bounds.report_from -%}
    {%- set report_to = report_window_bound('report_to') or open_bounds.report_to -%}
    {%- if report_from > report_to -%}
        {{ exceptions.raise_compiler_error("report_from " ~ report_from ~ " is after report_to " ~ report_to) }}
    {%- endif -%}
    {{ local_date }} between cast('{{ report_from }}' as date) and cast('{{ report_to }}' as date)
{%- endmacro %}

{#- Windowed marts are written to `report` when a window is set, so that a windowed build never
    replaces the all-history marts analysts query. -#}
{% macro report_schema() -%}
    {%- if report_window_bound('report_from') or report_window_bound('report_to') -%}
        report
    {%- else -%}
        marts
    {%- endif -%}
{%- endmacro %}
