-- Tab 8, "Time in rooms": per room and person, their visits starting in the window, how long
-- they stayed (exact durations summed, then rounded) and when they first entered and last left.
{{ config(**report_view_config('room_user_visits')) }}

with

visits as (
    select * from {{ ref('int_room_visits') }}
    where
        {{ in_report_window('started_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

people as (
    select * from {{ ref('int_people') }}
),

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

stays as (
    select
        event_id,
        room_id,
        user_id,
        count(*) as visit_count,
        sum(duration_microseconds) as total_microseconds,
        min(started_at) as first_started_at,
        max(ended_at) as last_ended_at
    from visits
    group by event_id, room_id, user_id
),

shown as (
    select
        stays.*,
        -- minutes to one decimal, half away from zero (durations are never negative)
        cast(
            {{ integer_divide('stays.total_microseconds * 10 + 30000000', '60000000') }} / 10.0
            as decimal(18, 1)
        ) as minutes_in_room,
        {{ dbt.date_trunc(
            'minute', to_local_timestamp('stays.first_started_at', 'event_apps.timezone')
        ) }} as first_entered_at,
        {{ dbt.date_trunc(
            'minute', to_local_timestamp('stays.last_ended_at', 'event_apps.timezone')
        ) }} as last_left_at
    from stays
    inner join event_apps on stays.event_id = event_apps.event_id
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        rooms.privacy_flag,
        shown.user_id,
        people.person_name as attendee_name,
        shown.visit_count,
        shown.minutes_in_room,
        shown.first_entered_at,
        shown.last_left_at,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name asc,
                rooms.room_id asc,
                shown.minutes_in_room desc,
                people.person_name asc,
                shown.user_id asc
        ) as report_order
    from shown
    inner join rooms on shown.room_id = rooms.room_id
    inner join people
        on
            shown.event_id = people.event_id
            and shown.user_id = people.user_id
)

select * from final
