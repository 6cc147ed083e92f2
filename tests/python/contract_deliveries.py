"""Hypothesis strategies for deliveries drawn from the whole landing contract (raw-landing.md),
not from what a real event usually looks like.

A drawn *case* is one event app with its rooms, people and activity; a drawn *delivery* holds
many cases, so that one `dbt build` checks all of them. Ids are unique over the whole delivery
(uniqueness is global), so every id of case N is prefixed `cN-`.

What a case may hold, each because the contract allows it:
- a time zone of every kind: UTC, none (missing means UTC), no `event_apps` row at all, zones
  with both clock changes, Lord Howe's 30 minutes, Apia and Kiritimati that skipped a whole
  day, zones that change at midnight (Santiago, Havana), negative DST (Dublin, Casablanca), and
  1900's local mean time (offsets with seconds);
- activity at, just before and just after each clock change of its zone (the instants found
  with DuckDB, whose time-zone data the build uses), visits that cross them and midnight, years
  1900 and 9998 as written, offsets from -12:00 to +14:00 that need not be the zone's;
- rooms whose schedules cross midnight, end before they start, end in a skipped or repeated
  local hour, or lack parts; several versions of a room or attendee, `updated_at` ties;
- activity in unknown rooms, under another event app, teleports to oneself, duplicate
  `event_uuid`s across files, out-of-order lines, empty tables, one-person events;
- names empty, long (past a cell's 32,767 characters), non-ASCII, formula-like;
- files of every format (JSON lines, CSV, parquet, gzip), and a few malformed records.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import strategies as st

from smartsessions.landing.contract import TABLES
from smartsessions.synthetic.delivery_writers import CsvFile, JsonLinesFile, _csv_value

# --- time zones ---------------------------------------------------------------------------

# (zone, the spans of UTC years scanned for its clock changes). None: the app has no time zone.
ZONES = {
    "UTC": (),
    "Europe/London": ((2026, 2027), (9998, 9999)),
    "America/New_York": ((2026, 2027), (9998, 9999)),
    "Australia/Lord_Howe": ((2025, 2027),),  # DST of 30 minutes
    "Pacific/Apia": ((2011, 2012),),  # skipped 2011-12-30
    "Pacific/Kiritimati": ((1900, 1902), (1994, 1996)),  # +14:00; skipped 1994-12-31
    "Etc/GMT+12": (),  # -12:00
    "Pacific/Chatham": ((2026, 2027),),  # +12:45 / +13:45
    "Asia/Kathmandu": (),  # +05:45
    "America/St_Johns": ((2026, 2027),),  # -03:30, with DST
    "America/Santiago": ((2026, 2027),),  # changes at local midnight
    "America/Havana": ((2026, 2027),),  # skips 00:00-01:00
    "Europe/Dublin": ((2026, 2027),),  # negative DST in the zone data
    "Africa/Casablanca": ((2026, 2027),),  # Ramadan: back an hour and forward again
    "Asia/Shanghai": ((1900, 1902),),  # local mean time +08:05:43 until 1901
    "Africa/Cairo": ((1900, 1902), (2026, 2027)),  # local mean time until 1900-10-01
    "Europe/Madrid": ((1900, 1902), (2026, 2027)),  # local mean time until 1901
    "America/Anchorage": ((1900, 1902), (2026, 2027)),  # local mean time until 1900-08-20
}
# The instants an activity may come from: between these, every written year is 1900..9998
# with some offset (1900-01-01T00:00+14:00 .. 9998-12-31T23:59:59-12:00).
FIRST_INSTANT = datetime(1899, 12, 31, 10, tzinfo=UTC)
LAST_INSTANT = datetime(9999, 1, 1, 11, 59, 59, tzinfo=UTC)
EDGE_INSTANTS = (
    FIRST_INSTANT,
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(1900, 1, 1, 12, tzinfo=UTC),
    datetime(9998, 12, 31, 12, tzinfo=UTC),
    datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC),
    LAST_INSTANT - timedelta(hours=1),
)


@dataclass(frozen=True)
class ClockChange:
    at: datetime  # the instant (UTC)
    before: timedelta  # the zone's UTC offset just before it
    after: timedelta  # and from it on


@functools.cache
def clock_changes(zone: str) -> tuple[ClockChange, ...]:
    """The zone's clock changes in its scanned years, to the second, as DuckDB (ICU) sees them:
    an hourly scan, then the changing hour second by second."""
    spans = ZONES[zone]
    if not spans:
        return ()
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        offset = "timezone($zone, t) - cast(t as timestamp)"
        hours = " union all ".join(
            f"select unnest(generate_series(timestamptz '{first}-01-01 00:00:00+00',"
            f" timestamptz '{last}-01-01 00:00:00+00', interval 1 hour)) as t"
            for first, last in spans
        )
        changed = con.execute(
            f"select t from (select t, {offset} as o, lag({offset}) over (order by t) as p"
            f" from ({hours})) where o <> p",
            {"zone": zone},
        ).fetchall()
        found = []
        for (hour,) in changed:
            seconds = con.execute(
                f"select t, {offset} from (select unnest(generate_series($start, $end,"
                " interval 1 second)) as t) order by t",
                {"zone": zone, "start": hour - timedelta(hours=1), "end": hour},
            ).fetchall()
            for (_, before), (at, after) in itertools.pairwise(seconds):
                if before != after:
                    found.append(ClockChange(at.astimezone(UTC), before, after))
    return tuple(found)


# --- records ------------------------------------------------------------------------------

ID_FIELDS = ("event_id", "room_id", "user_id", "target_user_id", "bubble_id", "event_uuid")
ACTIVITY_TABLES = ("room_joins", "room_leaves", "bubble_events", "teleports", "chat_messages")
FORMATS = (".jsonl", ".ndjson", ".jsonl.gz", ".csv", ".csv.gz", ".parquet")
OFFSET_MINUTES = (-720, -690, -600, -570, -60, 0, 60, 330, 345, 525, 765, 780, 825, 840)
SECONDS_AROUND = (0, 1, 59, 60, 61, 899, 900, 1799, 1800, 3599, 3600, 3601, 5400, 7200, 86399)
# updated_at values: two spellings of one instant (a tie), and others
UPDATED_AT = (
    None,
    "2026-01-01T00:00:00Z",
    "2026-01-01T01:00:00+01:00",
    "2026-06-01T12:00:00.5-03:30",
    "1900-01-01T00:00:00+14:00",
    "9998-12-31T23:59:59-12:00",
)
COUNTRY_CODES = (None, "", " ", "GB", "gb", " fr\t", "DE", "XX", "zz", "JP", "ÅL")
FORMULAS = ("=1+1", '=HYPERLINK("http://x","y")', "+44 caller", "-minus", "@at", "\tTab")
NON_ASCII = (
    "_x0041_ is not A",
    "Zoë",
    "Åsa Ñúñez",
    "東京ホール",
    "Ελληνικά",
    "😀 emoji",
    "e\u0301",
    "\u200b",
    "ß",
)


def text_value(rng: random.Random) -> str | None:
    """A name: missing, empty, blank, formula-like, non-ASCII, any code point (control
    characters included: JSON escapes them, CSV quotes them), or long, past a workbook cell's
    32,767 characters now and then."""
    kind = rng.randrange(10)
    if kind == 0:
        return None
    if kind in (1, 2):
        return rng.choice(("", "   ", " \t\r\n ", "Ada", " Lovelace ", *FORMULAS, *NON_ASCII))
    if kind == 3:
        unit = rng.choice(("x", "é", "名 ", "😀"))
        return unit * rng.choice((1000, 5000, 32_766, 32_767, 32_768, 40_000))
    return "".join(chr(code_point(rng)) for _ in range(rng.randrange(13)))


def code_point(rng: random.Random) -> int:
    """Any Unicode scalar value (no surrogates), mostly printable."""
    low, high = rng.choice(CODE_POINT_RANGES)
    return rng.randint(low, high)


CODE_POINT_RANGES = (
    (0x20, 0x7E),  # ASCII
    (0x20, 0x7E),
    (0x00, 0x1F),  # control characters
    (0x7F, 0x9F),
    (0xA0, 0x24F),  # Latin
    (0x300, 0x36F),  # combining marks
    (0x4E00, 0x9FFF),  # CJK
    (0xE000, 0xFFFF),  # private use, specials, noncharacters
    (0x1F300, 0x1FAFF),  # emoji
    (0x10000, 0x10FFFF),  # anything astral
)


def written(instant: datetime, offset_minutes: int | None, fraction: str) -> str | None:
    """The instant as an ISO-8601 text with the offset (None: `Z`); None when its year as
    written would fall outside 1900..9998."""
    shift = timedelta(minutes=offset_minutes or 0)
    local = instant.astimezone(UTC).replace(tzinfo=None) + shift
    if not 1900 <= local.year <= 9998:
        return None
    if offset_minutes is None:
        suffix = "Z"
    else:
        sign = "-" if offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(offset_minutes), 60)
        suffix = f"{sign}{hours:02d}:{minutes:02d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + suffix


def occurred_at(instant: datetime, offset_minutes: int | None, fraction: str) -> str:
    """A contract-valid text for about this instant: the drawn offset, else `Z`, else the
    instant moved into the years a timestamp may be written in."""
    instant = min(max(instant, FIRST_INSTANT), LAST_INSTANT)
    text = written(instant, offset_minutes, fraction) or written(instant, None, fraction)
    if text is None:  # e.g. 1899-12-31T20:00Z: only a large positive offset writes it
        text = written(instant, 840 if instant.year < 1900 else -720, "")
    return text


def anchors(rng: random.Random, zone: str | None) -> list[datetime]:
    """The moments a case's activity happens around: its zone's clock changes (mostly), the
    contract's edges, or anywhere in 1900..9998."""
    changes = clock_changes(zone) if zone else ()
    found = []
    for _ in range(rng.randint(1, 2)):
        kind = rng.randrange(6)
        if changes and kind < 4:
            found.append(rng.choice(changes).at)
        elif kind < 5:
            found.append(rng.choice(EDGE_INSTANTS))
        else:
            seconds = rng.randrange(
                int((datetime(9998, 12, 30) - datetime(1900, 1, 2)).total_seconds())
            )
            found.append(datetime(1900, 1, 2, tzinfo=UTC) + timedelta(seconds=seconds))
    return found


def moment(rng: random.Random, around: list[datetime]) -> str:
    """An occurred_at near one of the anchors: at it, seconds or hours or days around it,
    written with an offset from -12:00 to +14:00 (rarely the zone's own) or `Z`."""
    if rng.random() < 0.7:
        seconds = rng.choice(SECONDS_AROUND) * rng.choice((1, -1))
    else:
        seconds = rng.randint(-3 * 86400, 3 * 86400)
    fraction = rng.choice(("", "", "", ".5", ".000001", ".999999", ".123456789"))
    offset = rng.choice((None, rng.choice(OFFSET_MINUTES), rng.randint(-720, 840)))
    return occurred_at(rng.choice(around) + timedelta(seconds=seconds), offset, fraction)


def wall_clock(instant: datetime, offset: timedelta) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None) + offset


def schedule(rng: random.Random, zone: str | None, around: list[datetime]) -> dict:
    """A room's schedule: around the case's activity, ending in a skipped or repeated local
    hour, crossing midnight, ending before it starts, at the contract's edges, or missing."""
    walls = [wall_clock(anchor, timedelta(0)) for anchor in around]
    for change in clock_changes(zone) if zone else ():  # both sides of each change
        walls += [wall_clock(change.at, change.before), wall_clock(change.at, change.after)]
    walls += [datetime(1900, 1, 1), datetime(9998, 12, 31, 23, 59, 59)]

    def near() -> datetime:
        shift = rng.choice((0, 0, 1, -1, 59, -59, 1800, -1800, 3600, -3600, 86400))
        return clamp(rng.choice(walls) + timedelta(seconds=shift))

    start, end = near(), near()
    if rng.random() < 0.4:  # ending soon after the activity: open visits close there
        local = rng.choice(around).astimezone(ZoneInfo(zone or "UTC")).replace(tzinfo=None)
        end = clamp(local + timedelta(seconds=rng.choice((1, 60, 1800, 3600, 7200, 14400))))
    elif rng.random() < 0.5:  # crossing midnight, or ending before it starts
        end = clamp(start + timedelta(minutes=rng.choice((-90, -1, 0, 61, 600, 1500))))

    def time_text(moment: datetime) -> str:
        return moment.strftime(rng.choice(("%H:%M", "%H:%M:%S")))

    return {
        "start_date": rng.choice((start.date().isoformat(), None)),
        "start_time": rng.choice((time_text(start), None)),
        "end_date": rng.choice((end.date().isoformat(), end.date().isoformat(), None)),
        "end_time": rng.choice((time_text(end), time_text(end), None)),
    }


def clamp(moment: datetime) -> datetime:
    return min(max(moment, datetime(1900, 1, 1)), datetime(9998, 12, 31, 23, 59, 59))


@dataclass(frozen=True)
class Case:
    """One drawn event app `E` (and sometimes a second one, `F`, that its rooms and activity
    stray to), ids local to the case. Hypothesis draws these few numbers; the records follow
    from them (`records()`), so that a delivery of a hundred cases stays a small draw and a
    failing case is reproduced from its repr alone."""

    zone: str | None  # None: no time zone (UTC)
    app_row: str  # "zone", "no zone" (the row has no timezone) or "no row" (only rooms name E)
    rooms: int
    people: int
    activities: int
    seed: int

    def records(self) -> dict[str, list[dict]]:
        rng = random.Random(self.seed)
        zone, out = self.zone, {}

        def add(table: str, record: dict) -> None:
            out.setdefault(table, []).append(record)

        if self.app_row != "no row":
            app = {"event_id": "E", "event_name": text_value(rng)}
            if self.app_row == "zone" and zone:
                app["timezone"] = rng.choice((zone, zone, f" {zone} "))
            add("event_apps", app)
            if rng.randrange(6) == 0:  # redelivered: the last-loaded copy counts
                add("event_apps", dict(app))
        if rng.random() < 0.5:
            add("event_apps", {"event_id": "F", "timezone": rng.choice(list(ZONES))})
        around = anchors(rng, zone)

        rooms = [f"r{number}" for number in range(self.rooms)]
        for room in rooms:
            for version in range(rng.choice((1, 1, 1, 2, 3))):
                name = text_value(rng)
                add(
                    "rooms",
                    {
                        "room_id": rng.choice((room, room, f" {room}\t")),
                        "event_id": "E" if version == 0 else rng.choice(("E", "E", "F")),
                        "room_name": name if name and name.strip() else f"Room {room}",
                        "capacity": rng.choice((None, 0, -1, 12, 10**6)),
                        "is_private": rng.choice((None, True, False, "yes", "N", "0")),
                        "updated_at": rng.choice(UPDATED_AT),
                        **schedule(rng, zone, around),
                    },
                )

        people = [f"u{number}" for number in range(self.people)]
        for person in people:
            for _ in range(rng.choice((0, 1, 1, 2))):  # 0: not in attendees
                add(
                    "attendees",
                    {
                        "event_id": rng.choice(("E", "E", "F")),
                        "user_id": person,
                        "first_name": text_value(rng),
                        "last_name": text_value(rng),
                        "updated_at": rng.choice(UPDATED_AT),
                    },
                )

        room_choices = [*rooms] * 4 + ["gone"]  # "gone": a room no rooms row names
        for number in range(self.activities):
            table = rng.choice(ACTIVITY_TABLES)
            user = rng.choice(people)
            record = {
                "event_uuid": f"{table[0]}{number}",
                "event_id": rng.choice(("E",) * 7 + ("F",)),
                "room_id": rng.choice(room_choices),
                "user_id": user,
                "occurred_at": moment(rng, around),
            }
            if table == "room_joins":
                record["country_code"] = rng.choice(COUNTRY_CODES)
            elif table == "bubble_events":
                record["bubble_id"] = rng.choice(("b1", "b2", " b1 "))
                record["action"] = rng.choice(("join", "join", "leave", "lock", "unlock"))
            elif table == "teleports":
                record["target_user_id"] = rng.choice((*people, user, "nobody"))
            add(table, record)
        return out


cases = st.builds(
    Case,
    zone=st.sampled_from((None, *ZONES)),
    app_row=st.sampled_from(("zone", "zone", "no zone", "no row")),
    rooms=st.sampled_from((1, 2, 0, 3)),  # shrinks towards one room
    people=st.integers(1, 4),
    activities=st.integers(0, 24),
    seed=st.integers(0, 2**32 - 1),
)


@dataclass(frozen=True)
class FixedCase:
    """A hand-written case (a failure found, kept as a fixed regression case): its records,
    ids local to the case like a drawn one's."""

    name: str
    tables: dict[str, list[dict]]

    def records(self) -> dict[str, list[dict]]:
        return {table: [dict(record) for record in rows] for table, rows in self.tables.items()}


def prefixed(case: Case | FixedCase, number: int) -> dict[str, list[dict]]:
    """The case's records with every id prefixed `cN-` (kept inside any padding: trimming
    happens at landing)."""
    prefix = f"c{number}-"
    out: dict[str, list[dict]] = {}
    for table, records in case.records().items():
        for record in records:
            record = dict(record)
            for key in ID_FIELDS:
                value = record.get(key)
                if isinstance(value, str):
                    stripped = value.strip(" \t")
                    record[key] = value.replace(stripped, prefix + stripped, 1)
            out.setdefault(table, []).append(record)
    return out


# --- files --------------------------------------------------------------------------------

# Malformed lines a JSON lines file may carry (each a reject, never a failed build).
MALFORMED_JSON = (
    "{not json",
    '{"event_uuid": "bad-1"}',
    '{"event_uuid": "bad-2", "event_id": "E", "room_id": "r", "user_id": "u",'
    ' "occurred_at": "2026-01-01T00:00:00+14:01"}',
    '{"event_uuid": "bad-3", "event_id": "E", "room_id": "r", "user_id": "u",'
    ' "occurred_at": "1899-12-31T23:59:59+14:00"}',
    '{"event_uuid": "bad-4", "event_id": "E", "room_id": "r", "user_id": "u",'
    ' "occurred_at": "2026-01-01T00:00:00"}',
    '{"event_uuid": NaN}',
)


@dataclass(frozen=True)
class Layout:
    """How a delivery's records are cut into files, drawn once per delivery."""

    files_per_table: dict[str, list[str]]  # table -> the endings of its files
    seed: int  # deals records to files, redelivers some, shuffles lines
    redelivered_every: int  # every Nth activity record is written twice (0: none)
    malformed: tuple[str, ...]  # malformed JSON lines added to one activity file


layouts = st.builds(
    Layout,
    files_per_table=st.fixed_dictionaries(
        {table: st.lists(st.sampled_from(FORMATS), min_size=1, max_size=3) for table in TABLES}
    ),
    seed=st.integers(0, 2**32 - 1),
    redelivered_every=st.sampled_from((0, 3, 7, 20)),
    malformed=st.lists(st.sampled_from(MALFORMED_JSON), max_size=3).map(tuple),
)


@dataclass
class Delivery:
    """What a drawn delivery holds (records by table, ids prefixed) and how it is written."""

    cases: list[Case | FixedCase]
    layout: Layout
    records: dict[str, list[dict]] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for number, case in enumerate(self.cases):
            for table, records in prefixed(case, number).items():
                self.records.setdefault(table, []).extend(records)

    def event_ids(self) -> list[str]:
        return [f"c{number}-E" for number in range(len(self.cases))]

    def lines(self) -> dict[str, list[dict | str]]:
        """Each table's records as they will be written, in order: redeliveries added,
        shuffled (out of order), malformed lines mixed into the room joins."""
        rng = random.Random(self.layout.seed)
        lines: dict[str, list[dict | str]] = {}
        for table in TABLES:  # a table without records is an empty file
            records = self.records.get(table, [])
            table_lines: list[dict | str] = list(records)
            every = self.layout.redelivered_every
            if every and table in ACTIVITY_TABLES:
                table_lines += [dict(record) for record in records[::every]]
            rng.shuffle(table_lines)
            lines[table] = table_lines
        if self.layout.malformed:
            lines.setdefault("room_joins", []).extend(self.layout.malformed)
        return lines

    def write(self, folder: Path, tables: dict[str, list] | None = None) -> Path:
        """The delivery folder: each table dealt over its drawn files; a table with no
        records is left out, or written as an empty file."""
        rng = random.Random(self.layout.seed + 1)
        for table, table_lines in (tables or self.lines()).items():
            endings = self.layout.files_per_table[table]
            if any(isinstance(line, str) for line in table_lines):
                endings = [".jsonl", *endings]  # malformed lines need a JSON lines file
            files = []
            for number, ending in enumerate(endings):
                # one file `<table>.<ext>`, or a folder of parts
                relative = (
                    f"{table}{ending}" if len(endings) == 1 else f"{table}/part-{number}{ending}"
                )
                files.append(_writer(ending)(folder, relative, table))
            for line in table_lines:
                if isinstance(line, str):
                    files[0].write_raw(line)
                else:
                    rng.choice(files).write(line)
            for file in files:
                file.close()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def describe(self) -> str:
        counts = ", ".join(f"{table} {len(rows)}" for table, rows in sorted(self.records.items()))
        return f"{len(self.cases)} cases ({counts})"


class QuotingCsvFile(CsvFile):
    """CSV as RFC 4180 has it: a field holding a comma, a quote, a carriage return or a line
    feed is quoted. Python's csv module leaves a lone carriage return unquoted when the line
    ending is a line feed, which any reader takes for the end of the line."""

    def write(self, record: dict) -> None:
        fields = []
        for column in self.columns:
            value = _text(record.get(column))
            if value is not None and any(char in value for char in ',"\r\n'):
                value = '"' + value.replace('"', '""') + '"'
            fields.append(value or "")
        self.handle.write(",".join(fields) + "\n")
        self.lines += 1 + sum(field.count("\n") for field in fields)
        self.rows += 1


class ParquetFile:
    """A parquet file of text columns (a missing value is null), written on close. Not
    through CSV, which DuckDB's sniffer may misread for the text drawn here."""

    def __init__(self, folder: Path, relative: str, table: str):
        self.path = folder / relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.columns = TABLES[table].column_names
        self.rows: list[list[str | None]] = []

    def write(self, record: dict) -> None:
        self.rows.append([_text(record.get(column)) for column in self.columns])

    def close(self) -> None:
        columns = ", ".join(f'"{column}" varchar' for column in self.columns)
        with duckdb.connect() as con:
            con.execute(f"create table records ({columns})")
            if self.rows:
                marks = ", ".join("?" for _ in self.columns)
                con.executemany(f"insert into records values ({marks})", self.rows)
            con.execute("copy records to $path (format parquet)", {"path": str(self.path)})


def _text(value) -> str | None:
    return None if value is None else _csv_value(value)


def _writer(ending: str):
    if ending == ".parquet":
        return ParquetFile
    return QuotingCsvFile if ending.startswith(".csv") else JsonLinesFile


def has_activity(delivery: Delivery) -> bool:
    return any(delivery.records.get(table) for table in ACTIVITY_TABLES)


# One hypothesis example: a delivery of many cases, built once. Hypothesis first tries the
# simplest draw (every case without activity), which would spend a whole build on nothing:
# the filter turns it down before anything is built.
deliveries = st.builds(
    Delivery, cases=st.lists(cases, min_size=100, max_size=200), layout=layouts
).filter(has_activity)
