{#- An instant (timestamp with time zone) as the wall-clock time of an IANA zone, DST-aware. -#}
{% macro to_local_timestamp(instant, zone) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'smartsessions')(instant, zone)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(instant, zone) -%}
    {{ not_implemented('to_local_timestamp') }}
{%- endmacro %}

{% macro duckdb__to_local_timestamp(instant, zone) -%}
    timezone({{ zone }}, {{ instant }})
{%- endmacro %}

{#- The session time zone is UTC (profiles.yml), so a timestamp is the instant. -#}
{% macro spark__to_local_timestamp(instant, zone) -%}
    from_utc_timestamp({{ instant }}, {{ zone }})
{%- endmacro %}
