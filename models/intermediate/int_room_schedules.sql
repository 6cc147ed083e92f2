{{ config(materialized='table') }}

with

rooms as (
    select * from {{ ref('stg_rooms') }}
),

-- Latest wins: the latest updated_at (a missing one is oldest), then the later load.
versions as (
    select
        *,
        row_number() over (
            partition by room_id
            order by updated_at desc nulls last, {{ load_order('desc') }}
        ) as version_rank
    from rooms
),

schedules as (
    select
        -- ids
        room_id,
        event_id,

        -- room
        room_name,
        capacity,
        start_date,
        end_date,
        {{ yes_no('coalesce(is_private, true)') }} as privacy_flag,

        -- schedule times are truncated to the minute before any arithmetic
        {{ time_to_minute('start_time') }} as start_time,
        {{ time_to_minute('end_time') }} as end_time,

        -- where an open visit closes: the scheduled end, seconds kept
        {{ date_at_time('end_date', 'end_time') }} as scheduled_end_local_at,

        -- lineage of the version kept
        _load_id
    from versions
    where version_rank = 1
),

timed as (
    select
        *,
        {{ dbt.datediff(
            date_at_time('start_date', 'start_time'),
            date_at_time('end_date', 'end_time'),
            'minute'
        ) }} as duration_minutes
    from schedules
),

final as (
    select
        room_id,
        event_id,
        room_name,
        capacity,
        start_date,
        end_date,
        privacy_flag,
        start_time,
        end_time,
        -- Whole minutes / 60 never end in an exact half at the third decimal, so rounding half
        -- away from zero and any other mode agree; negative stays negative.
        cast(round(duration_minutes / 60.0, 2) as decimal(10, 2)) as duration_hours,
        scheduled_end_local_at,
        _load_id
    from timed
)

select * from final
