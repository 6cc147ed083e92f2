{#- A flag as the report prints it. -#}
{% macro yes_no(condition) -%}
    case when {{ condition }} then 'Y' else 'N' end
{%- endmacro %}
