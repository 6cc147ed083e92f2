"""Subscriptions (portal.md, Subscriptions): a person's report of one event app, emailed on a
schedule, daily or on one weekday, at a local time of the event app's time zone.

The schedule's arithmetic is pure functions of a moment, so tests bring their own clock.
`Subscriptions` keeps them in the portal's state and turns each one due into a request like
one made by hand; the requests' unique key (subscription, due time) makes that happen once per
due time whoever asks: two servers on one state, a restart, `subscriptions send-due`. Only the
newest due time at or before now is ever sent: those missed while no server ran are skipped.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smartsessions.portal.catalog import EventApp
from smartsessions.portal.local_time import local_text
from smartsessions.portal.requests import add_request
from smartsessions.portal.sessions import Person
from smartsessions.portal.state import State, now
from smartsessions.report.window import Window

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The form's choices, value: what the page says.
EVERY = {"daily": "Every day"} | {day.lower(): f"Every {day}" for day in WEEKDAYS}
DATES = {"day": "the previous day", "week": "the previous 7 days", "all": "all history"}
HOURS = tuple(f"{hour:02d}:00" for hour in range(24))
MINUTE = timedelta(minutes=1)


class NotASchedule(ValueError):
    """A form's choice that is none of the offered ones (a forged or stale form)."""


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    account_id: int
    event_id: str
    timezone: str  # the event app's IANA name when subscribed
    weekday: int | None  # Monday 0; None: every day
    at: time  # the local time of day it is sent
    dates: str  # a key of DATES
    created_at: float

    @classmethod
    def from_row(cls, row) -> "Subscription":
        return cls(
            row["subscription_id"],
            row["account_id"],
            row["event_id"],
            row["timezone"],
            row["weekday"],
            time.fromisoformat(row["local_time"]),
            row["dates"],
            row["created_at"],
        )

    def describe(self) -> str:
        """`Every Monday at 08:00, the previous 7 days`."""
        every = "Every day" if self.weekday is None else f"Every {WEEKDAYS[self.weekday]}"
        return f"{every} at {self.at:%H:%M}, {DATES[self.dates]}"

    def next_due_text(self, moment: float) -> str:
        """`2026-12-04 08:00 Europe/London`: the next due time as the page shows it."""
        return local_text(next_due(self, moment), self.timezone)


def read_schedule(every: str, at: str, dates: str) -> tuple[int | None, time, str]:
    """The form's choices as (weekday, local time, dates); NotASchedule for anything else."""
    if every not in EVERY or at not in HOURS or dates not in DATES:
        raise NotASchedule("choose a schedule, an hour and the dates from the lists")
    weekday = None if every == "daily" else WEEKDAYS.index(every.title())
    return weekday, time.fromisoformat(at), dates


def due_on(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of the local time `at` on `day`. A time the clocks skip is due at the
    first instant after the gap (the moment the clocks change); a time that happens twice, at
    its first pass (fold 0 is the earlier one)."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold 1 reads the time with the offset after the change, the earliest reading;
    # the change itself is the first whole minute whose local time is past `wall`.
    moment = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += MINUTE
    return moment


def _due_times(subscription: Subscription, moment: float) -> list[datetime]:
    """The due times on the local days from 8 before the moment's to 8 after, in order: the
    newest at or before it and the next after it are among them, weekly too."""
    zone = ZoneInfo(subscription.timezone)
    today = datetime.fromtimestamp(moment, zone).date()
    days = (today + timedelta(days=offset) for offset in range(-8, 9))
    return [
        due_on(day, subscription.at, zone)
        for day in days
        if subscription.weekday is None or day.weekday() == subscription.weekday
    ]


def latest_due(subscription: Subscription, moment: float) -> datetime | None:
    """The newest due time at or before the moment, once the subscription existed."""
    due = [d for d in _due_times(subscription, moment) if d.timestamp() <= moment]
    return due[-1] if due and due[-1].timestamp() > subscription.created_at else None


def next_due(subscription: Subscription, moment: float) -> datetime:
    return next(d for d in _due_times(subscription, moment) if d.timestamp() > moment)


def window_for(subscription: Subscription, due: datetime) -> Window:
    """The report's dates for a due time, from its local date D: the previous day is D - 1,
    the previous 7 days D - 7 to D - 1, all history an open window."""
    day = due.astimezone(ZoneInfo(subscription.timezone)).date()
    if subscription.dates == "day":
        return Window(day - timedelta(days=1), day - timedelta(days=1))
    if subscription.dates == "week":
        return Window(day - timedelta(days=7), day - timedelta(days=1))
    return Window()


# A subscription runs while its account exists (removed: deleted with it) and holds the grant.
ACTIVE = """
select s.*, a.email from subscriptions as s
join accounts as a using (account_id)
join grants as g on g.account_id = s.account_id and g.event_id = s.event_id
"""


class Subscriptions:
    """The subscriptions in the portal's state (every query about them is here)."""

    def __init__(self, state: State):
        self.state = state

    def add(
        self,
        person: Person,
        app: EventApp,
        schedule: tuple[int | None, time, str],
        moment: float | None = None,
    ) -> int | None:
        """A new subscription's number; None when the person has the same one already."""
        weekday, at, dates = schedule
        key = [person.account_id, app.event_id, weekday, f"{at:%H:%M}", dates]
        with self.state.transaction() as con:
            same = con.execute(
                "select 1 from subscriptions where account_id = ? and event_id = ?"
                " and weekday is ? and local_time = ? and dates = ?",
                key,
            ).fetchone()
            if same:
                return None
            return con.execute(
                "insert into subscriptions (account_id, event_id, weekday, local_time, dates,"
                " timezone, created_at) values (?, ?, ?, ?, ?, ?, ?)",
                [*key, app.timezone, now() if moment is None else moment],
            ).lastrowid

    def of_person(self, person: Person, event_id: str) -> list[Subscription]:
        rows = self.state.all(
            "select * from subscriptions where account_id = ? and event_id = ?"
            " order by subscription_id",
            [person.account_id, event_id],
        )
        return [Subscription.from_row(row) for row in rows]

    def cancel(self, person: Person, event_id: str, subscription_id: int) -> bool:
        return bool(
            self.state.run(
                "delete from subscriptions where subscription_id = ? and account_id = ?"
                " and event_id = ?",
                [subscription_id, person.account_id, event_id],
            ).rowcount
        )

    def active(self) -> list[Subscription]:
        return [Subscription.from_row(row) for row in self.state.all(ACTIVE)]

    def next_due(self, moment: float) -> float | None:
        """The soonest due time after the moment of any running subscription."""
        times = [next_due(s, moment).timestamp() for s in self.active()]
        return min(times, default=None)

    def send_due(self, moment: float) -> list[int]:
        """Queue a request for each subscription due at the moment and not yet queued for
        that due time; the numbers of the requests made."""
        made = []
        for subscription in self.active():
            due = latest_due(subscription, moment)
            if due is None:
                continue
            with self.state.transaction() as con:  # one process at a time decides
                made += self._queue(con, subscription, int(due.timestamp()), moment)
        return made

    def _queue(self, con, subscription: Subscription, due_at: int, moment: float) -> list[int]:
        number = subscription.subscription_id
        # read again in the transaction: cancelled, revoked or queued by another meanwhile
        row = con.execute(f"{ACTIVE} where s.subscription_id = ?", [number]).fetchone()
        queued = con.execute(
            "select 1 from requests where subscription_id = ? and due_at = ?", [number, due_at]
        ).fetchone()
        if row is None or queued:
            return []
        window = window_for(subscription, datetime.fromtimestamp(due_at, UTC))
        # the account's address at the due time
        return [
            add_request(
                con,
                subscription.account_id,
                row["email"],
                subscription.event_id,
                window,
                moment,
                subscription=(number, due_at),
            )
        ]
