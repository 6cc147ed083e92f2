with

source as (
    select * from {{ source('raw', 'rooms') }}
),

cleaned as (
    select
        -- ids
        {{ clean_text('room_id') }} as room_id,
        {{ clean_text('event_id') }} as event_id,

        -- text
        {{ clean_text('room_name') }} as room_name,

        -- numbers and flags
        capacity,
        coalesce(is_private, true) as is_private,

        -- schedule, local to the event
        start_date,
        end_date,
        start_time,
        end_time,

        -- timestamps
        updated_at,

        -- lineage
        _load_id,
        _source_file,
        _source_row
    from source
),

-- Latest wins: the latest updated_at (a missing one is oldest), then the later load.
versions as (
    select
        *,
        row_number() over (
            partition by room_id
            order by updated_at desc nulls last, {{ load_order('desc') }}
        ) as version_rank
    from cleaned
)

select
    room_id,
    event_id,
    room_name,
    capacity,
    is_private,
    start_date,
    end_date,
    start_time,
    end_time,
    updated_at
from versions
where version_rank = 1
