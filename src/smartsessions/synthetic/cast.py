"""The synthetic deliveries' cast: their event apps (time zones with DST changes, a +05:30 offset
and none at all), countries, names and rooms."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EventApp:
    event_id: str
    name: str
    timezone: str | None
    first_day: date
    days: int
    rooms: int


EVENT_APPS = (
    # clocks go forward in London on 2026-03-29 at 01:00 UTC
    EventApp("LDN26", "London Summit", "Europe/London", date(2026, 3, 28), 3, 6),
    # clocks go back in New York on 2026-11-01 at 06:00 UTC: 01:00-02:00 happens twice
    EventApp("NYC26", "New York Forum", "America/New_York", date(2026, 10, 31), 3, 5),
    EventApp("BLR26", "Bengaluru Tech Days", "Asia/Kolkata", date(2026, 1, 10), 3, 5),
    EventApp("GLB26", "Global Online", None, date(2026, 6, 1), 2, 4),
    # Lord Howe shifts by 30 minutes on 2026-04-05
    EventApp("LHI26", "Lord Howe Retreat", "Australia/Lord_Howe", date(2026, 4, 4), 2, 3),
)
GHOST_EVENT = "GHOST26"  # named by a room, missing from event_apps
COUNTRIES = ("GB", "US", "IN", "DE", "FR", "ES", "IT", "NL", "JP", "BR", "CA", "AU", "NG", "ZA")
ODD_COUNTRIES = ("gb", " fr ", "XX", "", None)
FIRST_NAMES = ("Ada", "Grace", "Alan", "Zoë", "José", "Ngozi", "Priya", "Wei", "Olga", "Sam")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Müller", "García", "Okafor", "Iyer", "Chen")
ROOM_NAMES = ("Main Stage", "Café Zürich \u2013 Lounge", "Workshop A", "Workshop B", "Expo Hall")
