-- The fastest straightforward way to the report: the seven tabs' rows for one event app
-- ($event), straight from the raw tables, in one DuckDB script, without dbt. The benchmark
-- times it against `smartsessions build` and `export` (bench/bench.py).
create or replace temp table apps as
select event_id, coalesce(nullif(trim(any_value(timezone)), ''), 'UTC') as tz
from raw.event_apps group by event_id;

create or replace temp table rooms as
select trim(room_id) as room_id, trim(event_id) as event_id, trim(room_name) as room_name,
    capacity, case when coalesce(is_private, true) then 'Y' else 'N' end as privacy,
    start_date, end_date, start_time, end_time
from raw.rooms
qualify row_number() over (
    partition by trim(room_id)
    order by updated_at desc nulls last, _load_id desc, _source_file desc, _source_row desc
) = 1;

create or replace temp table names as
select trim(event_id) as event_id, trim(user_id) as user_id,
    coalesce(trim(first_name) || ' ' || trim(last_name), nullif(trim(first_name), ''),
             nullif(trim(last_name), '')) as person
from raw.attendees
qualify row_number() over (
    partition by trim(event_id), trim(user_id)
    order by updated_at desc nulls last, _load_id desc, _source_file desc, _source_row desc
) = 1;

create or replace temp table activity as
with unioned as (
    select 'join' as kind, event_uuid, event_id, room_id, user_id, occurred_at,
        upper(trim(country_code)) as country, null as bubble_id, null as action, null as target,
        _load_id, _source_file, _source_row
    from raw.room_joins
    union all
    select 'bubble', event_uuid, event_id, room_id, user_id, occurred_at, null, trim(bubble_id),
        trim(action), null, _load_id, _source_file, _source_row
    from raw.bubble_events
    union all
    select 'teleport', event_uuid, event_id, room_id, user_id, occurred_at, null, null, null,
        trim(target_user_id), _load_id, _source_file, _source_row
    from raw.teleports
    union all
    select 'chat', event_uuid, event_id, room_id, user_id, occurred_at, null, null, null, null,
        _load_id, _source_file, _source_row
    from raw.chat_messages
)
select u.kind, trim(u.event_uuid) as event_uuid, r.event_id, r.room_id, r.room_name,
    r.privacy, trim(u.user_id) as user_id, u.occurred_at,
    timezone(a.tz, u.occurred_at) as local_at, cast(timezone(a.tz, u.occurred_at) as date) as day,
    coalesce(c.country_name, 'Unknown') as country, u.bubble_id, u.action, u.target
from unioned as u
join rooms as r on trim(u.room_id) = r.room_id and trim(u.event_id) = r.event_id
left join apps as a on a.event_id = r.event_id
left join reference.country_codes as c on u.country = c.country_code
where r.event_id = $event and (u.target is null or u.target <> trim(u.user_id))
qualify row_number() over (
    partition by u.kind, trim(u.event_uuid) order by u._load_id, u._source_file, u._source_row
) = 1;

create or replace temp table who as
select a.user_id, coalesce(n.person, a.user_id) as person
from (select distinct user_id from activity union select distinct target from activity
      where target is not null) as a
left join names as n on n.event_id = $event and n.user_id = a.user_id;

-- 1. High Level (detailed view)
create or replace temp table tab_1 as
select event_id, start_date, end_date, room_name, privacy, capacity,
    make_time(hour(start_time), minute(start_time), 0) as start_time,
    make_time(hour(end_time), minute(end_time), 0) as end_time,
    round(date_diff('minute',
        start_date + make_time(hour(start_time), minute(start_time), 0),
        end_date + make_time(hour(end_time), minute(end_time), 0)) / 60.0, 2) as duration
from rooms where event_id = $event order by room_name, room_id;

-- 2. User by countries
create or replace temp table tab_2 as
select event_id, room_name, privacy, country, count(distinct user_id) as users
from activity where kind = 'join'
group by event_id, room_id, room_name, privacy, country
order by room_name, room_id, users desc, country;

-- 3. Usage graph, gap-filled per room and local date
create or replace temp table tab_3 as
with buckets as (
    select room_id, room_name, privacy, day,
        time_bucket(interval 15 minute, local_at) as bucket,
        count(*) as joins, count(distinct user_id) as users
    from activity where kind = 'join' group by all
), spans as (
    select room_id, room_name, privacy, day, min(bucket) as first, max(bucket) as last
    from buckets group by all
)
select $event as event_id, s.room_name, s.privacy, coalesce(b.joins, 0) as joins,
    coalesce(b.users, 0) as users, g.bucket
from spans as s, unnest(generate_series(s.first, s.last, interval 15 minute)) as g(bucket)
left join buckets as b on b.room_id = s.room_id and b.bucket = g.bucket
order by s.room_name, s.room_id, g.bucket;

-- 4. Usage (detailed view)
create or replace temp table tab_4 as
select a.event_id, a.room_name, a.privacy, a.user_id, w.person, count(*) as entries
from activity as a join who as w using (user_id) where a.kind = 'join'
group by a.event_id, a.room_id, a.room_name, a.privacy, a.user_id, w.person
order by a.room_name, a.room_id, entries desc, w.person, a.user_id;

-- 5. User engagement (high level)
create or replace temp table tab_5 as
select a.event_id, a.room_name, w.person,
    count(distinct case when kind = 'bubble' and action = 'join' then bubble_id end) as bubbles,
    case when bool_or(kind = 'chat') then 'Y' else 'N' end as chat,
    count(*) filter (where kind = 'teleport') as teleports,
    coalesce(arg_min(country, (occurred_at, event_uuid)) filter (where kind = 'join'), 'Unknown')
        as country,
    a.day
from activity as a join who as w using (user_id)
where kind <> 'bubble' or action = 'join'
group by a.event_id, a.room_id, a.room_name, a.user_id, w.person, a.day
order by a.room_name, a.room_id, a.day, w.person, a.user_id;

-- 6. User engagement (bubble)
create or replace temp table tab_6 as
with bubbles as (
    select room_id, bubble_id, count(distinct user_id) filter (where action = 'join') as people,
        bool_or(action = 'lock') as locked
    from activity where kind = 'bubble' group by all
)
select a.event_id, a.user_id, w.person, a.room_name, a.bubble_id,
    case when any_value(b.locked) then 'Y' else 'N' end as lock, any_value(b.people) as people,
    date_trunc('minute', arg_min(a.local_at, (a.occurred_at, a.event_uuid))) as first_join
from activity as a join who as w using (user_id) join bubbles as b using (room_id, bubble_id)
where a.kind = 'bubble' and a.action = 'join'
group by a.event_id, a.user_id, w.person, a.room_id, a.room_name, a.bubble_id
order by a.room_name, a.room_id, first_join, w.person, a.user_id, a.bubble_id;

-- 7. User engagement (teleport)
create or replace temp table tab_7 as
select a.event_id, a.user_id, w.person, a.room_name, t.person as target_name, count(*) as times,
    date_trunc('minute', arg_min(a.local_at, (a.occurred_at, a.event_uuid))) as first_at
from activity as a join who as w using (user_id) join who as t on t.user_id = a.target
where a.kind = 'teleport'
group by a.event_id, a.user_id, w.person, a.room_id, a.room_name, a.target, t.person
order by a.room_name, a.room_id, w.person, a.user_id, first_at, t.person, a.target;
