{#- `column_name` numbers the rows of each `partition_by` group 1, 2, 3, ... with no gap (with
    unique_combination on the pair: min 1 and max = row count). The exporter reads tabs in pages
    of report_order and takes a short page for the last. -#}
{% test numbered_from_one(model, column_name, partition_by) %}

select
    {{ partition_by }},
    min({{ column_name }}) as first_number,
    max({{ column_name }}) as last_number,
    count(*) as row_count
from {{ model }}
group by {{ partition_by }}
having min({{ column_name }}) <> 1 or max({{ column_name }}) <> count(*)

{% endtest %}
