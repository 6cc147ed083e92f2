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
        {{ clean_text('timezone') }} as timezone,

        -- lineage
        _load_id,
        _source_file,
        _source_row
    from source
)

select * from cleaned
