{#- Room visits (report-sheets.md, tab 8): each person's counted joins and leaves of every room
    of the event app, walked in order of occurred_at (a leave before a join at one instant, then
    event_uuid). A person is in at most one room at a time: a join opens a visit unless it is a
    reconnect to the room the person is in; a join of another room, or a leave of the room, ends
    it; other leaves are stray. One pass of window functions, no self-join. Incremental by person:
    a run walks again the people whose moves or rooms changed (changed_visitors_only). -#}
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **incremental_by(
        'event_id', unique_key=['event_id', 'user_id'], post_hooks=["{{ delete_rows_of_moved_rooms() }}"]
    ),
) }}
{%- set cap_minutes = var('max_visit_minutes') | int %}

with

latest_load as (
    select * from {{ ref('int_latest_load') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

moves as (
    select
        event_id,
        user_id,
        room_id,
        activity_type,
        occurred_at,
        event_uuid,
        -- at one instant a leave comes before a join
        case when activity_type = 'room_leave' then 0 else 1 end as move_order
    from {{ ref('int_activity') }}
    where
        activity_type in ('room_join', 'room_leave')
        and {{ changed_visitors_only() }}
),

-- A segment: a join and the leaves after it, until the next join. Leaves before a person's
-- first join (segment 0) are stray.
segmented as (
    select
        *,
        sum(case when activity_type = 'room_join' then 1 else 0 end) over (
            partition by event_id, user_id
            order by occurred_at, move_order, event_uuid
            rows between unbounded preceding and current row
        ) as segment
    from moves
),

with_joined_room as (
    select
        *,
        first_value(room_id) over (
            partition by event_id, user_id, segment
            order by occurred_at, move_order, event_uuid
            rows between unbounded preceding and current row
        ) as joined_room_id
    from segmented
    where segment > 0
),

-- The first leave of the joined room closes its visit; leaves of other rooms are stray.
segments as (
    select
        event_id,
        user_id,
        segment,
        min(joined_room_id) as room_id,
        min(case when activity_type = 'room_join' then occurred_at end) as joined_at,
        min(
            case
                when activity_type = 'room_leave' and room_id = joined_room_id then occurred_at
            end
        ) as left_at
    from with_joined_room
    group by event_id, user_id, segment
),

linked as (
    select
        *,
        lag(room_id) over by_person as previous_room_id,
        lag(left_at) over by_person as previous_left_at,
        lead(room_id) over by_person as next_room_id,
        lead(joined_at) over by_person as next_joined_at
    from segments
    window by_person as (partition by event_id, user_id order by segment)
),

-- A join opens a visit unless the person is in that room already (a reconnect: the previous
-- segment joined it and did not leave it). A segment ends its visit when it leaves the room,
-- or when the next join is of another room, or when nothing follows.
marked as (
    select
        *,
        case
            when
                previous_room_id = room_id and previous_left_at is null
                then 0
            else 1
        end as opens_visit,
        left_at is not null
        or next_room_id is null
        or next_room_id <> room_id as ends_visit
    from linked
),

numbered as (
    select
        *,
        sum(opens_visit) over (
            partition by event_id, user_id
            order by segment
            rows between unbounded preceding and current row
        ) as visit_number
    from marked
),

walked as (
    select
        event_id,
        user_id,
        visit_number,
        min(room_id) as room_id,
        min(joined_at) as started_at,
        -- its natural end: a leave of the room, or a join of another; none when still open
        max(case when ends_visit then coalesce(left_at, next_joined_at) end) as natural_end_at,
        max(case when ends_visit and left_at is not null then 1 else 0 end) as left_the_room
    from numbered
    group by event_id, user_id, visit_number
),

-- An open visit closes at the room's scheduled end when it is later than the start, else at
-- the cap; no visit lasts longer than the cap (elapsed time, not wall clock).
closed as (
    select
        walked.*,
        rooms.room_id is not null as room_known,
        {{ dbt.dateadd('minute', cap_minutes, 'walked.started_at') }} as capped_at,
        {{ from_local_timestamp('rooms.scheduled_end_local_at', 'event_apps.timezone') }}
            as scheduled_end_at,
        event_apps.timezone
    from walked
    left join rooms on walked.room_id = rooms.room_id
    left join event_apps on walked.event_id = event_apps.event_id
),

resolved as (
    select
        *,
        case
            when natural_end_at is not null then natural_end_at
            when scheduled_end_at > started_at then scheduled_end_at
            else capped_at
        end as uncapped_end_at
    from closed
),

visits as (
    select
        event_id,
        room_id,
        user_id,
        visit_number,
        started_at,
        timezone,
        natural_end_at is not null as has_natural_end,
        case when uncapped_end_at > capped_at then capped_at else uncapped_end_at end as ended_at,
        case
            when uncapped_end_at > capped_at then 'cap'
            when natural_end_at is not null and left_the_room = 1 then 'leave'
            when natural_end_at is not null then 'joined_another_room'
            when scheduled_end_at > started_at then 'scheduled_end'
            else 'cap'
        end as end_reason
    from resolved
),

final as (
    select
        visits.event_id,
        visits.room_id,
        visits.user_id,
        visits.visit_number,
        visits.started_at,
        visits.ended_at,
        visits.has_natural_end,
        visits.end_reason,
        latest_load.load_id as _processed_load_id,
        {{ to_local_timestamp('visits.started_at', 'visits.timezone') }} as started_local_at,
        {{ to_local_timestamp('visits.ended_at', 'visits.timezone') }} as ended_local_at,
        cast({{ to_local_timestamp('visits.started_at', 'visits.timezone') }} as date)
            as started_local_date,
        {{ epoch_microseconds('visits.ended_at') }}
        - {{ epoch_microseconds('visits.started_at') }} as duration_microseconds
    from visits
    cross join latest_load
)

select * from final
