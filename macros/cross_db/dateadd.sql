{#- dbt-spark's dateadd goes through unix seconds (an instant's microseconds are lost) and fails
    on a null: Spark's timestampadd adds to the instant itself. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
