{#- The staging shared by the five activity tables (room_joins, room_leaves, bubble_events,
    teleports, chat_messages): text cleaned, redeliveries removed (the first-loaded copy of an
    event_uuid counts), and occurred_at as local date and time of the record's event app
    (UTC when the app has no time zone or no event_apps row). `text_columns` are the table's
    own text columns, cleaned like the ids. -#}
{% macro stage_activity(table_name, text_columns=[]) %}
    {%- set id_columns = ['event_uuid', 'event_id', 'room_id', 'user_id'] + text_columns %}

with

source as (
    select * from {{ source('raw', table_name) }}
),

event_apps as (
    select * from {{ ref('stg_event_apps') }}
),

cleaned as (
    select
        {%- for column in id_columns %}
        {{ clean_text(column) }} as {{ column }},
        {%- endfor %}
        occurred_at,
        _load_id,
        _source_file,
        _source_row
    from source
),

copies as (
    select
        *,
        row_number() over (partition by event_uuid order by {{ load_order() }}) as copy_number
    from cleaned
),

localised as (
    select
        {%- for column in id_columns %}
        copies.{{ column }},
        {%- endfor %}
        copies.occurred_at,
        {{ to_local_timestamp('copies.occurred_at', "coalesce(event_apps.timezone, 'UTC')") }}
            as occurred_local_at,
        copies._load_id,
        copies._source_file,
        copies._source_row
    from copies
    left join event_apps on copies.event_id = event_apps.event_id
    where copies.copy_number = 1
)

select
    *,
    cast(occurred_local_at as date) as occurred_local_date
from localised
{% endmacro %}
