{#- A wall-clock time of an IANA zone as an instant. A time the clocks skip or repeat is read
    with the UTC offset in force just before the change (in a repeated hour: the first pass),
    as java.time and Python's zoneinfo (fold=0) read it. -#}
{% macro from_local_timestamp(local_time, zone) -%}
    {{ return(adapter.dispatch('from_local_timestamp', 'smartsessions')(local_time, zone)) }}
{%- endmacro %}

{% macro default__from_local_timestamp(local_time, zone) -%}
    {{ not_implemented('from_local_timestamp') }}
{%- endmacro %}

{#- DuckDB reads a repeated hour as its second pass. So: try the offsets in force a day before
    and a day after (p and q); take the one that gives back the wall-clock time, the earlier
    offset when both do (a repeated hour), and the earlier when neither does (a skipped one). -#}
{% macro duckdb__from_local_timestamp(local_time, zone) -%}
    {%- set as_utc = 'cast(' ~ local_time ~ ' as timestamptz)' -%}
    {%- set day_before = '(' ~ as_utc ~ ' - interval 1 day)' -%}
    {%- set day_after = '(' ~ as_utc ~ ' + interval 1 day)' -%}
    {%- set p = '(' ~ as_utc ~ ' - (timezone(' ~ zone ~ ', ' ~ day_before ~ ') - cast(' ~ day_before ~ ' as timestamp)))' -%}
    {%- set q = '(' ~ as_utc ~ ' - (timezone(' ~ zone ~ ', ' ~ day_after ~ ') - cast(' ~ day_after ~ ' as timestamp)))' -%}
    case
        when timezone({{ zone }}, {{ p }}) = {{ local_time }} then {{ p }}
        when timezone({{ zone }}, {{ q }}) = {{ local_time }} then {{ q }}
        else {{ p }}
    end
{%- endmacro %}

{#- java.time reads a skipped or repeated local time with the offset in force before the change,
    which is the rule: with the session time zone pinned to UTC, a timestamp is the instant. -#}
{% macro spark__from_local_timestamp(local_time, zone) -%}
    to_utc_timestamp({{ local_time }}, {{ zone }})
{%- endmacro %}
