{{ config(materialized='table') }}

with

event_apps as (
    select * from {{ ref('stg_event_apps') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

-- event_apps has no updated_at: a redelivered app replaces the earlier copy.
versions as (
    select
        *,
        row_number() over (
            partition by event_id order by {{ load_order('desc') }}
        ) as version_rank
    from event_apps
),

delivered_apps as (
    select
        event_id,
        event_name,
        _load_id,
        coalesce(timezone, 'UTC') as timezone
    from versions
    where version_rank = 1
),

-- An event_id used by rooms but missing from event_apps is still an event app: no name, UTC.
apps_known_only_from_rooms as (
    select
        rooms.event_id,
        cast(null as {{ dbt.type_string() }}) as event_name,
        'UTC' as timezone,
        max(rooms._load_id) as _load_id
    from rooms
    left join delivered_apps on rooms.event_id = delivered_apps.event_id
    where delivered_apps.event_id is null
    group by rooms.event_id
),

final as (
    select
        event_id,
        event_name,
        timezone,
        _load_id
    from delivered_apps

    union all

    select
        event_id,
        event_name,
        timezone,
        _load_id
    from apps_known_only_from_rooms
)

select * from final
