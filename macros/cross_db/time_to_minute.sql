{#- A time of day truncated to the minute (09:30:45 → 09:30). -#}
{% macro time_to_minute(time_of_day) -%}
    {{ return(adapter.dispatch('time_to_minute', 'smartsessions')(time_of_day)) }}
{%- endmacro %}

{% macro default__time_to_minute(time_of_day) -%}
    {{ not_implemented('time_to_minute') }}
{%- endmacro %}

{% macro duckdb__time_to_minute(time_of_day) -%}
    make_time(hour({{ time_of_day }}), minute({{ time_of_day }}), 0)
{%- endmacro %}

{#- Spark holds a time of day as text HH:MM:SS (it has no TIME type). -#}
{% macro spark__time_to_minute(time_of_day) -%}
    concat(substr({{ time_of_day }}, 1, 5), ':00')
{%- endmacro %}
