{#- The order records were landed in: load, then file path (byte order), then line or row.
    "First-loaded copy wins" sorts by it ascending; "latest wins" ties sort by it descending. -#}
{% macro load_order(direction='asc') -%}
    _load_id {{ direction }}, _source_file {{ direction }}, _source_row {{ direction }}
{%- endmacro %}
