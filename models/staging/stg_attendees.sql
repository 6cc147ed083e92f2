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
)

select * from cleaned
