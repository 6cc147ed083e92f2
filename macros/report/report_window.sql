{#- The report window: local dates `report_from` .. `report_to`, inclusive, either end open.

    A tab's window is not text in its SQL but a value read when the SQL runs: on DuckDB, the
    session variables `report_from` and `report_to` (`set variable report_from = date '…'`),
    which the export sets on its read-only connection before it reads a `report` view. Unset,
    a bound is open. A build with the dbt vars `report_from` / `report_to` (a windowed `dbt
    build`), and Spark, which has no session variables over its Thrift server, get the bounds
    as literal dates instead, from the same macro. -#}

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

{#- True when this run has a window from the dbt vars: it builds the `report` relations for that
    window as tables and leaves the all-history marts as they are. -#}
{% macro report_window_is_set() -%}
    {{ return(report_window_bound('report_from') is not none or report_window_bound('report_to') is not none) }}
{%- endmacro %}

{#- A condition on a local date column: inside the window. -#}
{% macro in_report_window(local_date) -%}
    {%- set report_from = report_window_bound('report_from') -%}
    {%- set report_to = report_window_bound('report_to') -%}
    {%- if report_from and report_to and report_from > report_to -%}
        {{ exceptions.raise_compiler_error("report_from " ~ report_from ~ " is after report_to " ~ report_to) }}
    {%- endif -%}
    {{ return(adapter.dispatch('in_report_window', 'smartsessions')(local_date, report_from, report_to)) }}
{%- endmacro %}

{#- DuckDB: the dbt vars when set, else the session variables read at run time. -#}
{% macro default__in_report_window(local_date, report_from, report_to) -%}
    {%- if report_from or report_to -%}
        {{ local_date }} between {{ report_window_date(report_from, '0001-01-01') }}
        and {{ report_window_date(report_to, '9999-12-31') }}
    {%- else -%}
        {{ local_date }} between coalesce(getvariable('report_from'), date '0001-01-01')
        and coalesce(getvariable('report_to'), date '9999-12-31')
    {%- endif -%}
{%- endmacro %}

{#- Spark: the dbt vars, an open end being the widest date. -#}
{% macro spark__in_report_window(local_date, report_from, report_to) -%}
    {{ local_date }} between {{ report_window_date(report_from, '0001-01-01') }}
    and {{ report_window_date(report_to, '9999-12-31') }}
{%- endmacro %}

{% macro report_window_date(bound, open_end) -%}
    cast('{{ bound or open_end }}' as date)
{%- endmacro %}
