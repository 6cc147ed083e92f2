{#- The five activity tables in one shape: each kind's own columns (staging name per column
    here), empty for the other kinds. Which copy of a redelivered event_uuid counts, local time
    and the event app an activity belongs to are decided in int_activity_checked. -#}
{%- set kinds = {
    'room_join': 'room_joins',
    'room_leave': 'room_leaves',
    'bubble_event': 'bubble_events',
    'teleport': 'teleports',
    'chat_message': 'chat_messages',
} %}
{%- set empty_text = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
{%- set own_columns = {
    'room_join': {'country_code': 'country_code'},
    'bubble_event': {'bubble_id': 'bubble_id', 'bubble_action': 'action'},
    'teleport': {'target_user_id': 'target_user_id'},
} %}

with

final as (
    {%- for activity_type, table_name in kinds.items() %}
    select
        '{{ activity_type }}' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        {%- for column in ['country_code', 'bubble_id', 'bubble_action', 'target_user_id'] %}
        {{ own_columns.get(activity_type, {}).get(column, empty_text) }} as {{ column }},
        {%- endfor %}
        _load_id,
        _source_file,
        _source_row
    from {{ ref('stg_' ~ table_name) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
