"""`smartsessions generate DIR`: a realistic synthetic delivery, deterministic per seed.

Volume is linear in the scale (1 ≈ 10,000 activity records). The data exercises every rule of
the report: time zones with DST changes, a +05:30 offset and none at all; rooms of skewed
popularity with gaps in their schedules; joins bursting at room start; bubbles of 2-8 people,
some locked; repeated teleports; chats; redelivered duplicates; orphan activity; activity
that names the wrong event app; self-teleports; users without names; odd country codes; and a
few malformed records, planted on purpose and listed in the result.
"""

import math
import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from smartsessions.errors import SmartSessionsError
from smartsessions.landing.contract import TABLES
from smartsessions.synthetic.cast import (
    COUNTRIES,
    EVENT_APPS,
    FIRST_NAMES,
    GHOST_EVENT,
    LAST_NAMES,
    ODD_COUNTRIES,
    ROOM_NAMES,
    EventApp,
)
from smartsessions.synthetic.delivery_writers import DeliveryWriter, GeneratedDelivery
from smartsessions.synthetic.malformed import malformed_records

FORMAT_CHOICES = ("mixed", "jsonl.gz", "csv.gz", "parquet")
SESSIONS_PER_SCALE = 1_500  # one session ≈ 6.7 activity records
ATTENDEES_PER_SCALE = 60  # per event app
MARKER = ".smartsessions-delivery"  # marks a folder this command wrote, so it may rewrite it


def generate_delivery(
    folder: Path, scale: int = 1, seed: int = 1, fmt: str = "mixed"
) -> GeneratedDelivery:
    """Write a delivery of `scale` times ~10,000 activity records to `folder`."""
    if fmt not in FORMAT_CHOICES:
        raise SmartSessionsError(f"unknown format {fmt!r}: use one of {', '.join(FORMAT_CHOICES)}")
    if scale < 1:
        raise SmartSessionsError("--scale must be at least 1")
    _prepare(folder)
    writer = DeliveryWriter(folder, fmt)
    Generator(random.Random(seed), scale, writer).run()
    delivery = writer.close()
    (folder / MARKER).write_text("written by smartsessions generate\n")
    return delivery


def _prepare(folder: Path) -> None:
    """An empty folder to write to; a previous generated delivery there is replaced."""
    if folder.exists():
        if (folder / MARKER).exists():
            shutil.rmtree(folder)
        elif any(folder.iterdir()):
            raise SmartSessionsError(
                f"{folder} is not empty and was not written by `smartsessions generate`"
            )
    folder.mkdir(parents=True, exist_ok=True)


class Generator:
    """Writes the records of every table through a DeliveryWriter."""

    def __init__(self, rng: random.Random, scale: int, writer: DeliveryWriter):
        self.rng = rng
        self.scale = scale
        self.writer = writer
        self.uuid = 0
        self.redeliveries: list[tuple[str, dict]] = []

    def run(self) -> None:
        self.write_event_apps()
        rooms = self.write_rooms()
        users = self.write_attendees()
        for event in EVENT_APPS:
            self.write_activity(event, rooms[event.event_id], users)
        self.write_oddities(rooms)
        for table, record in self.redeliveries:  # redelivered, after the originals
            self.writer.write(table, record, part="redelivery")
        self.plant_malformed()

    # reference tables

    def write_event_apps(self) -> None:
        for event in EVENT_APPS:
            record = {"event_id": event.event_id, "event_name": event.name}
            record["timezone"] = event.timezone
            self.writer.write("event_apps", record)

    def write_rooms(self) -> dict[str, list[dict]]:
        rooms: dict[str, list[dict]] = {}
        for event in EVENT_APPS:
            count = event.rooms + int(math.sqrt(self.scale))
            rooms[event.event_id] = [self.room(event, index) for index in range(count)]
        rooms[GHOST_EVENT] = [
            {"room_id": "GHOST26-r0", "event_id": GHOST_EVENT, "room_name": "Main Stage"}
        ]
        rooms["GLB26"][0]["room_name"] = '=HYPERLINK("http://x","y")'
        for event_rooms in rooms.values():
            for room in event_rooms:
                self.writer.write("rooms", room)
        # an older version of a room, delivered after the newer one: the later updated_at wins
        draft = dict(rooms["LDN26"][0], room_name="Main Stage (draft)")
        draft["updated_at"] = "2026-01-01T09:00:00Z"
        self.writer.write("rooms", draft)
        return rooms

    def room(self, event: EventApp, index: int) -> dict:
        rng = self.rng
        start_hour = 9 + (index % 8)
        room = {
            "room_id": f"{event.event_id}-r{index}",
            "event_id": event.event_id,
            "room_name": ROOM_NAMES[index] if index < len(ROOM_NAMES) else f"Room {index}",
            "capacity": rng.choice((None, 20, 50, 100, 250)),
            "is_private": rng.choice((None, True, False)),
            "start_date": event.first_day.isoformat(),
            "end_date": (event.first_day + timedelta(days=event.days - 1)).isoformat(),
            "start_time": f"{start_hour:02d}:00",
            "end_time": f"{start_hour + 1:02d}:30:{rng.choice(('00', '45'))}",
            "updated_at": "2026-02-01T12:00:00Z",
        }
        if index == 2:  # no schedule at all
            room.update(start_date=None, end_date=None, start_time=None, end_time=None)
        if index == 3:  # across midnight
            room.update(start_time="22:00", end_time="01:30", end_date=room["start_date"])
            room["end_date"] = (event.first_day + timedelta(days=1)).isoformat()
        if index == 4:  # ends before it starts: a scheduling mistake, shown as it is
            room.update(end_date=room["start_date"], start_time="15:00", end_time="14:15")
        return room

    def write_attendees(self) -> list[str]:
        """Attendees of every event app share user ids (u00001, ...), each with its own name."""
        users = [f"u{n:05d}" for n in range(1, ATTENDEES_PER_SCALE * self.scale + 1)]
        for event in EVENT_APPS:
            for number, user_id in enumerate(users):
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                if number % 50 == 7:
                    first, last = None, None  # named by user_id in the report
                elif number % 50 == 8:
                    first, last = f"  {first} ", None  # spaces around, no last name
                elif number % 50 == 9:
                    first = self.rng.choice(("+44 caller", "@handle", "-minus", "=SUM(A1)"))
                self.writer.write(
                    "attendees",
                    {
                        "event_id": event.event_id,
                        "user_id": user_id,
                        "first_name": first,
                        "last_name": last,
                        "updated_at": "2026-02-01T12:00:00+00:00",
                    },
                )
        # an older version of an attendee, delivered later: still the newer one wins
        self.writer.write(
            "attendees",
            {
                "event_id": "LDN26",
                "user_id": users[0],
                "first_name": "Old",
                "last_name": "Name",
                "updated_at": "2026-01-01T12:00:00+00:00",
            },
        )
        return users

    # activity

    def write_activity(self, event: EventApp, rooms: list[dict], users: list[str]) -> None:
        zone = ZoneInfo(event.timezone or "UTC")
        weights = [1 / (rank + 1) for rank in range(len(rooms))]  # skewed popularity
        guests = [f"guest-{n}" for n in range(5)]  # in activity, not in attendees
        sessions = SESSIONS_PER_SCALE * self.scale // len(EVENT_APPS)
        for _ in range(sessions):
            room = self.rng.choices(rooms, weights)[0]
            day = event.first_day + timedelta(days=self.rng.randrange(event.days))
            start = self.session_start(room, day, zone)
            user = self.rng.choice(users if self.rng.random() > 0.02 else guests)
            self.session(event, room, user, start, users)
        self.write_dst_edges(event, rooms[0], users)

    def session_start(self, room: dict, day: date, zone: ZoneInfo) -> datetime:
        """Most joins burst within minutes of the room's start time; the rest spread out."""
        rng = self.rng
        if room["start_time"] and rng.random() < 0.7:
            hour, minute = map(int, room["start_time"].split(":")[:2])
            offset = timedelta(minutes=rng.expovariate(1 / 4))
        else:
            hour, minute = rng.randrange(7, 24), rng.randrange(60)
            offset = timedelta(seconds=rng.randrange(60))
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone) + offset
        return local.astimezone(UTC)

    def session(self, event, room, user, start: datetime, users: list[str]) -> None:
        rng = self.rng
        base = {"event_id": event.event_id, "room_id": room["room_id"], "user_id": user}
        at = start
        country = rng.choice(COUNTRIES) if rng.random() > 0.03 else rng.choice(ODD_COUNTRIES)
        self.activity("room_joins", base, at, event, country_code=country)
        if rng.random() < 0.02:  # the same user joins again from another country
            at += timedelta(minutes=rng.randrange(1, 30))
            self.activity("room_joins", base, at, event, country_code=rng.choice(COUNTRIES))
        if rng.random() < 0.5:
            # bubbles of 2-8 people: a few bubbles per room and hour, shared by its sessions
            bubble = f"b{start.strftime('%m%d%H')}-{rng.randrange(3)}"
            at += timedelta(seconds=rng.randrange(30, 600))
            self.activity("bubble_events", base, at, event, bubble_id=bubble, action="join")
            if rng.random() < 0.15:
                at += timedelta(seconds=rng.randrange(5, 120))
                self.activity("bubble_events", base, at, event, bubble_id=bubble, action="lock")
                if rng.random() < 0.5:
                    at += timedelta(seconds=rng.randrange(5, 300))
                    self.activity(
                        "bubble_events", base, at, event, bubble_id=bubble, action="unlock"
                    )
            at += timedelta(seconds=rng.randrange(60, 900))
            self.activity("bubble_events", base, at, event, bubble_id=bubble, action="leave")
        target = rng.choice(users)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):  # repeats to the same person
            at += timedelta(seconds=rng.randrange(10, 300))
            if rng.random() < 0.3:
                target = rng.choice(users)
            self.activity("teleports", base, at, event, target_user_id=target)
        for _ in range(rng.choice((0, 0, 1, 2, 3, 4, 5))):
            at += timedelta(seconds=rng.randrange(5, 240))
            self.activity("chat_messages", base, at, event)
        at += timedelta(seconds=rng.randrange(60, 3600))
        self.activity("room_leaves", base, at, event)

    def write_dst_edges(self, event: EventApp, room: dict, users: list[str]) -> None:
        """Joins on both sides of each DST change, and activity across local midnight."""
        base = {"event_id": event.event_id, "room_id": room["room_id"], "user_id": users[1]}
        edges = {
            "LDN26": ("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"),
            "NYC26": ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"),
            "LHI26": ("2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z"),
        }
        for instant in edges.get(event.event_id, ()):
            at = datetime.fromisoformat(instant)
            self.activity("room_joins", base, at, event, country_code="GB")
        zone = ZoneInfo(event.timezone or "UTC")
        day = event.first_day
        late = datetime(day.year, day.month, day.day, 23, 55, tzinfo=zone).astimezone(UTC)
        self.activity("room_joins", base, late, event, country_code="IN")
        self.activity("chat_messages", base, late + timedelta(minutes=10), event)

    def write_oddities(self, rooms: dict[str, list[dict]]) -> None:
        """Records that parse but do not fit together: the report leaves them out, counted."""
        ldn, nyc = EVENT_APPS[0], EVENT_APPS[1]
        at = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
        for n in range(3):
            orphan = {"event_id": "LDN26", "room_id": "LDN26-gone", "user_id": f"u{n + 1:05d}"}
            self.activity("room_joins", orphan, at + timedelta(minutes=n), ldn, country_code="GB")
            wrong = {
                "event_id": "NYC26",
                "room_id": rooms["LDN26"][0]["room_id"],
                "user_id": "u00001",
            }
            self.activity("chat_messages", wrong, at + timedelta(minutes=n), nyc)
            me = {"event_id": "LDN26", "room_id": rooms["LDN26"][1]["room_id"], "user_id": "u00002"}
            self.activity("teleports", me, at + timedelta(minutes=n), ldn, target_user_id="u00002")
        ghost = {"event_id": GHOST_EVENT, "room_id": "GHOST26-r0", "user_id": "u00003"}
        ghost_app = EventApp(GHOST_EVENT, "", None, date(2026, 5, 1), 1, 1)
        self.activity(
            "room_joins", ghost, datetime(2026, 5, 1, 9, tzinfo=UTC), ghost_app, country_code="DE"
        )

    def activity(self, table: str, base: dict, at: datetime, event: EventApp, **extra) -> None:
        self.uuid += 1
        record = {"event_uuid": f"{table[:2]}-{self.uuid:09d}", **base}
        record["occurred_at"] = self.timestamp(at, event)
        record.update(extra)
        self.writer.write(table, record)
        if self.rng.random() < 0.005:
            self.redeliveries.append((table, record))

    def timestamp(self, at: datetime, event: EventApp) -> str:
        """ISO-8601 with an offset: Z, or the event's own offset (e.g. +05:30)."""
        if event.timezone and self.uuid % 3 == 0:
            return at.astimezone(ZoneInfo(event.timezone)).isoformat()
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")

    # malformed records

    def plant_malformed(self) -> None:
        for table, kind, record in malformed_records():
            if isinstance(record, dict):  # only the table's own columns
                record = {k: v for k, v in record.items() if k in TABLES[table].column_names}
            self.writer.plant(table, kind, record)
