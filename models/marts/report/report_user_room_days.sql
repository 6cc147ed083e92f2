-- Tab 5, "User engagement (high level)": per room, user and local date with any join, bubble
-- join, teleport or chat message (leaves and other bubble actions make no row on their own).
{{ config(**report_view_config('user_room_days')) }}

with

engagement as (
    select * from {{ ref('int_activity') }}
    where
        {{ in_report_window('occurred_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
        and (
            activity_type in ('room_join', 'teleport', 'chat_message')
            or (activity_type = 'bubble_event' and bubble_action = 'join')
        )
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

people as (
    select * from {{ ref('int_people') }}
),

user_days as (
    select
        event_id,
        room_id,
        user_id,
        occurred_local_date as activity_date,
        count(distinct case when activity_type = 'bubble_event' then bubble_id end)
            as bubble_count,
        max(case when activity_type = 'chat_message' then 1 else 0 end) as chatted,
        count(case when activity_type = 'teleport' then 1 end) as teleport_count
    from engagement
    group by event_id, room_id, user_id, occurred_local_date
),

-- The first join of the day: the earliest instant, then the smallest event_uuid.
ranked_joins as (
    select
        room_id,
        user_id,
        occurred_local_date as activity_date,
        country_name,
        row_number() over (
            partition by room_id, user_id, occurred_local_date
            order by occurred_at, event_uuid
        ) as join_rank
    from engagement
    where activity_type = 'room_join'
),

first_joins as (
    select * from ranked_joins
    where join_rank = 1
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        user_days.user_id,
        people.person_name as user_name,
        user_days.bubble_count,
        user_days.teleport_count,
        user_days.activity_date,
        {{ yes_no('user_days.chatted = 1') }} as chat_flag,
        coalesce(first_joins.country_name, 'Unknown') as country_name,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name,
                rooms.room_id,
                user_days.activity_date,
                people.person_name,
                user_days.user_id
        ) as report_order
    from user_days
    inner join rooms on user_days.room_id = rooms.room_id
    inner join people
        on
            user_days.event_id = people.event_id
            and user_days.user_id = people.user_id
    left join first_joins
        on
            user_days.room_id = first_joins.room_id
            and user_days.user_id = first_joins.user_id
            and user_days.activity_date = first_joins.activity_date
)

select * from final
