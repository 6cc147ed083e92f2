-- Tab 2, "User by countries": distinct users who joined each room from each country.
{{ config(**report_view_config('room_countries')) }}

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

room_countries as (
    select
        room_id,
        country_name,
        count(distinct user_id) as user_count
    from joins
    group by room_id, country_name
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        rooms.privacy_flag,
        room_countries.country_name,
        room_countries.user_count,
        row_number() over (
            partition by rooms.event_id
            order by
                rooms.room_name asc,
                rooms.room_id asc,
                room_countries.user_count desc,
                room_countries.country_name asc
        ) as report_order
    from room_countries
    inner join rooms on room_countries.room_id = rooms.room_id
)

select * from final
