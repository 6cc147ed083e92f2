-- Tab 3, "Usage graph": joins and distinct users per room and local wall-clock bucket. On each
-- local date, buckets between the room's first and last bucket with a join that day are filled
-- with zeros; wall-clock buckets mean a skipped hour shows zeros and a repeated one is shared.
{{ config(**report_view_config('room_join_buckets')) }}
{%- set charted_rooms = 20 %}
{%- set bucket_minutes = var('bucket_minutes') | int %}
{%- if bucket_minutes <= 0 or 60 % bucket_minutes != 0 %}
    {{ exceptions.raise_compiler_error("bucket_minutes must divide 60, not " ~ bucket_minutes) }}
{%- endif %}

with

joins as (
    select * from {{ ref('int_activity') }}
    where
        activity_type = 'room_join' and {{ in_report_window('occurred_local_date') }}
        and {{ in_changed_event_apps('event_id') }}
),

rooms as (
    select * from {{ ref('int_room_schedules') }}
),

-- generated_number 1..n: bucket index + 1 for every bucket of a day
day_buckets as (
    {{ dbt.generate_series(1440 // bucket_minutes) }}
),

bucketed_joins as (
    select
        room_id,
        user_id,
        occurred_local_date as local_date,
        cast(floor(
            (extract(hour from occurred_local_at) * 60 + extract(minute from occurred_local_at))
            / {{ bucket_minutes }}
        ) as integer) as bucket_index
    from joins
),

bucket_counts as (
    select
        room_id,
        local_date,
        bucket_index,
        count(*) as join_count,
        count(distinct user_id) as unique_user_count
    from bucketed_joins
    group by room_id, local_date, bucket_index
),

room_days as (
    select
        room_id,
        local_date,
        min(bucket_index) as first_bucket_index,
        max(bucket_index) as last_bucket_index
    from bucket_counts
    group by room_id, local_date
),

filled as (
    select
        room_days.room_id,
        room_days.local_date,
        day_buckets.generated_number - 1 as bucket_index
    from room_days
    inner join day_buckets
        on
            day_buckets.generated_number - 1
            between room_days.first_bucket_index and room_days.last_bucket_index
),

counted as (
    select
        filled.room_id,
        filled.local_date,
        {{ dbt.dateadd(
            'minute',
            'filled.bucket_index * ' ~ bucket_minutes,
            'cast(filled.local_date as timestamp)'
        ) }} as bucket_start,
        coalesce(bucket_counts.join_count, 0) as join_count,
        coalesce(bucket_counts.unique_user_count, 0) as unique_user_count
    from filled
    left join bucket_counts
        on
            filled.room_id = bucket_counts.room_id
            and filled.local_date = bucket_counts.local_date
            and filled.bucket_index = bucket_counts.bucket_index
),

-- Rooms by joins, most first: the workbook charts the top rooms (report-sheets.md, Usage
-- graph: "for the 20 rooms with most joins").
room_ranks as (
    select
        rooms.room_id,
        row_number() over (
            partition by rooms.event_id
            order by room_totals.join_count desc, rooms.room_name asc, rooms.room_id asc
        ) as room_rank
    from (
        select
            room_id,
            sum(join_count) as join_count
        from counted
        group by room_id
    ) as room_totals
    inner join rooms on room_totals.room_id = rooms.room_id
),

final as (
    select
        rooms.event_id,
        rooms.room_id,
        rooms.room_name,
        rooms.privacy_flag,
        counted.join_count,
        counted.unique_user_count,
        counted.bucket_start,
        room_ranks.room_rank,
        room_ranks.room_rank <= {{ charted_rooms }} as is_charted,
        {{ bucket_minutes }} as bucket_minutes,
        row_number() over (
            partition by rooms.event_id
            order by rooms.room_name, rooms.room_id, counted.bucket_start
        ) as report_order
    from counted
    inner join rooms on counted.room_id = rooms.room_id
    inner join room_ranks on counted.room_id = room_ranks.room_id
)

select * from final
