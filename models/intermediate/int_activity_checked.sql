{#- Incremental by load: a run takes the rows of the loads it has not processed yet, and takes
    again the rows it already holds whose room or event app changed since (a later version won),
    so that a late-arriving event lands in the day it belongs to, a redelivery changes nothing
    and a rooms update reaches every row it affects. -#}
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **incremental_by('_load_id', unique_key=['activity_type', '_load_id', '_source_file', '_source_row']),
) }}

with

activity as (
    select * from {{ ref('int_activity_unioned') }}
),

latest_load as (
    select * from {{ ref('int_latest_load') }}
),

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

countries as (
    select * from {{ ref('country_codes') }}
),

{% if is_incremental() %}
-- Every load up to the one the last run was stamped with is in the table already.
processed as (
    select coalesce(max(_processed_load_id), 0) as load_id from {{ this }}
),

{% endif %}

delivered as (
    select
        activity_type,
        event_uuid,
        event_id as record_event_id,
        room_id,
        user_id,
        occurred_at,
        country_code,
        bubble_id,
        bubble_action,
        target_user_id,
        _load_id,
        _source_file,
        _source_row
    from activity
    {%- if is_incremental() %}
    where _load_id > (select processed.load_id from processed)
    {%- endif %}
),

{% if is_incremental() %}
-- The event_uuids of this run that earlier loads delivered already.
already_delivered as (
    select distinct
        earlier.activity_type,
        earlier.event_uuid
    from {{ this }} as earlier
    inner join delivered
        on
            earlier.activity_type = delivered.activity_type
            and earlier.event_uuid = delivered.event_uuid
),
{% endif %}

-- The copy of an event_uuid that counts is the first loaded (load, then file path in byte
-- order, then line or row); the others are duplicates. In an incremental run a copy already in
-- the table was loaded first.
copies as (
    select
        delivered.*,
        row_number() over (
            partition by delivered.activity_type, delivered.event_uuid
            order by {{ load_order() }}
        ) = 1
        {%- if is_incremental() %} and already_delivered.event_uuid is null{% endif %}
            as is_first_copy
    from
        delivered
    {%- if is_incremental() %}
left join already_delivered
    on
        delivered.activity_type = already_delivered.activity_type
        and delivered.event_uuid = already_delivered.event_uuid
    {%- endif %}
),

candidates as (
    select * from copies
    {%- if is_incremental() %}

    union all

    -- rows already in the table whose room or event app has a newer version (on Spark,
    -- every row of the loads that hold one: it overwrites whole loads)
    select
        activity_type,
        event_uuid,
        record_event_id,
        room_id,
        user_id,
        occurred_at,
        country_code,
        bubble_id,
        bubble_action,
        target_user_id,
        _load_id,
        _source_file,
        _source_row,
        coalesce(exclusion_reason, '') <> 'duplicate_event_uuid' as is_first_copy
    from {{ this }}
    where {% call rows_of_changed_loads('_load_id') %}
        room_id in (
            select rooms.room_id from rooms
            where rooms._load_id > (select processed.load_id from processed)
        )
        or record_event_id in (
            select event_apps.event_id from event_apps
            where event_apps._load_id > (select processed.load_id from processed)
        )
    {%- endcall %}
    {%- endif %}
),

-- Local time is the record's own event app's (UTC when it has none or no event_apps row).
localised as (
    select
        candidates.*,
        {{ to_local_timestamp('candidates.occurred_at', "coalesce(event_apps.timezone, 'UTC')") }}
            as occurred_local_at
    from candidates
    left join event_apps on candidates.record_event_id = event_apps.event_id
),

final as (
    select
        localised.activity_type,
        localised.event_uuid,
        localised.record_event_id,
        localised.room_id,
        localised.user_id,
        localised.occurred_at,
        localised.occurred_local_at,
        localised.country_code,
        localised.bubble_id,
        localised.bubble_action,
        localised.target_user_id,
        localised._load_id,
        localised._source_file,
        localised._source_row,
        latest_load.load_id as _processed_load_id,
        cast(localised.occurred_local_at as date) as occurred_local_date,
        -- a join's country: missing or unrecognised codes are Unknown
        case
            when localised.activity_type = 'room_join'
                then coalesce(countries.country_name, 'Unknown')
        end as country_name,
        -- An activity belongs to its room's event app; without a room, to the one it names.
        coalesce(rooms.event_id, localised.record_event_id) as event_id,
        case
            when not localised.is_first_copy then 'duplicate_event_uuid'
            when rooms.room_id is null then 'orphan_room'
            when rooms.event_id <> localised.record_event_id then 'wrong_event_app'
            when localised.target_user_id = localised.user_id then 'self_teleport'
        end as exclusion_reason
    from localised
    cross join latest_load
    left join rooms on localised.room_id = rooms.room_id
    left join countries on localised.country_code = countries.country_code
)

select * from final
