-- Every event app with its time zone, how busy it is and when: what the exporter looks an
-- event code up in, what the Report info tab prints (with the Usage graph's bucket width) and
-- the portal's default window (its first and last local activity dates).
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

activity_counts as (
    select
        event_id,
        count(case when activity_type = 'room_join' then 1 end) as join_count,
        min(occurred_local_date) as first_activity_date,
        max(occurred_local_date) as last_activity_date
    from activity
    group by event_id
),

final as (
    select
        event_apps.event_id,
        event_apps.event_name,
        event_apps.timezone,
        coalesce(room_counts.room_count, 0) as room_count,
        coalesce(activity_counts.join_count, 0) as join_count,
        activity_counts.first_activity_date,
        activity_counts.last_activity_date,
        {{ var('bucket_minutes') }} as bucket_minutes,
        {{ var('max_visit_minutes') }} as max_visit_minutes
    from event_apps
    left join room_counts on event_apps.event_id = room_counts.event_id
    left join activity_counts on event_apps.event_id = activity_counts.event_id
)

select * from final
