{{ config(materialized='table') }}

with

room_joins as (
    select * from {{ ref('stg_room_joins') }}
),

room_leaves as (
    select * from {{ ref('stg_room_leaves') }}
),

bubble_events as (
    select * from {{ ref('stg_bubble_events') }}
),

teleports as (
    select * from {{ ref('stg_teleports') }}
),

chat_messages as (
    select * from {{ ref('stg_chat_messages') }}
),

rooms as (
    select * from {{ ref('stg_rooms') }}
),

activity as (
    select
        'room_join' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        country_name,
        cast(null as {{ dbt.type_string() }}) as bubble_id,
        cast(null as {{ dbt.type_string() }}) as bubble_action,
        cast(null as {{ dbt.type_string() }}) as target_user_id
    from room_joins

    union all

    select
        'room_leave' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        null as country_name,
        null as bubble_id,
        null as bubble_action,
        null as target_user_id
    from room_leaves

    union all

    select
        'bubble_event' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        null as country_name,
        bubble_id,
        action as bubble_action,
        null as target_user_id
    from bubble_events

    union all

    select
        'teleport' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        null as country_name,
        null as bubble_id,
        null as bubble_action,
        target_user_id
    from teleports

    union all

    select
        'chat_message' as activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        null as country_name,
        null as bubble_id,
        null as bubble_action,
        null as target_user_id
    from chat_messages
)

select
    activity.activity_type,
    activity.event_uuid,
    activity.event_id as record_event_id,
    activity.room_id,
    activity.user_id,
    activity.occurred_at,
    activity.occurred_local_at,
    activity.occurred_local_date,
    activity.country_name,
    activity.bubble_id,
    activity.bubble_action,
    activity.target_user_id,
    -- An activity belongs to its room's event app; without a room, to the one it names.
    coalesce(rooms.event_id, activity.event_id) as event_id,
    case
        when rooms.room_id is null then 'orphan_room'
        when rooms.event_id <> activity.event_id then 'wrong_event_app'
        when activity.target_user_id = activity.user_id then 'self_teleport'
    end as exclusion_reason
from activity
left join rooms on activity.room_id = rooms.room_id
