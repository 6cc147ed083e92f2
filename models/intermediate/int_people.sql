{{ config(materialized='table') }}

with

attendee_versions as (
    select * from {{ ref('stg_attendees') }}
),

activity as (
    select * from {{ ref('int_activity') }}
),

-- Latest wins per (event app, user): the latest updated_at (a missing one is oldest), then
-- the later load.
ranked_versions as (
    select
        *,
        row_number() over (
            partition by event_id, user_id
            order by updated_at desc nulls last, {{ load_order('desc') }}
        ) as version_rank
    from attendee_versions
),

attendees as (
    select * from ranked_versions
    where version_rank = 1
),

-- Everyone a report can name: attendees, and users or teleport targets seen in activity.
people as (
    select
        event_id,
        user_id
    from attendees

    union

    select
        event_id,
        user_id
    from activity

    union

    select
        event_id,
        target_user_id as user_id
    from activity
    where target_user_id is not null
),

final as (
    select
        people.event_id,
        people.user_id,
        attendees._load_id,
        -- first and last name joined by one space, or the one that is there, else the user_id
        coalesce(
            attendees.first_name || ' ' || attendees.last_name,
            attendees.first_name,
            attendees.last_name,
            people.user_id
        ) as person_name
    from people
    left join attendees
        on
            people.event_id = attendees.event_id
            and people.user_id = attendees.user_id
)

select * from final
