{#- The landing rule for text: trim spaces, tabs, carriage returns and line feeds; empty is missing. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'smartsessions')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ column }}), '')
{%- endmacro %}

{% macro duckdb__clean_text(column) -%}
    nullif(trim({{ column }}, ' ' || chr(9) || chr(10) || chr(13)), '')
{%- endmacro %}
