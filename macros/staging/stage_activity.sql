{#- The staging shared by the five activity tables (room_joins, room_leaves, bubble_events,
    teleports, chat_messages): one row per landed row, text cleaned, lineage kept. Which copy of
    a redelivered event_uuid counts, and local time, are decided in int_activity_checked.
    `text_columns` are the table's own text columns, cleaned like the ids. -#}
{% macro stage_activity(table_name, text_columns=[]) %}
    {%- set id_columns = ['event_uuid', 'event_id', 'room_id', 'user_id'] %}

with

source as (
    select * from {{ source('raw', table_name) }}
),

cleaned as (
    select
        -- ids
        {%- for column in id_columns %}
        {{ clean_text(column) }} as {{ column }},
        {%- endfor %}

        -- the table's own values
        {%- for column in text_columns %}
        {{ clean_text(column) }} as {{ column }},
        {%- endfor %}

        -- timestamps
        occurred_at,

        -- lineage
        _load_id,
        _source_file,
        _source_row
    from source
)

select * from cleaned
{% endmacro %}
