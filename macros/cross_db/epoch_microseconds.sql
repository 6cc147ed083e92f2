{#- An instant as microseconds since 1970-01-01 UTC: durations exact to the microsecond. -#}
{% macro epoch_microseconds(instant) -%}
    {{ return(adapter.dispatch('epoch_microseconds', 'smartsessions')(instant)) }}
{%- endmacro %}

{% macro default__epoch_microseconds(instant) -%}
    {{ not_implemented('epoch_microseconds') }}
{%- endmacro %}

{% macro duckdb__epoch_microseconds(instant) -%}
    epoch_us({{ instant }})
{%- endmacro %}

{% macro spark__epoch_microseconds(instant) -%}
    unix_micros({{ instant }})
{%- endmacro %}
