-- Every event app with its time zone and how busy it is: what the exporter looks an event
-- code up in, and what the Report info tab prints (with the Usage graph's bucket width).
with

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

activity as (
    select * from {{ ref('int_activity') }}
),

room_counts as (
    select
        event_id,
        count(*) as room_count
    from rooms
    group by event_id
),

join_counts as (
    select
        event_id,
        count(*) as join_count
    from activity
    where activity_type = 'room_join'
    group by event_id
),

final as (
    select
        event_apps.event_id,
        event_apps.event_name,
        event_apps.timezone,
        coalesce(room_counts.room_count, 0) as room_count,
        coalesce(join_counts.join_count, 0) as join_count,
        {{ var('bucket_minutes') }} as bucket_minutes,
        {{ var('max_visit_minutes') }} as max_visit_minutes
    from event_apps
    left join room_counts on event_apps.event_id = room_counts.event_id
    left join join_counts on event_apps.event_id = join_counts.event_id
)

select * from final
