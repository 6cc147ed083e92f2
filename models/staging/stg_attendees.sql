with

source as (
    select * from {{ source('raw', 'attendees') }}
),

cleaned as (
    select
        -- ids
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('user_id') }} as user_id,

        -- text
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,

        -- timestamps
        updated_at,

        -- lineage
        _load_id,
        _source_file,
        _source_row
    from source
),

-- Latest wins per (event app, user): the latest updated_at (a missing one is oldest), then
-- the later load.
versions as (
    select
        *,
        row_number() over (
            partition by event_id, user_id
            order by updated_at desc nulls last, {{ load_order('desc') }}
        ) as version_rank
    from cleaned
)

select
    event_id,
    user_id,
    first_name,
    last_name,
    updated_at
from versions
where version_rank = 1
