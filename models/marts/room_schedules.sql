-- Tab 1, "High Level (detailed view)": every room of the event; the window does not apply.
with

schedules as (
    select * from {{ ref('int_room_schedules') }}
),

final as (
    select
        event_id,
        room_id,
        start_date,
        end_date,
        room_name,
        privacy_flag,
        capacity,
        start_time,
        end_time,
        duration_hours,
        row_number() over (
            partition by event_id order by room_name, room_id
        ) as report_order
    from schedules
)

select * from final
