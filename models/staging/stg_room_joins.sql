with

joins as (
    {{ stage_activity('room_joins', text_columns=['country_code']) }}
),

countries as (
    select * from {{ ref('country_codes') }}
)

select
    -- ids
    joins.event_uuid,
    joins.event_id,
    joins.room_id,
    joins.user_id,

    -- timestamps
    joins.occurred_at,
    joins.occurred_local_at,
    joins.occurred_local_date,

    -- lineage
    joins._load_id,
    joins._source_file,
    joins._source_row,

    -- country: codes compare case-insensitively; missing or unrecognised is Unknown
    upper(joins.country_code) as country_code,
    coalesce(countries.country_name, 'Unknown') as country_name
from joins
left join countries on upper(joins.country_code) = countries.country_code
