-- The build's peer: the nine tabs' rows for every event app at once, straight from the raw
-- tables, in one hand-written DuckDB script, without dbt. The same rows and values as the marts
-- (report-sheets.md), but none of the build's bookkeeping: no data tests, no counts of what was
-- left out, no incremental state. The benchmark times it against `smartsessions build`
-- (bench/bench.py); bench/peer.py runs it.
set TimeZone = 'UTC';

-- Text is landed trimmed of spaces, tabs, carriage returns and line feeds; empty is missing.
create or replace temp macro clean(value) as
    nullif(trim(value, ' ' || chr(9) || chr(10) || chr(13)), '');

-- event_apps has no updated_at: the copy loaded last wins.
create or replace temp table apps as
select clean(event_id) as event_id, coalesce(clean(timezone), 'UTC') as tz
from raw.event_apps
qualify row_number() over (
    partition by clean(event_id) order by _load_id desc, _source_file desc, _source_row desc
) = 1;

-- Latest wins; times truncated to the minute; where an open visit closes (the scheduled end,
-- seconds kept, read in the event's zone with the offset in force before a clock change).
create or replace temp table rooms as
with latest as (
    select clean(room_id) as room_id, clean(event_id) as event_id,
        clean(room_name) as room_name, capacity,
        case when coalesce(is_private, true) then 'Y' else 'N' end as privacy_flag,
        start_date, end_date, start_time, end_time
    from raw.rooms
    qualify row_number() over (
        partition by clean(room_id)
        order by updated_at desc nulls last, _load_id desc, _source_file desc, _source_row desc
    ) = 1
), zoned as (
    select l.*, coalesce(a.tz, 'UTC') as tz, cast(end_date + end_time as timestamptz) as end_utc
    from latest as l left join apps as a using (event_id)
), offsets as (
    -- the offsets in force a day before and a day after the scheduled end
    select *,
        end_utc - (timezone(tz, end_utc - interval 1 day)
            - cast(end_utc - interval 1 day as timestamp)) as before_change,
        end_utc - (timezone(tz, end_utc + interval 1 day)
            - cast(end_utc + interval 1 day as timestamp)) as after_change
    from zoned
)
select room_id, event_id, room_name, capacity, privacy_flag, start_date, end_date, tz,
    make_time(hour(start_time), minute(start_time), 0) as start_time,
    make_time(hour(end_time), minute(end_time), 0) as end_time,
    case
        when timezone(tz, before_change) = end_date + end_time then before_change
        when timezone(tz, after_change) = end_date + end_time then after_change
        else before_change
    end as scheduled_end_at
from offsets;

-- The counted activity: the first-loaded copy of each event_uuid (per table), then only what
-- happens in a known room of its own event app, never a teleport to oneself.
create or replace temp table activity as
with unioned as (
    select 'join' as kind, event_uuid, event_id, room_id, user_id, occurred_at,
        upper(clean(country_code)) as country_code, null as bubble_id, null as action,
        null as target_user_id, _load_id, _source_file, _source_row
    from raw.room_joins
    union all
    select 'leave', event_uuid, event_id, room_id, user_id, occurred_at, null, null, null, null,
        _load_id, _source_file, _source_row
    from raw.room_leaves
    union all
    select 'bubble', event_uuid, event_id, room_id, user_id, occurred_at, null, clean(bubble_id),
        clean(action), null, _load_id, _source_file, _source_row
    from raw.bubble_events
    union all
    select 'teleport', event_uuid, event_id, room_id, user_id, occurred_at, null, null, null,
        clean(target_user_id), _load_id, _source_file, _source_row
    from raw.teleports
    union all
    select 'chat', event_uuid, event_id, room_id, user_id, occurred_at, null, null, null, null,
        _load_id, _source_file, _source_row
    from raw.chat_messages
), first_copies as (
    select kind, clean(event_uuid) as event_uuid, clean(event_id) as event_id,
        clean(room_id) as room_id, clean(user_id) as user_id, occurred_at, country_code,
        bubble_id, action, target_user_id
    from unioned
    qualify row_number() over (
        partition by kind, clean(event_uuid) order by _load_id, _source_file, _source_row
    ) = 1
)
select f.kind, f.event_uuid, r.event_id, r.room_id, f.user_id, f.occurred_at,
    timezone(r.tz, f.occurred_at) as local_at,
    cast(timezone(r.tz, f.occurred_at) as date) as local_date,
    case when f.kind = 'join' then coalesce(c.country_name, 'Unknown') end as country_name,
    f.bubble_id, f.action, f.target_user_id
from first_copies as f
join rooms as r on f.room_id = r.room_id and f.event_id = r.event_id
left join reference.country_codes as c on f.country_code = c.country_code
where f.target_user_id is null or f.target_user_id <> f.user_id;

-- A person's name, looked up by (event app, user_id); the user_id when there is none.
create or replace temp table names as
select clean(event_id) as event_id, clean(user_id) as user_id,
    coalesce(clean(first_name) || ' ' || clean(last_name), clean(first_name), clean(last_name))
        as person_name
from raw.attendees
qualify row_number() over (
    partition by clean(event_id), clean(user_id)
    order by updated_at desc nulls last, _load_id desc, _source_file desc, _source_row desc
) = 1;

-- Visits (tab 8): each person's joins and leaves of the event app's rooms in order (a leave
-- before a join at one instant, then event_uuid). A segment is a join and the moves after it
-- until the next join; it stays in the joined room until a leave of that room. A join opens a
-- visit unless the previous segment is in the same room and never left it (a reconnect).
create or replace temp table visits as
with moves as (
    select event_id, user_id, room_id, kind, occurred_at,
        count(*) filter (where kind = 'join') over person_order as segment,
        last_value(case when kind = 'join' then room_id end ignore nulls) over person_order
            as joined_room_id
    from activity
    where kind in ('join', 'leave')
    window person_order as (
        partition by event_id, user_id order by occurred_at, kind = 'join', event_uuid
        rows between unbounded preceding and current row
    )
), segments as (
    select event_id, user_id, segment, any_value(joined_room_id) as room_id,
        min(occurred_at) filter (where kind = 'join') as joined_at,
        min(occurred_at) filter (where kind = 'leave' and moves.room_id = joined_room_id)
            as left_at
    from moves
    where segment > 0  -- leaves before a person's first join are stray
    group by all
), linked as (
    select *,
        lead(joined_at) over by_segment as next_joined_at,
        case when lag(room_id) over by_segment = room_id and lag(left_at) over by_segment is null
            then 0 else 1 end as opens_visit
    from segments
    window by_segment as (partition by event_id, user_id order by segment)
), numbered as (
    select *,
        sum(opens_visit) over (
            partition by event_id, user_id order by segment
            rows between unbounded preceding and current row
        ) as visit
    from linked
), walked as (
    -- a visit's natural end is its last segment's leave, else the next join (of another room);
    -- none when nothing follows: arg_max_null keeps that null, arg_max would skip it
    select event_id, user_id, room_id, min(joined_at) as started_at,
        arg_max_null(coalesce(left_at, next_joined_at), segment) as natural_end_at
    from numbered
    group by event_id, user_id, room_id, visit
), ended as (
    -- still open: the room's scheduled end when later than the start, else the cap (240
    -- minutes of elapsed time, the default of the build's max_visit_minutes)
    select w.*, r.tz, w.started_at + interval 240 minute as capped_at,
        coalesce(w.natural_end_at,
            case when r.scheduled_end_at > w.started_at then r.scheduled_end_at end,
            w.started_at + interval 240 minute) as uncapped_end_at
    from walked as w join rooms as r using (room_id)
)
select event_id, room_id, user_id, tz, started_at, least(uncapped_end_at, capped_at) as ended_at,
    epoch_us(least(uncapped_end_at, capped_at)) - epoch_us(started_at) as duration_us
from ended;

-- 1. High Level (detailed view)
create or replace temp table tab_1 as
select event_id, start_date, end_date, room_name, privacy_flag, capacity, start_time, end_time,
    cast(round(date_diff('minute', start_date + start_time, end_date + end_time) / 60.0, 2)
        as decimal(10, 2)) as duration_hours,
    room_id,
    row_number() over (partition by event_id order by room_name, room_id) as report_order
from rooms;

-- 2. User by countries
create or replace temp table tab_2 as
with countries as (
    select room_id, country_name, count(distinct user_id) as user_count
    from activity where kind = 'join'
    group by room_id, country_name
)
select r.event_id, r.room_name, r.privacy_flag, c.country_name, c.user_count, c.room_id,
    row_number() over (
        partition by r.event_id order by r.room_name, c.room_id, c.user_count desc, c.country_name
    ) as report_order
from countries as c join rooms as r using (room_id);

-- 3. Usage graph: 15-minute wall-clock buckets (the default of the build's bucket_minutes),
-- gap-filled per room and local date; the 20 rooms with most joins are charted.
create or replace temp table tab_3 as
with buckets as (
    select room_id, local_date,
        (hour(local_at) * 60 + minute(local_at)) // 15 as bucket,
        count(*) as join_count, count(distinct user_id) as unique_user_count
    from activity where kind = 'join'
    group by all
), filled as (
    select s.room_id, s.local_date, g.bucket,
        coalesce(b.join_count, 0) as join_count,
        coalesce(b.unique_user_count, 0) as unique_user_count
    from (select room_id, local_date, min(bucket) as first, max(bucket) as last
          from buckets group by all) as s
    cross join unnest(generate_series(s.first, s.last)) as g(bucket)
    left join buckets as b
        on b.room_id = s.room_id and b.local_date = s.local_date and b.bucket = g.bucket
), ranked as (
    select room_id, row_number() over (
        partition by any_value(r.event_id)
        order by sum(f.join_count) desc, any_value(r.room_name), room_id
    ) as room_rank
    from filled as f join rooms as r using (room_id)
    group by room_id
)
select r.event_id, r.room_name, r.privacy_flag, f.join_count, f.unique_user_count,
    f.local_date + f.bucket * interval 15 minute as bucket_start, f.room_id,
    k.room_rank, k.room_rank <= 20 as is_charted, 15 as bucket_minutes,
    row_number() over (
        partition by r.event_id order by r.room_name, f.room_id, f.local_date, f.bucket
    ) as report_order
from filled as f join rooms as r using (room_id) join ranked as k using (room_id);

-- 4. Usage (detailed view)
create or replace temp table tab_4 as
with entries as (
    select event_id, room_id, user_id, count(*) as entry_count
    from activity where kind = 'join'
    group by event_id, room_id, user_id
), named as (
    select e.*, coalesce(n.person_name, e.user_id) as attendee_name
    from entries as e left join names as n using (event_id, user_id)
)
select e.event_id, r.room_name, r.privacy_flag, e.user_id, e.attendee_name, e.entry_count,
    e.room_id,
    row_number() over (
        partition by e.event_id
        order by r.room_name, e.room_id, e.entry_count desc, e.attendee_name, e.user_id
    ) as report_order
from named as e join rooms as r using (room_id);

-- 5. User engagement (high level): joins, bubble joins, teleports and chat messages make a row;
-- the country is the first join's of the day (earliest instant, then smallest event_uuid).
create or replace temp table tab_5 as
with days as (
    select event_id, room_id, user_id, local_date as activity_date,
        count(distinct bubble_id) filter (where kind = 'bubble') as bubble_count,
        case when bool_or(kind = 'chat') then 'Y' else 'N' end as chat_flag,
        count(*) filter (where kind = 'teleport') as teleport_count,
        coalesce(arg_min(country_name, (occurred_at, event_uuid)) filter (where kind = 'join'),
            'Unknown') as country_name
    from activity
    where kind in ('join', 'teleport', 'chat') or (kind = 'bubble' and action = 'join')
    group by event_id, room_id, user_id, local_date
), named as (
    select d.*, coalesce(n.person_name, d.user_id) as user_name
    from days as d left join names as n using (event_id, user_id)
)
select d.event_id, r.room_name, d.user_name, d.bubble_count, d.chat_flag, d.teleport_count,
    d.country_name, d.activity_date, d.room_id, d.user_id,
    row_number() over (
        partition by d.event_id
        order by r.room_name, d.room_id, d.activity_date, d.user_name, d.user_id
    ) as report_order
from named as d join rooms as r using (room_id);

-- 6. User engagement (bubble): a bubble is (room_id, bubble_id).
create or replace temp table tab_6 as
with bubbles as (
    select room_id, bubble_id,
        count(distinct user_id) filter (where action = 'join') as people_count,
        case when bool_or(action = 'lock') then 'Y' else 'N' end as lock_flag
    from activity where kind = 'bubble'
    group by room_id, bubble_id
), memberships as (
    select event_id, room_id, bubble_id, user_id,
        date_trunc('minute', arg_min(local_at, (occurred_at, event_uuid))) as first_joined_at
    from activity where kind = 'bubble' and action = 'join'
    group by event_id, room_id, bubble_id, user_id
), named as (
    select m.*, coalesce(n.person_name, m.user_id) as user_name
    from memberships as m left join names as n using (event_id, user_id)
)
select m.event_id, m.user_id, m.user_name, r.room_name, m.bubble_id, b.lock_flag,
    b.people_count, m.first_joined_at, m.room_id,
    row_number() over (
        partition by m.event_id
        order by r.room_name, m.room_id, m.first_joined_at, m.user_name, m.user_id, m.bubble_id
    ) as report_order
from named as m join bubbles as b using (room_id, bubble_id) join rooms as r using (room_id);

-- 7. User engagement (teleport)
create or replace temp table tab_7 as
with pairs as (
    select event_id, room_id, user_id, target_user_id, count(*) as teleport_count,
        date_trunc('minute', arg_min(local_at, (occurred_at, event_uuid))) as first_teleported_at
    from activity where kind = 'teleport'
    group by event_id, room_id, user_id, target_user_id
), named as (
    select p.*, coalesce(u.person_name, p.user_id) as user_name,
        coalesce(t.person_name, p.target_user_id) as target_name
    from pairs as p
    left join names as u on u.event_id = p.event_id and u.user_id = p.user_id
    left join names as t on t.event_id = p.event_id and t.user_id = p.target_user_id
)
select p.event_id, p.user_id, p.user_name, r.room_name, p.target_name, p.teleport_count,
    p.first_teleported_at, p.room_id, p.target_user_id,
    row_number() over (
        partition by p.event_id
        order by r.room_name, p.room_id, p.user_name, p.user_id, p.first_teleported_at,
            p.target_name, p.target_user_id
    ) as report_order
from named as p join rooms as r using (room_id);

-- Minutes to one decimal, half away from zero, from exact microseconds (never negative).
create or replace temp macro minutes(us, n) as
    cast(((us * 10 + n * 30000000) // (n * 60000000)) / 10.0 as decimal(18, 1));

-- 8. Time in rooms
create or replace temp table tab_8 as
with stays as (
    select event_id, room_id, user_id, count(*) as visit_count, minutes(sum(duration_us), 1) as minutes_in_room,
        date_trunc('minute', timezone(any_value(tz), min(started_at))) as first_entered_at,
        date_trunc('minute', timezone(any_value(tz), max(ended_at))) as last_left_at
    from visits
    group by event_id, room_id, user_id
), named as (
    select s.*, coalesce(n.person_name, s.user_id) as attendee_name
    from stays as s left join names as n using (event_id, user_id)
)
select s.event_id, r.room_name, r.privacy_flag, s.user_id, s.attendee_name, s.visit_count,
    s.minutes_in_room, s.first_entered_at, s.last_left_at, s.room_id,
    row_number() over (
        partition by s.event_id
        order by r.room_name, s.room_id, s.minutes_in_room desc, s.attendee_name, s.user_id
    ) as report_order
from named as s join rooms as r using (room_id);

-- 9. Room occupancy: a visit is open from its start (included) to its end (excluded), so at one
-- instant the closings count first; a zero-length visit is never open.
create or replace temp table tab_9 as
with open_counts as (
    select room_id, changed_at,
        sum(change) over (
            partition by room_id order by changed_at, change
            rows between unbounded preceding and current row
        ) as open_count
    from (
        select room_id, started_at as changed_at, 1 as change from visits where ended_at > started_at
        union all
        select room_id, ended_at, -1 from visits where ended_at > started_at
    )
), peaks as (
    select room_id, max(open_count) as peak_user_count,
        arg_min(changed_at, (-open_count, changed_at)) as peaked_at
    from open_counts
    group by room_id
), totals as (
    select event_id, room_id, count(*) as visit_count,
        count(distinct user_id) as unique_user_count,
        minutes(sum(duration_us), 1) as total_minutes,
        minutes(sum(duration_us), count(*)) as average_minutes
    from visits
    group by event_id, room_id
)
select t.event_id, r.room_name, r.privacy_flag, t.visit_count, t.unique_user_count,
    t.total_minutes, t.average_minutes, coalesce(p.peak_user_count, 0) as peak_user_count,
    date_trunc('minute', timezone(r.tz, p.peaked_at)) as peaked_at, t.room_id,
    row_number() over (partition by t.event_id order by r.room_name, t.room_id) as report_order
from totals as t join rooms as r using (room_id) left join peaks as p using (room_id);
