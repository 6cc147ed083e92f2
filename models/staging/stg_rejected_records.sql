with

source as (
    select * from {{ source('raw', 'rejected_records') }}
),

named as (
    select
        -- where it was
        table_name,
        source_file,
        line_number,
        row_number,

        -- what it was and why it was rejected
        raw_record,
        reason,

        -- the event app the record names, when it can be read from it
        {{ clean_text(json_text_field('raw_record', 'event_id')) }} as event_id,

        -- lineage
        _load_id,
        _loaded_at
    from source
)

select * from named
