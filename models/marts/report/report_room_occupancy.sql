-- Tab 9, "Room occupancy": per room, its visits starting in the window, their people and
-- minutes, and the most visits open at one instant ([start, end): a visit that ends as another
-- starts is not open with it; a zero-length visit is never open).
{{ config(**report_view_config('room_occupancy')) }}

with

visits as (
    select * from {{ ref('int_room_visits') }}
    where
        {{ in_report_window('started_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

event_apps as (
    select * from {{ ref('int_event_apps') }}
),

totals as (
    select
        event_id,
        room_id,
        count(*) as visit_count,
        count(distinct user_id) as unique_user_count,
        sum(duration_microseconds) as total_microseconds,
        count(case when not has_natural_end and end_reason = 'scheduled_end' then 1 end)
            as closed_at_scheduled_end_count,
        count(case when not has_natural_end and end_reason = 'cap' then 1 end)
            as closed_at_cap_count
    from visits
    group by event_id, room_id
),

-- Each visit opens (+1) at its start and closes (-1) at its end; at one instant the closings
-- come first. The running sum is how many are open.
changes as (
    select
        room_id,
        started_at as changed_at,
        1 as open_change
    from visits
    where ended_at > started_at

    union all

    select
        room_id,
        ended_at as changed_at,
        -1 as open_change
    from visits
    where ended_at > started_at
),

open_counts as (
    select
        room_id,
        changed_at,
        sum(open_change) over (
            partition by room_id
            order by changed_at, open_change
            rows between unbounded preceding and current row
        ) as open_count
    from changes
),

peaks as (
    select
        room_id,
        max(open_count) as peak_count
    from open_counts
    group by room_id
),

-- The first instant the peak is reached.
peak_times as (
    select
        open_counts.room_id,
        min(open_counts.changed_at) as peaked_at
    from open_counts
    inner join peaks
        on
            open_counts.room_id = peaks.room_id
            and open_counts.open_count = peaks.peak_count
    group by open_counts.room_id
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        rooms.privacy_flag,
        totals.visit_count,
        totals.unique_user_count,
        totals.closed_at_scheduled_end_count,
        totals.closed_at_cap_count,
        -- minutes to one decimal, half away from zero (durations are never negative)
        cast(
            {{ integer_divide('totals.total_microseconds * 10 + 30000000', '60000000') }} / 10.0
            as decimal(18, 1)
        ) as total_minutes,
        cast(
            {{ integer_divide(
                'totals.total_microseconds * 10 + totals.visit_count * 30000000',
                'totals.visit_count * 60000000'
            ) }} / 10.0
            as decimal(18, 1)
        ) as average_minutes,
        cast(coalesce(peaks.peak_count, 0) as bigint) as peak_user_count,
        {{ dbt.date_trunc(
            'minute', to_local_timestamp('peak_times.peaked_at', 'event_apps.timezone')
        ) }} as peaked_at,
        row_number() over (
            partition by rooms.event_id
            order by rooms.room_name asc, rooms.room_id asc
        ) as report_order
    from totals
    inner join rooms on totals.room_id = rooms.room_id
    inner join event_apps on totals.event_id = event_apps.event_id
    left join peaks on totals.room_id = peaks.room_id
    left join peak_times on totals.room_id = peak_times.room_id
)

select * from final
