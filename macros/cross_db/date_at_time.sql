{#- The timestamp of a date at a time of day (wall clock, no time zone). -#}
{% macro date_at_time(day, time_of_day) -%}
    {{ return(adapter.dispatch('date_at_time', 'smartsessions')(day, time_of_day)) }}
{%- endmacro %}

{% macro default__date_at_time(day, time_of_day) -%}
    cast(concat(cast({{ day }} as varchar(10)), ' ', cast({{ time_of_day }} as varchar(8))) as timestamp)
{%- endmacro %}

{% macro duckdb__date_at_time(day, time_of_day) -%}
    ({{ day }} + {{ time_of_day }})
{%- endmacro %}

{#- Spark holds a time of day as text HH:MM:SS (it has no TIME type): the two are one string. -#}
{% macro spark__date_at_time(day, time_of_day) -%}
    to_timestamp(concat(cast({{ day }} as string), ' ', {{ time_of_day }}))
{%- endmacro %}
