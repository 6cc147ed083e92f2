with

source as (
    select * from {{ source('raw', 'event_apps') }}
),

cleaned as (
    select
        -- ids
        {{ clean_text('event_id') }} as event_id,

        -- text
        {{ clean_text('event_name') }} as event_name,
        coalesce({{ clean_text('timezone') }}, 'UTC') as timezone,

        -- lineage
        _load_id,
        _source_file,
        _source_row
    from source
),

-- event_apps has no updated_at: a redelivered app replaces the earlier copy.
versions as (
    select
        *,
        row_number() over (
            partition by event_id order by {{ load_order('desc') }}
        ) as version_rank
    from cleaned
)

select
    event_id,
    event_name,
    timezone
from versions
where version_rank = 1
