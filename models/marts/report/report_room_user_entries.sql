-- Tab 4, "Usage (detailed view)": how many times each user entered each room.
{{ config(**report_view_config('room_user_entries')) }}

with

joins as (
    select * from {{ ref('int_activity') }}
    where
        activity_type = 'room_join' and {{ in_report_window('occurred_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

people as (
    select * from {{ ref('int_people') }}
),

entries as (
    select
        event_id,
        room_id,
        user_id,
        count(*) as entry_count
    from joins
    group by event_id, room_id, user_id
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        rooms.privacy_flag,
        entries.user_id,
        people.person_name as attendee_name,
        entries.entry_count,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name asc,
                rooms.room_id asc,
                entries.entry_count desc,
                people.person_name asc,
                entries.user_id asc
        ) as report_order
    from entries
    inner join rooms on entries.room_id = rooms.room_id
    inner join people
        on
            entries.event_id = people.event_id
            and entries.user_id = people.user_id
)

select * from final
