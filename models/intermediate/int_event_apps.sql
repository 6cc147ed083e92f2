with

event_apps as (
    select * from {{ ref('stg_event_apps') }}
),

rooms as (
    select * from {{ ref('stg_rooms') }}
),

-- An event_id used by rooms but missing from event_apps is still an event app: no name, UTC.
apps_known_only_from_rooms as (
    select distinct
        rooms.event_id,
        cast(null as {{ dbt.type_string() }}) as event_name,
        'UTC' as timezone
    from rooms
    left join event_apps on rooms.event_id = event_apps.event_id
    where event_apps.event_id is null
)

select
    event_id,
    event_name,
    timezone
from event_apps

union all

select
    event_id,
    event_name,
    timezone
from apps_known_only_from_rooms
