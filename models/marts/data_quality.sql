-- Per event app, the records left out of the report and why, so that nothing disappears
-- without a trace, and the visits that had no natural end and how they were closed. All
-- history: the report window does not apply.
with

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

checked_activity as (
    select * from {{ ref('int_activity_checked') }}
),

rejected as (
    select * from {{ ref('stg_rejected_records') }}
),

visits as (
    select * from {{ ref('int_room_visits') }}
),

reasons as (
    select * from {{ ref('data_quality_reasons') }}
),

left_out as (
    select
        event_id,
        exclusion_reason as reason
    from checked_activity
    where exclusion_reason in ('orphan_room', 'wrong_event_app', 'self_teleport')

    union all

    -- a duplicate belongs to the event app of the copy that counts
    select
        counted.event_id,
        duplicates.exclusion_reason as reason
    from checked_activity as duplicates
    inner join checked_activity as counted
        on
            duplicates.activity_type = counted.activity_type
            and duplicates.event_uuid = counted.event_uuid
            and coalesce(counted.exclusion_reason, '') <> 'duplicate_event_uuid'
    where duplicates.exclusion_reason = 'duplicate_event_uuid'

    union all

    -- a rejected record belongs to the event app it names, when it can be read
    select
        event_id,
        'rejected_at_load' as reason
    from rejected

    union all

    select
        event_id,
        'visit_closed_at_' || end_reason as reason
    from visits
    where not has_natural_end
),

counted as (
    select
        event_id,
        reason,
        count(*) as record_count
    from left_out
    group by event_id, reason
),

-- every event app gets every reason, zeros included; records whose event app cannot be read
-- keep an empty event_id
event_reasons as (
    select
        event_apps.event_id,
        reasons.reason,
        reasons.reason_kind,
        reasons.reason_order,
        reasons.reason_description
    from event_apps
    cross join reasons

    union all

    select
        counted.event_id,
        reasons.reason,
        reasons.reason_kind,
        reasons.reason_order,
        reasons.reason_description
    from counted
    inner join reasons on counted.reason = reasons.reason
    where
        counted.event_id is null
        or counted.event_id not in (select event_apps.event_id from event_apps)
),

final as (
    select
        event_reasons.event_id,
        event_reasons.reason,
        event_reasons.reason_kind,
        event_reasons.reason_description,
        event_reasons.reason_order,
        coalesce(counted.record_count, 0) as record_count
    from event_reasons
    left join counted
        on
            event_reasons.reason = counted.reason
            and coalesce(event_reasons.event_id, '') = coalesce(counted.event_id, '')
)

select * from final
