{#- An instant (timestamp with time zone) as the wall-clock time of an IANA zone, DST-aware. -#}
{% macro to_local_timestamp(instant, zone) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'smartsessions')(instant, zone)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(instant, zone) -%}
    {{ exceptions.raise_compiler_error(
        "to_local_timestamp has no implementation for " ~ target.type
        ~ ": add " ~ target.type ~ "__to_local_timestamp in macros/to_local_timestamp.sql"
    ) }}
{%- endmacro %}

{% macro duckdb__to_local_timestamp(instant, zone) -%}
    timezone({{ zone }}, {{ instant }})
{%- endmacro %}
