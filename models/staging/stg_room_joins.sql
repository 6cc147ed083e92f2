with

joins as (
    {{ stage_activity('room_joins', text_columns=['country_code']) }}
),

final as (
    select
        -- ids
        event_uuid,
        event_id,
        room_id,
        user_id,

        -- timestamps
        occurred_at,

        -- lineage
        _load_id,
        _source_file,
        _source_row,

        -- country: codes compare case-insensitively
        upper(country_code) as country_code
    from joins
)

select * from final
