-- Redelivered copies that staging left out: every raw activity row whose lineage is not the
-- copy staging kept for its event_uuid.
{%- set activity_tables = {
    'room_join': 'room_joins',
    'room_leave': 'room_leaves',
    'bubble_event': 'bubble_events',
    'teleport': 'teleports',
    'chat_message': 'chat_messages',
} %}

{% for activity_type, table_name in activity_tables.items() %}
    select
        '{{ activity_type }}' as activity_type,
        {{ clean_text('delivered.event_uuid') }} as event_uuid,
        delivered._load_id,
        delivered._source_file,
        delivered._source_row
    from {{ source('raw', table_name) }} as delivered
    left join {{ ref('stg_' ~ table_name) }} as kept
        on
            delivered._load_id = kept._load_id
            and delivered._source_file = kept._source_file
            and delivered._source_row = kept._source_row
    where kept.event_uuid is null
    {% if not loop.last %}union all{% endif %}
{% endfor %}
