with

checked as (
    select * from {{ ref('int_activity_checked') }}
),

final as (
    select
        activity_type,
        event_uuid,
        event_id,
        room_id,
        user_id,
        occurred_at,
        occurred_local_at,
        occurred_local_date,
        country_name,
        bubble_id,
        bubble_action,
        target_user_id
    from checked
    where exclusion_reason is null
)

select * from final
