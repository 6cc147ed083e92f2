"""Subscriptions (portal.md, Subscriptions) with a fake clock: due times daily and weekly, the
clocks changing (Europe/London, 2026), each due time sent once whoever ticks (two servers, a
restart, missed due times), a lost grant ending them, their requests outside the rate limit, a
state made before subscriptions, the email's manage link through a real SMTP server, and
`subscriptions send-due` from the command line. Every expected moment is worked out by hand."""

import re
import sqlite3
import threading
from datetime import UTC, date, datetime, time

import pytest
from portal_kit import (
    ANN,
    BOB,
    SECRET,
    SmtpServer,
    accounts,
    add_people,
    finished,
    log_in,
    post_form,
    read_eml,
    settings_for,
    wait_until,
)
from starlette.testclient import TestClient
from typer.testing import CliRunner

from smartsessions.cli import app as cli
from smartsessions.portal.app import Portal, create_app
from smartsessions.portal.catalog import EventApp
from smartsessions.portal.requests import RateLimited, Requests
from smartsessions.portal.scheduler import Scheduler, SendSubscriptions
from smartsessions.portal.sessions import Person
from smartsessions.portal.settings import Smtp
from smartsessions.portal.state import State, now
from smartsessions.portal.subscriptions import (
    Subscription,
    Subscriptions,
    due_on,
    latest_due,
    next_due,
    read_schedule,
    window_for,
)
from smartsessions.report.window import Window

LONDON = "Europe/London"
LDN26 = EventApp("LDN26", "London Summit", LONDON, None, None)
FRIDAY = 4


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(*parts) -> float:
    return utc(*parts).timestamp()


NEW_YEAR, DECEMBER = at(2026, 1, 1), at(2026, 12, 1)  # when a test's subscription was made


def subscription(weekday=None, local="08:00", dates="day", created=NEW_YEAR):
    return Subscription(1, 1, "LDN26", LONDON, weekday, time.fromisoformat(local), dates, created)


# --- the schedule ---


def test_daily_due_times_in_winter_and_summer():
    daily = subscription()
    # 2026-12-03, GMT: 08:00 local is 08:00 UTC
    assert latest_due(daily, at(2026, 12, 3, 9)) == utc(2026, 12, 3, 8)
    assert latest_due(daily, at(2026, 12, 3, 8)) == utc(2026, 12, 3, 8)  # due at that moment
    assert latest_due(daily, at(2026, 12, 3, 7, 59)) == utc(2026, 12, 2, 8)
    assert next_due(daily, at(2026, 12, 3, 9)) == utc(2026, 12, 4, 8)
    assert daily.next_due_text(at(2026, 12, 3, 9)) == "2026-12-04 08:00 Europe/London"
    # 2026-06-10, BST: 08:00 local is 07:00 UTC
    assert latest_due(daily, at(2026, 6, 10, 9)) == utc(2026, 6, 10, 7)
    assert daily.next_due_text(at(2026, 6, 10, 9)) == "2026-06-11 08:00 Europe/London"


def test_weekly_due_times():
    fridays = subscription(weekday=FRIDAY, dates="week")
    thursday = at(2026, 12, 3, 9)  # Thursday 3 December 2026
    assert next_due(fridays, thursday) == utc(2026, 12, 4, 8)
    assert latest_due(fridays, thursday) == utc(2026, 11, 27, 8)
    assert fridays.describe() == "Every Friday at 08:00, the previous 7 days"


def test_windows_end_the_day_before_the_due_date():
    due = utc(2026, 12, 4, 8)
    assert window_for(subscription(dates="day"), due) == Window(
        date(2026, 12, 3), date(2026, 12, 3)
    )
    assert window_for(subscription(dates="week"), due) == Window(
        date(2026, 11, 27), date(2026, 12, 3)
    )
    assert window_for(subscription(dates="all"), due) == Window()
    # 00:30 local on 1 June (BST) is 23:30 UTC on 31 May: the local date decides
    early = subscription(local="00:30")
    assert window_for(early, utc(2026, 5, 31, 23, 30)) == Window(
        date(2026, 5, 31), date(2026, 5, 31)
    )


def test_a_skipped_local_time_is_due_at_the_first_instant_after_it():
    # 2026-03-29: at 01:00 UTC London's clocks go from 01:00 GMT to 02:00 BST
    for local in ("01:00", "01:30"):
        assert due_on(date(2026, 3, 29), time.fromisoformat(local), _zone()) == utc(2026, 3, 29, 1)
    assert due_on(date(2026, 3, 29), time(2, 0), _zone()) == utc(2026, 3, 29, 1)  # 02:00 BST
    assert due_on(date(2026, 3, 29), time(0, 30), _zone()) == utc(2026, 3, 29, 0, 30)


def test_a_repeated_local_time_is_due_at_its_first_pass():
    # 2026-10-25: at 01:00 UTC London's clocks go from 02:00 BST back to 01:00 GMT
    assert due_on(date(2026, 10, 25), time(1, 30), _zone()) == utc(2026, 10, 25, 0, 30)
    assert due_on(date(2026, 10, 25), time(1, 0), _zone()) == utc(2026, 10, 25, 0, 0)
    assert due_on(date(2026, 10, 25), time(2, 0), _zone()) == utc(2026, 10, 25, 2, 0)


def _zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(LONDON)


def test_the_form_offers_only_its_choices():
    assert read_schedule("daily", "08:00", "day") == (None, time(8), "day")
    assert read_schedule("friday", "23:00", "all") == (FRIDAY, time(23), "all")
    for wrong in [("hourly", "08:00", "day"), ("daily", "08:30", "day"), ("daily", "08:00", "")]:
        with pytest.raises(ValueError):
            read_schedule(*wrong)


# --- the storage, with a fake clock ---


@pytest.fixture
def state(tmp_path) -> State:
    return State(tmp_path / "portal.sqlite3")


def person(state: State, email: str = ANN, grants=("LDN26",)) -> Person:
    """An account made straight in the state (these tests need no published catalog)."""
    account_id = state.run(
        "insert into accounts (email, password_hash, created_at) values (?, 'x', 0)", [email]
    ).lastrowid
    for code in grants:
        state.run("insert into grants values (?, ?)", [account_id, code])
    return Person(account_id, email, frozenset(grants))


def subscribe(state, someone, every="daily", local="08:00", dates="day", moment=DECEMBER):
    return Subscriptions(state).add(someone, LDN26, read_schedule(every, local, dates), moment)


def requests_of(state: State) -> list[tuple]:
    return [
        tuple(row)
        for row in state.all(
            "select email, window_from, window_to, subscription_id, due_at, state from requests"
            " order by request_id"
        )
    ]


def test_three_missed_due_times_are_sent_once_the_newest(state):
    number = subscribe(state, person(state))
    # no server from 1 December: due on the 2nd, 3rd and 4th at 08:00 UTC
    assert len(Subscriptions(state).send_due(at(2026, 12, 4, 9))) == 1
    due = int(at(2026, 12, 4, 8))
    assert requests_of(state) == [(ANN, "2026-12-03", "2026-12-03", number, due, "queued")]
    assert Subscriptions(state).send_due(at(2026, 12, 4, 10)) == []
    assert len(Subscriptions(state).send_due(at(2026, 12, 5, 8))) == 1


def test_a_subscription_is_not_due_before_it_was_made(state):
    subscribe(state, person(state), moment=at(2026, 12, 4, 8, 30))
    assert Subscriptions(state).send_due(at(2026, 12, 4, 9)) == []
    assert Subscriptions(state).next_due(at(2026, 12, 4, 9)) == at(2026, 12, 5, 8)


def test_a_restart_does_not_send_again(state):
    subscribe(state, person(state))
    assert len(Subscriptions(state).send_due(at(2026, 12, 4, 8))) == 1
    again = State(state.path)  # a new server on the same file
    assert Subscriptions(again).send_due(at(2026, 12, 4, 8, 1)) == []
    assert len(requests_of(again)) == 1


def test_two_servers_at_the_same_due_time_queue_one_request(state):
    subscribe(state, person(state))
    moment = at(2026, 12, 4, 8)
    made: list[list[int]] = []
    start = threading.Barrier(2)

    def tick():
        other = State(state.path)  # each server its own connection
        start.wait()
        made.append(Subscriptions(other).send_due(moment))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(m) for m in made) == [0, 1]
    assert len(requests_of(state)) == 1


def test_the_unique_key_refuses_a_second_request_for_a_due_time(state):
    number = subscribe(state, person(state))
    Subscriptions(state).send_due(at(2026, 12, 4, 8))
    with pytest.raises(sqlite3.IntegrityError):
        state.run(
            "insert into requests (account_id, email, event_id, requested_at, subscription_id,"
            " due_at) values (1, ?, 'LDN26', 0, ?, ?)",
            [ANN, number, int(at(2026, 12, 4, 8))],
        )


def half_past_one(state: State, made: float) -> Subscriptions:
    """A daily subscription at 01:30, which the form does not offer (it offers hours), as the
    spec's example has it."""
    Subscriptions(state).add(person(state), LDN26, (None, time(1, 30), "day"), made)
    return Subscriptions(state)


def test_a_repeated_hour_sends_once_at_its_first_pass(state):
    subscriptions = half_past_one(state, at(2026, 10, 25, 0, 0))
    assert subscriptions.send_due(at(2026, 10, 25, 0, 29)) == []  # 01:29 BST
    assert len(subscriptions.send_due(at(2026, 10, 25, 0, 30))) == 1  # 01:30 BST
    assert subscriptions.send_due(at(2026, 10, 25, 1, 30)) == []  # 01:30 GMT, the second pass
    assert subscriptions.next_due(at(2026, 10, 25, 1, 30)) == at(2026, 10, 26, 1, 30)


def test_a_skipped_hour_sends_at_the_first_instant_after_it(state):
    subscriptions = half_past_one(state, at(2026, 3, 29, 0, 0))
    assert subscriptions.next_due(at(2026, 3, 29, 0, 0)) == at(2026, 3, 29, 1, 0)  # 02:00 BST
    assert subscriptions.send_due(at(2026, 3, 29, 0, 59)) == []  # 00:59 GMT
    assert len(subscriptions.send_due(at(2026, 3, 29, 1, 0))) == 1
    assert requests_of(state)[0][1:3] == ("2026-03-28", "2026-03-28")


def test_a_revoked_grant_ends_the_subscription(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    state = State(settings.app_db)
    ann = Person(1, ANN, frozenset({"LDN26"}))
    subscribe(state, ann)
    accounts(settings).revoke(ANN, "LDN26")
    assert Subscriptions(state).send_due(at(2026, 12, 4, 9)) == []
    assert Subscriptions(state).of_person(ann, "LDN26") == []  # removed, not kept stopped
    accounts(settings).grant(ANN, "LDN26")  # a new grant does not bring it back
    assert Subscriptions(state).send_due(at(2026, 12, 4, 9)) == []


def test_a_grant_lost_otherwise_or_a_removed_account_sends_nothing(state):
    ann = person(state)
    subscribe(state, ann)
    state.run("delete from grants")
    assert Subscriptions(state).send_due(at(2026, 12, 4, 9)) == []
    state.run("insert into grants values (?, 'LDN26')", [ann.account_id])
    state.run("delete from accounts")
    assert Subscriptions(state).send_due(at(2026, 12, 4, 9)) == []
    assert state.one("select count(*) from subscriptions")[0] == 0


def test_a_request_queued_before_its_subscription_was_cancelled_is_not_sent(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    state = State(settings.app_db)
    ann = Person(1, ANN, frozenset({"LDN26"}))
    number = subscribe(state, ann)
    app = create_app(settings)  # the workers are not started: the request waits
    (queued,) = Subscriptions(state).send_due(now())  # due within the last day
    assert Subscriptions(state).cancel(ann, "LDN26", number)
    with TestClient(app):
        row = finished(settings, queued)
    reason = "the subscription was cancelled before this was sent"
    assert (row["state"], row["reason"]) == ("failed", reason)
    assert not (settings.outbox / f"request-{queued}.eml").exists()


def test_the_email_goes_to_the_accounts_address_at_the_due_time(state):
    ann = person(state)
    subscribe(state, ann)
    state.run("update accounts set email = 'ann@new.example.com'")
    Subscriptions(state).send_due(at(2026, 12, 4, 9))
    assert requests_of(state)[0][0] == "ann@new.example.com"


def test_subscription_requests_are_outside_the_persons_rate_limit(state):
    ann = person(state)
    subscribe(state, ann)
    Subscriptions(state).send_due(now())  # due within the last day, made 1 December
    Requests(state).submit(ann, "LDN26", Window(), per_hour=1)  # the person's one this hour
    with pytest.raises(RateLimited):
        Requests(state).submit(ann, "LDN26", Window(), per_hour=1)


def test_subscribing_twice_to_the_same_schedule_keeps_one(state):
    ann = person(state)
    first = subscribe(state, ann)
    assert subscribe(state, ann) is None
    assert subscribe(state, ann, dates="week") != first
    assert len(Subscriptions(state).of_person(ann, "LDN26")) == 2


# The requests table as a state made before subscriptions has it.
OLD_REQUESTS = """
create table requests (
    request_id integer primary key, account_id integer not null, email text not null,
    event_id text not null, window_from text, window_to text,
    state text not null default 'queued', reason text, requested_at real not null,
    started_at real, finished_at real, claimed integer not null default 0, next_try_at real,
    send_attempts integer not null default 0, workbook text, summary text, published_at text,
    reused_from integer
);
insert into requests (request_id, account_id, email, event_id, requested_at)
    values (7, 1, 'ann@example.com', 'LDN26', 0);
"""


def test_a_state_made_before_subscriptions_keeps_working(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(OLD_REQUESTS)
    state = State(path)
    ann = person(state)
    assert Requests(state).get(7).subscription_id is None
    subscribe(state, ann)
    assert len(Subscriptions(state).send_due(at(2026, 12, 4, 9))) == 1
    assert Subscriptions(State(path)).send_due(at(2026, 12, 4, 9)) == []


# --- the scheduler ---


class Wakes:
    def __init__(self):
        self.woken = 0

    def wake(self):
        self.woken += 1


def test_a_tick_queues_what_is_due_and_says_when_to_tick_next(state):
    subscribe(state, person(state), moment=at(2026, 12, 4, 7))
    workers = Wakes()
    scheduler = Scheduler([SendSubscriptions(Subscriptions(state), workers)])
    # due in 30 s: the next tick then, not a minute later
    assert scheduler.tick(at(2026, 12, 4, 7, 59, 30)) == at(2026, 12, 4, 8)
    assert workers.woken == 0
    # nothing due for a day: a minute at most
    assert scheduler.tick(at(2026, 12, 4, 8)) == at(2026, 12, 4, 8, 1)
    assert workers.woken == 1 and len(requests_of(state)) == 1
    other = Scheduler([SendSubscriptions(Subscriptions(State(state.path)), workers)])
    other.tick(at(2026, 12, 4, 8))  # a second server, the same due time
    assert len(requests_of(state)) == 1


def test_the_scheduler_thread_ticks_on_its_clock_and_when_woken():
    moments = []

    class Record:
        name = "record"

        def run(self, moment):
            moments.append(moment)
            return None  # nothing due: a minute's sleep

    scheduler = Scheduler([Record()], clock=lambda: at(2026, 12, 4, 8))
    scheduler.start()
    try:
        wait_until(lambda: len(moments) == 1, what="the first tick")
        scheduler.wake()
        wait_until(lambda: len(moments) == 2, what="the tick after a wake")
    finally:
        scheduler.stop()
    assert moments == [at(2026, 12, 4, 8)] * 2


# --- sending: the email and the command line ---


def test_the_email_links_to_the_page_that_manages_the_subscription(portal_db, tmp_path):
    with SmtpServer() as smtp:
        settings = settings_for(portal_db, tmp_path, smtp=Smtp("127.0.0.1", smtp.port, timeout=10))
        add_people(settings)
        portal = Portal(settings)
        ann = Person(1, ANN, frozenset({"LDN26"}))
        portal.subscriptions.add(ann, LDN26, read_schedule("daily", "08:00", "day"), at(2026, 3, 1))
        # 31 March, BST: 08:00 local is 07:00 UTC; the previous day is 30 March
        made = portal.subscriptions.send_due(at(2026, 3, 31, 7))
        (sent,) = portal.workers.run_to_end(made)
        assert sent.state == "sent"
        (message,) = smtp.received
    assert message["Subject"] == "Smart Sessions report — LDN26 — 2026-03-30 to 2026-03-30"
    manage = "http://testserver/events/LDN26/smart-sessions/report#subscriptions"
    assert f"Manage or cancel this subscription: {manage}" in _plain(message)
    html = message.get_body(("html",)).get_content()
    assert f'<a href="{manage}">Manage or cancel this subscription</a>' in html


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_send_due_from_the_command_line(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    ann = Person(1, ANN, frozenset({"LDN26"}))
    subscriptions = Subscriptions(State(settings.app_db))
    subscriptions.add(ann, LDN26, read_schedule("daily", "08:00", "day"), now() - 3 * 86400)
    due = latest_due(subscriptions.active()[0], now())
    day = window_for(subscriptions.active()[0], due).start
    env = {
        "SMARTSESSIONS_APP_DB": str(settings.app_db),
        "SMARTSESSIONS_OUTBOX": str(settings.outbox),
        "SMARTSESSIONS_REPORTS": str(settings.reports_dir),
        "SMARTSESSIONS_SECRET_KEY": SECRET,
        "SMARTSESSIONS_BASE_URL": "https://portal.example.com",
        "SMARTSESSIONS_SMTP_HOST": None,  # the outbox
    }
    send_due = ["subscriptions", "send-due", "--db", str(portal_db)]
    result = CliRunner().invoke(cli, send_due, env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"request 1: LDN26, {day} to {day}, to {ANN}: sent\n"
    message = read_eml(settings.outbox / "request-1.eml")
    manage = "https://portal.example.com/events/LDN26/smart-sessions/report#subscriptions"
    assert f"Manage or cancel this subscription: {manage}" in _plain(message)
    again = CliRunner().invoke(cli, send_due, env=env)  # the same due time: sent already
    assert (again.exit_code, again.output) == (0, "no subscription is due\n")


def test_a_server_starting_sends_the_missed_due_time_once(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    ann = Person(1, ANN, frozenset({"LDN26"}))
    subscriptions = Subscriptions(State(settings.app_db))
    # made three days ago, no server since: three due times missed
    subscriptions.add(ann, LDN26, read_schedule("daily", "08:00", "day"), now() - 3 * 86400)
    for _start in range(2):  # started, stopped, started again: still the one request
        app = create_app(settings)
        with TestClient(app):
            wait_until(lambda: (settings.outbox / "request-1.eml").is_file(), what="the email")
            app.state.portal.scheduler.tick(now())  # as its thread does, once more for sure
        assert [row[-1] for row in requests_of(State(settings.app_db))] == ["sent"]


def test_send_due_without_a_database_is_one_line(tmp_path):
    result = CliRunner().invoke(
        cli, ["subscriptions", "send-due", "--db", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and result.output.count("\n") == 1


# --- the pages ---


def test_subscribe_list_and_cancel_through_the_pages(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    add_people(settings)
    page = "/events/LDN26/smart-sessions/report"
    with TestClient(create_app(settings)) as client:
        assert log_in(client, ANN).status_code == 303
        form = {"every": "friday", "at": "09:00", "dates": "week"}
        answer = post_form(client, page, f"{page[: -len('report')]}subscriptions", **form)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{page}#subscriptions"
        shown = client.get(page).text
        assert "Every Friday at 09:00, the previous 7 days" in shown
        assert re.search(r"Next: 20\d\d-\d\d-\d\d 09:00 Europe/London", shown)
        (number,) = [s.subscription_id for s in _all(settings)]
        cancel = f"{page[: -len('report')]}subscriptions/{number}/cancel"
        forged = post_form(client, page, f"{page[: -len('report')]}subscriptions", every="hourly")
        assert forged.status_code == 400
        other = TestClient(client.app)  # Bob may not see LDN26: his cancel is refused
        assert log_in(other, BOB).status_code == 303
        assert post_form(other, "/events", cancel).status_code == 404
        assert len(_all(settings)) == 1
        assert post_form(client, page, cancel).status_code == 303
        assert "Every Friday at 09:00" not in client.get(page).text
        assert _all(settings) == []


def _all(settings):
    return Subscriptions(State(settings.app_db)).active()
