"""The portal's pages and rules (portal.md) through the ASGI test client: the request flow, log-in
and lockout, CSRF, the cookie, the headers, tenants kept apart, links signed and expiring,
markup shown as text, the rate limit, the dates' validation and a workbook reused."""

import re
import time
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from portal_kit import (
    ANN,
    BOB,
    MARKUP_NAME,
    ODD,
    PASSWORD,
    accounts,
    add_people,
    client_of,
    csrf_of,
    finished,
    link_in,
    log_in,
    post_form,
    read_eml,
    request_report,
    request_row,
    settings_for,
)
from starlette.testclient import TestClient

from smartsessions.portal.app import create_app
from smartsessions.portal.links import Links
from smartsessions.portal.requests import Requests
from smartsessions.portal.routes.login import LOG_IN_FAILED
from smartsessions.portal.routes.page import NOT_AVAILABLE
from smartsessions.portal.sessions import Person
from smartsessions.portal.state import State, now
from smartsessions.report.window import Window

# The ISO 8601 forms date.fromisoformat takes beside YYYY-MM-DD (basic and week dates), and
# near misses it refuses (ordinal date, full-width digits, a one-digit month): the form asks
# for YYYY-MM-DD only.
NOT_YYYY_MM_DD = [
    "20260328",
    "2026-W13-6",
    "2026W136",
    "2026-087",
    "\uff12\uff10\uff12\uff16-03-28",
    "2026-3-28",
]
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none';"
        " object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def settings(portal_db, tmp_path_factory):
    settings = settings_for(portal_db, tmp_path_factory.mktemp("routes"))
    add_people(settings)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    app = create_app(settings)
    with TestClient(app):  # the lifespan: the workers run for the whole module
        yield app


@pytest.fixture
def ann(app):
    return client_of(app, ANN)


@pytest.fixture
def bob(app):
    return client_of(app, BOB)


def requested_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def request_count(settings) -> int:
    return State(settings.app_db).one("select count(*) from requests")[0]


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


def test_the_request_flow_page_by_page(ann, settings):
    events = ann.get("/events")
    assert events.status_code == 200
    assert '<label for="code">App short code</label>' in events.text
    assert ">Go</button>" in events.text and ">Log out</button>" in events.text
    went = post_form(ann, "/events", code="ldn26")  # any case: the one code it can be
    assert (went.status_code, went.headers["location"]) == (303, "/events/LDN26")
    app_page = ann.get("/events/LDN26").text
    assert "<h1>London Summit</h1>" in app_page and "<dd>Europe/London</dd>" in app_page
    sections = re.findall(r"<li>(?:<a[^>]*>|<span[^>]*>)([^<]+)<", app_page)
    assert sections[-1] == "Smart Sessions" and "Streams" in sections and "Documents" in sections
    assert 'href="/events/LDN26/smart-sessions"' in app_page
    section = ann.get("/events/LDN26/smart-sessions").text
    assert '<a href="/events/LDN26/smart-sessions/report">Smart Sessions Report</a>' in section
    report = ann.get("/events/LDN26/smart-sessions/report").text
    # the local dates of LDN26's first and last counted activity (tests/fixtures/delivery)
    assert '<input id="from" name="from" type="date" value="2026-03-29">' in report
    assert '<input id="to" name="to" type="date" value="2026-03-30">' in report
    assert '<label for="from">From</label>' in report and '<label for="to">To</label>' in report
    assert ">Download</button>" in report and ">Log out</button>" in report

    request_id = requested_id(request_report(ann, "LDN26", "2026-03-29", "2026-03-30"))
    requested = ann.get(f"/events/LDN26/smart-sessions/requests/{request_id}")
    assert requested.status_code == 200
    assert f"Your report is being prepared and will be emailed to {ANN}" in requested.text
    assert finished(settings, request_id)["state"] == "sent"
    page = ann.get(f"/events/LDN26/smart-sessions/requests/{request_id}").text
    assert '<td class="state state-sent">sent</td>' in page
    download = f"/events/LDN26/smart-sessions/requests/{request_id}/workbook"
    assert download in page
    workbook = ann.get(download)
    assert workbook.status_code == 200
    assert workbook.headers["content-disposition"] == (
        'attachment; filename="smart-sessions-LDN26-2026-03-29-to-2026-03-30.xlsx"'
    )
    message = read_eml(settings.outbox / f"request-{request_id}.eml")
    assert message["Subject"] == "Smart Sessions report — LDN26 — 2026-03-29 to 2026-03-30"
    assert message["To"] == ANN
    # the report page lists the request too
    assert (
        '<td class="state state-sent">sent</td>'
        in ann.get("/events/LDN26/smart-sessions/report").text
    )


def test_a_page_asks_for_the_log_in_first_and_comes_back(app):
    visitor = client_of(app)
    page = "/events/LDN26/smart-sessions/report"
    asked = visitor.get(page, follow_redirects=False)
    assert (asked.status_code, asked.headers["location"]) == (303, f"/login?next={quote(page, '')}")
    login_page = visitor.get(asked.headers["location"]).text
    assert f'name="next" value="{page}"' in login_page
    assert '<label for="email">Email</label>' in login_page
    assert '<label for="password">Password</label>' in login_page
    logged_in = log_in(visitor, ANN, next_page=page)
    assert (logged_in.status_code, logged_in.headers["location"]) == (303, page)
    # never on to another site
    elsewhere = log_in(client_of(app), ANN, next_page="//evil.example/")
    assert elsewhere.headers["location"] == "/events"


def test_a_code_a_url_would_split_is_reachable(app, settings):
    accounts(settings).add("olga@example.com", PASSWORD, [ODD.upper()])
    page = "/events/Q%26A%2F26%20%3F%23%25%2B%C3%A9"  # ODD quoted whole: one path segment
    visitor = client_of(app)
    asked = visitor.get(f"{page}/smart-sessions", follow_redirects=False)
    assert asked.headers["location"] == f"/login?next={quote(page + '/smart-sessions', '')}"
    back = log_in(visitor, "olga@example.com", next_page=f"{page}/smart-sessions")
    assert back.headers["location"] == f"{page}/smart-sessions"
    assert visitor.get(back.headers["location"]).status_code == 200
    went = post_form(visitor, "/events", code=ODD)
    assert (went.status_code, went.headers["location"]) == (303, page)
    opened = visitor.get(page)
    assert opened.status_code == 200 and "<h1>Odd Codes</h1>" in opened.text
    assert f'href="{page}/smart-sessions"' in opened.text
    assert visitor.get("/events/Q&A/26 ?#%+é").status_code == 404  # unquoted, it is another path
    report = visitor.get(f"{page}/smart-sessions/report").text
    assert f'action="{page}/smart-sessions/report"' in report
    request_id = requested_id(request_report(visitor, ODD, "", ""))
    requested = visitor.get(f"{page}/smart-sessions/requests/{request_id}")
    assert requested.status_code == 200 and f"{ODD.replace('&', '&amp;')}, all history" in (
        requested.text
    )
    assert finished(settings, request_id)["state"] == "sent"
    message = read_eml(settings.outbox / f"request-{request_id}.eml")
    assert message["Subject"].startswith(f"Smart Sessions report — {ODD} — all history")
    workbook = f"{page}/smart-sessions/requests/{request_id}/workbook"
    assert workbook in visitor.get(f"{page}/smart-sessions/report").text
    assert visitor.get(workbook).status_code == 200
    assert visitor.get(link_in(message).removeprefix(settings.base_url)).status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_page(app):
    unknown = log_in(client_of(app), "nobody@example.com")
    wrong = log_in(client_of(app), ANN, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert LOG_IN_FAILED in unknown.text
    same = without_tokens(unknown.text).replace("nobody@example.com", "EMAIL")
    assert same == without_tokens(wrong.text).replace(ANN, "EMAIL")


def test_lockout_after_failures_in_a_row(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path, lockout_failures=3, lockout_minutes=0.02)
    accounts(settings).add("carol@example.com", PASSWORD, ["LDN26"])
    with TestClient(create_app(settings)) as client:
        for _ in range(2):  # two failures, then a success resets the count
            assert log_in(client, "carol@example.com", "wrong password!").status_code == 401
        assert log_in(client, "carol@example.com").status_code == 303
        client.cookies.clear()
        failures = [log_in(client, "carol@example.com", "wrong password!") for _ in range(3)]
        assert [f.status_code for f in failures] == [401, 401, 401]
        # locked: the right password gets exactly what a wrong one gets
        locked = log_in(client, "carol@example.com")
        assert locked.status_code == 401
        assert without_tokens(locked.text) == without_tokens(failures[-1].text)
        time.sleep(0.02 * 60 + 0.2)  # the lock's minutes pass
        assert log_in(client, "carol@example.com").status_code == 303


def test_forms_without_their_csrf_token_are_refused(app, ann, settings):
    before = request_count(settings)
    anonymous = client_of(app)
    anonymous.get("/login")
    missing = anonymous.post("/login", data={"email": ANN, "password": PASSWORD})
    forged = anonymous.post(
        "/login", data={"email": ANN, "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert missing.status_code == forged.status_code == 403
    assert "smartsessions_session" not in forged.headers.get("set-cookie", "")
    # a token of another session (Bob's) does not work for Ann's
    bobs_token = csrf_of(client_of(app, BOB).get("/events").text)
    report = "/events/LDN26/smart-sessions/report"
    fields = {"from": "2026-03-29", "to": "2026-03-29"}
    crossed = ann.post(report, data={**fields, "csrf_token": bobs_token})
    bare = ann.post(report, data=fields)
    assert crossed.status_code == bare.status_code == 403
    assert "This form is out of date or did not come from this site" in crossed.text
    logout = ann.post("/logout", data={"csrf_token": bobs_token})
    assert logout.status_code == 403
    assert request_count(settings) == before
    assert ann.get("/events").status_code == 200  # still logged in


def test_the_session_cookie(app, portal_db, tmp_path):
    visitor = client_of(app)
    first = visitor.get("/login").headers["set-cookie"]
    assert first.startswith("smartsessions_session=")
    assert "HttpOnly" in first and "SameSite=lax" in first and "Secure" not in first
    before = visitor.cookies["smartsessions_session"]
    logged_in = log_in(visitor, ANN)
    assert "HttpOnly" in logged_in.headers["set-cookie"]
    assert visitor.cookies["smartsessions_session"] != before  # a new value at log-in
    # the value from before the log-in is not logged in
    stale = TestClient(app, cookies={"smartsessions_session": before})
    assert stale.get("/events", follow_redirects=False).status_code == 303
    # log out: the cookie's session ends
    current = visitor.cookies["smartsessions_session"]
    assert post_form(visitor, "/events", "/logout").headers["location"] == "/login"
    replayed = TestClient(app, cookies={"smartsessions_session": current})
    assert replayed.get("/events", follow_redirects=False).status_code == 303
    https = settings_for(portal_db, tmp_path, base_url="https://reports.example.com")
    cookie = TestClient(create_app(https)).get("/login").headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    "path",
    ["/login", "/events", "/events/LDN26/smart-sessions/report", "/static/portal.css", "/nope"],
)
def test_every_response_sends_the_security_headers(ann, path):
    response = ann.get(path)
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_an_unknown_code_and_a_code_not_granted_look_the_same(ann):
    posted = [post_form(ann, "/events", code=code) for code in ("OTH26", "NOPE99")]
    opened = [ann.get(f"/events/{code}/smart-sessions/report") for code in ("OTH26", "NOPE99")]
    for other, unknown in (posted, opened):
        assert other.status_code == unknown.status_code == 404
        assert NOT_AVAILABLE in other.text
        assert without_tokens(other.text).replace("OTH26", "CODE") == without_tokens(
            unknown.text
        ).replace("NOPE99", "CODE")
    for page in ("/events/OTH26", "/events/OTH26/smart-sessions"):
        assert ann.get(page).status_code == 404
    refused = request_report(ann, "OTH26", "2026-03-29", "2026-03-29")
    assert refused.status_code == 404


def test_the_other_tenants_requests_and_links_are_refused(ann, bob, settings):
    request_id = requested_id(request_report(bob, "OTH26", "2026-03-29", "2026-03-29"))
    assert finished(settings, request_id)["state"] == "sent"
    link = link_in(read_eml(settings.outbox / f"request-{request_id}.eml"))
    path = link.removeprefix(settings.base_url)
    assert bob.get(path).status_code == 200
    for page in (
        path,
        f"/events/OTH26/smart-sessions/requests/{request_id}",
        f"/events/OTH26/smart-sessions/requests/{request_id}/workbook",
        f"/events/LDN26/smart-sessions/requests/{request_id}",
        f"/events/LDN26/smart-sessions/requests/{request_id}/workbook",
    ):
        refused = ann.get(page)
        assert refused.status_code == 404, page
        assert "PK" not in refused.text[:2]


def test_expired_and_tampered_links(ann, settings):
    request_id = requested_id(request_report(ann, "LDN26", "2026-03-30", "2026-03-30"))
    assert finished(settings, request_id)["state"] == "sent"
    links = Links(settings.secret_key, settings.base_url, settings.link_days)
    account_id = request_row(settings, request_id)["account_id"]
    eight_days_ago = now() - 8 * 86400
    expired, _ = links.make(request_id, account_id, issued_at=eight_days_ago)
    answer = ann.get(expired.removeprefix(settings.base_url))
    assert answer.status_code == 410
    assert "This link has expired" in answer.text
    again = "/events/LDN26/smart-sessions/report?from=2026-03-30&amp;to=2026-03-30"
    assert f'<a href="{again}">Request the report again</a>' in answer.text
    form = ann.get(again.replace("&amp;", "&")).text
    assert 'name="from" type="date" value="2026-03-30"' in form
    # a link signed with another key, one altered by a character, one cut short
    good, _ = links.make(request_id, account_id)
    token = good.rsplit("/", 1)[1]
    forged, _ = Links("another key" * 4, settings.base_url, 7).make(request_id, account_id)
    # the signature's first character: its last may differ in unused padding bits only, and
    # decode to the same signature (about one run in sixteen)
    payload, signature = token.rsplit(".", 1)
    altered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for bad in (forged.rsplit("/", 1)[1], altered, token[:20]):
        refused = ann.get(f"/download/{bad}")
        assert refused.status_code == 404
        assert "This link is not valid" in refused.text
    # a link whose payload names another request, re-signed badly
    signature = token.rsplit(".", 1)[1]
    assert ann.get(f"/download/WzIsMiw5OTk5OTk5OTk5XQ.{signature}").status_code == 404
    assert ann.get(f"/download/{token}").status_code == 200


def test_a_link_opened_logged_out_asks_for_the_log_in_then_downloads(app, ann, settings):
    request_id = requested_id(request_report(ann, "LDN26", "2026-03-29", "2026-03-29"))
    assert finished(settings, request_id)["state"] == "sent"
    link = link_in(read_eml(settings.outbox / f"request-{request_id}.eml"))
    path = link.removeprefix(settings.base_url)
    visitor = client_of(app)
    asked = visitor.get(path, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/login?next={quote(path, '')}"
    logged_in = log_in(visitor, ANN, next_page=path)
    assert logged_in.headers["location"] == path
    # the link opens the request's page, which starts the download (test_portal_guidance.py)
    page = f"/events/LDN26/smart-sessions/requests/{request_id}"
    opened = visitor.get(path, follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, f"{page}?download")
    workbook = visitor.get(f"{page}/workbook")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"


def test_markup_in_an_event_name_is_shown_as_text(bob, settings):
    for page in ("/events/OTH26", "/events/OTH26/smart-sessions/report"):
        text = bob.get(page).text
        assert "<script>" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in text
    request_id = requested_id(request_report(bob, "OTH26", "2026-03-29", "2026-03-29"))
    assert finished(settings, request_id)["state"] == "sent"
    message = read_eml(settings.outbox / f"request-{request_id}.eml")
    assert MARKUP_NAME in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "script" not in message["Subject"]


def test_the_rate_limit_answers_429(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path, requests_per_hour=2)
    accounts(settings).add("dan@example.com", PASSWORD, ["LDN26"])
    with TestClient(create_app(settings)) as client:
        assert log_in(client, "dan@example.com").status_code == 303
        for day in ("2026-03-29", "2026-03-30"):
            assert request_report(client, "LDN26", day, day).status_code == 303
        refused = request_report(client, "LDN26", "2026-03-29", "2026-03-30")
        assert refused.status_code == 429
        assert "You have asked for 2 reports in the last hour, the most allowed" in refused.text
        assert request_count(settings) == 2


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-03-30", "2026-03-29", "from", "From (2026-03-30) is after To (2026-03-29)."),
        ("29/03/2026", "2026-03-30", "from", "&#39;29/03/2026&#39; is not a date: use YYYY-MM-DD."),
        ("2026-03-29", "2026-02-30", "to", "&#39;2026-02-30&#39; is not a date: use YYYY-MM-DD."),
        *(
            (day, "2026-03-30", "from", f"&#39;{day}&#39; is not a date: use YYYY-MM-DD.")
            for day in NOT_YYYY_MM_DD
        ),
        *(
            ("2026-03-28", day, "to", f"&#39;{day}&#39; is not a date: use YYYY-MM-DD.")
            for day in NOT_YYYY_MM_DD
        ),
    ],
    ids=[
        "from after to",
        "not a date",
        "no such day",
        *(f"from {day}" for day in NOT_YYYY_MM_DD),
        *(f"to {day}" for day in NOT_YYYY_MM_DD),
    ],
)
def test_dates_are_checked_beside_their_field(ann, settings, start, end, field, message):
    before = request_count(settings)
    answer = request_report(ann, "LDN26", start, end)
    assert answer.status_code == 400
    assert f'aria-invalid="true" aria-describedby="{field}-error">' in answer.text
    assert f'<p class="error" id="{field}-error">{message}</p>' in answer.text
    assert request_count(settings) == before


def test_the_same_request_on_the_same_data_reuses_the_workbook(ann, settings):
    first = requested_id(request_report(ann, "LDN26", "2026-03-28", "2026-03-30"))
    assert finished(settings, first)["state"] == "sent"
    second = requested_id(request_report(ann, "LDN26", "2026-03-28", "2026-03-30"))
    other = requested_id(request_report(ann, "LDN26", "2026-03-27", "2026-03-30"))
    rows = [finished(settings, request_id) for request_id in (first, second, other)]
    assert [row["state"] for row in rows] == ["sent"] * 3
    assert rows[1]["reused_from"] == first and rows[1]["workbook"] == rows[0]["workbook"]
    assert rows[2]["reused_from"] is None and rows[2]["workbook"] != rows[0]["workbook"]
    assert rows[1]["published_at"] == rows[0]["published_at"] is not None
    emails = [read_eml(settings.outbox / f"request-{n}.eml") for n in (first, second)]
    assert emails[0]["Subject"] == emails[1]["Subject"]
    assert link_in(emails[0]) != link_in(emails[1])  # each names its own request
    book = load_workbook(rows[1]["workbook"], read_only=True)
    assert book.sheetnames[0] == "High Level (detailed view)"


def test_revoke_and_remove_take_effect_on_the_next_request(app, settings):
    people = accounts(settings)
    people.add("erin@example.com", PASSWORD, ["LDN26", "OTH26"])
    erin = client_of(app, "erin@example.com")
    request_id = requested_id(request_report(erin, "LDN26", "2026-03-29", "2026-03-29"))
    assert finished(settings, request_id)["state"] == "sent"
    assert erin.get("/events/OTH26").status_code == 200
    people.revoke("erin@example.com", "OTH26")
    assert erin.get("/events/OTH26").status_code == 404
    assert erin.get("/events/LDN26").status_code == 200
    people.revoke("erin@example.com", "LDN26")
    workbook = f"/events/LDN26/smart-sessions/requests/{request_id}/workbook"
    assert erin.get(workbook).status_code == 404
    people.grant("erin@example.com", "LDN26")
    assert erin.get(workbook).status_code == 200
    people.remove("erin@example.com")
    gone = erin.get("/events/LDN26", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/login?next=%2Fevents%2FLDN26")


def test_request_numbers_are_never_reused(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    people = accounts(settings)
    people.add("gina@example.com", PASSWORD, ["LDN26"])
    people.add("hal@example.com", PASSWORD, ["LDN26"])
    app = create_app(settings)
    with TestClient(app):
        gina, hal = client_of(app, "gina@example.com"), client_of(app, "hal@example.com")
        asked = [requested_id(request_report(gina, "LDN26", "", "")) for _ in range(3)]
        assert asked == [1, 2, 3]
        assert [finished(settings, n)["state"] for n in asked] == ["sent"] * 3
        third = settings.outbox / "request-3.eml"
        sent_to_gina = third.read_bytes()
        people.remove("gina@example.com")  # her requests go with her
        assert request_count(settings) == 0
        again = requested_id(request_report(hal, "LDN26", "", ""))
        assert again == 4 and finished(settings, again)["state"] == "sent"
    assert third.read_bytes() == sent_to_gina
    assert read_eml(settings.outbox / "request-4.eml")["To"] == "hal@example.com"


def test_a_state_made_before_the_counter_numbers_after_its_requests(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    people = accounts(settings)
    account = people.add("ivy@example.com", PASSWORD, ["LDN26"])
    person = Person(account.account_id, account.email, frozenset(account.codes))
    requests = Requests(State(settings.app_db))
    assert [requests.submit(person, "LDN26", Window(), 10) for _ in range(2)] == [1, 2]
    requests.state.run("drop table counters")  # as a state of an earlier version
    opened_again = Requests(State(settings.app_db))
    assert opened_again.submit(person, "LDN26", Window(), 10) == 3


def test_a_request_queued_for_an_app_revoked_meanwhile_is_not_sent(portal_db, tmp_path):
    settings = settings_for(portal_db, tmp_path)
    people = accounts(settings)
    people.add("finn@example.com", PASSWORD, ["LDN26"])
    app = create_app(settings)  # the workers are not started: the request waits
    client = client_of(app, "finn@example.com")
    request_id = requested_id(request_report(client, "LDN26", "2026-03-29", "2026-03-29"))
    people.revoke("finn@example.com", "LDN26")
    with TestClient(app):
        row = finished(settings, request_id)
    assert (row["state"], row["reason"]) == ("failed", "the event app is no longer available")
    assert not (settings.outbox / f"request-{request_id}.eml").exists()
