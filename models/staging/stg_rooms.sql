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
        is_private,

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
)

select * from cleaned
