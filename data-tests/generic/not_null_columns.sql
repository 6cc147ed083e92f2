{#- None of `columns` is ever empty: one scan for the columns a model promises, rather than a
    test (and a scan) per column. -#}
{% test not_null_columns(model, columns) %}

select *
from {{ model }}
where
    {%- for column in columns %}
    {{ column }} is null{% if not loop.last %} or{% endif %}
    {%- endfor %}

{% endtest %}
