-- Tab 7, "User engagement (teleport)": per room, user and person teleported to (never oneself:
-- self-teleports are excluded upstream), how many times and the first time.
{{ config(**report_view_config('user_teleports')) }}

with

teleports as (
    select * from {{ ref('int_activity') }}
    where
        activity_type = 'teleport' and {{ in_report_window('occurred_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

people as (
    select * from {{ ref('int_people') }}
),

-- The first teleport of each pair: the earliest instant, then the smallest event_uuid.
ranked as (
    select
        event_id,
        room_id,
        user_id,
        target_user_id,
        occurred_local_at,
        count(*) over (partition by room_id, user_id, target_user_id) as teleport_count,
        row_number() over (
            partition by room_id, user_id, target_user_id
            order by occurred_at, event_uuid
        ) as teleport_rank
    from teleports
),

pairs as (
    select
        event_id,
        room_id,
        user_id,
        target_user_id,
        teleport_count,
        {{ dbt.date_trunc('minute', 'occurred_local_at') }} as first_teleported_at
    from ranked
    where teleport_rank = 1
),

final as (
    select
        rooms.event_id,
        pairs.user_id,
        travellers.person_name as user_name,
        rooms.room_id,
        rooms.room_name,
        pairs.target_user_id,
        targets.person_name as target_name,
        pairs.teleport_count,
        pairs.first_teleported_at,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name,
                rooms.room_id,
                travellers.person_name,
                pairs.user_id,
                pairs.first_teleported_at,
                targets.person_name,
                pairs.target_user_id
        ) as report_order
    from pairs
    inner join rooms on pairs.room_id = rooms.room_id
    inner join people as travellers
        on
            pairs.event_id = travellers.event_id
            and pairs.user_id = travellers.user_id
    inner join people as targets
        on
            pairs.event_id = targets.event_id
            and pairs.target_user_id = targets.user_id
)

select * from final
