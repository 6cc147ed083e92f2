-- Tab 6, "User engagement (bubble)": one row per user and bubble they joined in the window.
-- A bubble is (room_id, bubble_id); people and lock count only events in the window.
{{ config(**report_view_config('user_bubbles')) }}

with

bubble_events as (
    select * from {{ ref('int_activity') }}
    where
        activity_type = 'bubble_event' and {{ in_report_window('occurred_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

people as (
    select * from {{ ref('int_people') }}
),

bubbles as (
    select
        room_id,
        bubble_id,
        count(distinct case when bubble_action = 'join' then user_id end) as people_count,
        max(case when bubble_action = 'lock' then 1 else 0 end) as was_locked
    from bubble_events
    group by room_id, bubble_id
),

-- The user's first join of the bubble: the earliest instant, then the smallest event_uuid.
ranked_joins as (
    select
        event_id,
        room_id,
        bubble_id,
        user_id,
        occurred_local_at,
        row_number() over (
            partition by room_id, bubble_id, user_id
            order by occurred_at, event_uuid
        ) as join_rank
    from bubble_events
    where bubble_action = 'join'
),

memberships as (
    select
        event_id,
        room_id,
        bubble_id,
        user_id,
        {{ dbt.date_trunc('minute', 'occurred_local_at') }} as first_joined_at
    from ranked_joins
    where join_rank = 1
),

final as (
    select
        rooms.event_id,
        memberships.user_id,
        people.person_name as user_name,
        rooms.room_id,
        rooms.room_name,
        memberships.bubble_id,
        bubbles.people_count,
        memberships.first_joined_at,
        {{ yes_no('bubbles.was_locked = 1') }} as lock_flag,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name,
                rooms.room_id,
                memberships.first_joined_at,
                people.person_name,
                memberships.user_id,
                memberships.bubble_id
        ) as report_order
    from memberships
    inner join bubbles
        on
            memberships.room_id = bubbles.room_id
            and memberships.bubble_id = bubbles.bubble_id
    inner join rooms on memberships.room_id = rooms.room_id
    inner join people
        on
            memberships.event_id = people.event_id
            and memberships.user_id = people.user_id
)

select * from final
