"""Password reset by email (portal.md, Password reset) with the ASGI test client and a real SMTP
server (aiosmtpd): the same answer whatever the address, the link that works once and for one
hour (a fake clock), the sessions it ends, the lockout it lifts, the rate limit per address, the
new password's rules beside the fields; then the whole flow in the OS's headless Chromium from
the log-in page, with screenshots at a desktop's and a phone's width in
target/portal-screenshots-reset/."""

import logging
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import test_portal_browser as walk
from portal_kit import (
    PASSWORD,
    SmtpServer,
    accounts,
    csrf_of,
    log_in,
    post_form,
    read_eml,
    settings_for,
    wait_until,
)
from selenium.webdriver.common.by import By
from starlette.testclient import TestClient

from smartsessions.portal.app import create_app
from smartsessions.portal.reset_mail import SUBJECT
from smartsessions.portal.routes.reset import ASKED, DIFFERENT, NOT_AN_ADDRESS
from smartsessions.portal.settings import Smtp
from smartsessions.portal.state import State, now

NEW_PASSWORD = "a brand new passphrase"
PER_HOUR = 3  # SMARTSESSIONS_REQUESTS_PER_HOUR in these tests
RESET_LINK = re.compile(r"https?://\S+/password/reset\?token=[A-Za-z0-9_.\-]+")
# The fixtures of the request flow's test (a real SMTP server; the portal under uvicorn; the OS's
# Chromium, one for the module) and its helpers
browser, downloads, portal, smtp = walk.browser, walk.downloads, walk.portal, walk.smtp
click, heading, labelled = walk.click, walk.heading, walk.labelled
SCREENSHOTS = Path(__file__).parents[2] / "target" / "portal-screenshots-reset"
DESKTOP, PHONE = (1280, 800), (390, 844)


@pytest.fixture(scope="module")
def settings(portal_db, smtp, tmp_path_factory):
    return settings_for(
        portal_db,
        tmp_path_factory.mktemp("reset"),
        smtp=Smtp("127.0.0.1", smtp.port, timeout=10),
        requests_per_hour=PER_HOUR,
    )


@pytest.fixture(scope="module")
def app(settings):
    app = create_app(settings)
    with TestClient(app):  # the lifespan: the reset mail's thread runs for the whole module
        yield app


@pytest.fixture
def clock(app, monkeypatch):
    """Moves the reset links' clock: `clock(seconds)` from now on is that much later."""

    def later(seconds: float) -> None:
        monkeypatch.setattr(app.state.portal.resets, "clock", lambda: now() + seconds)

    return later


def person(settings, email: str) -> str:
    """A new account that sees LDN26, with the kit's password."""
    accounts(settings).add(email, PASSWORD, ["LDN26"])
    return email


def ask_link(client, email: str):
    return post_form(client, "/password/forgot", email=email)


def mails_to(smtp: SmtpServer, email: str) -> list:
    return [message for message in smtp.received if message["To"] == email]


def asks(settings, email: str) -> list[str]:
    rows = State(settings.app_db).all(
        "select state from password_resets where email = ? order by reset_id", [email]
    )
    return [row["state"] for row in rows]


def answered(settings, email: str, count: int) -> list[str]:
    """The states of the address's asks once `count` of them are answered (sent or not)."""

    def done():
        states = asks(settings, email)
        return states if sum(s not in ("queued", "sending") for s in states) == count else None

    return wait_until(done, what=f"{count} answered reset ask(s) for {email}")


def reset_link(smtp: SmtpServer, email: str, number: int = 1) -> str:
    """The link in the `number`th reset message to the address, once it has arrived."""
    mails = wait_until(lambda: mails_to(smtp, email)[number - 1 :], what=f"mail to {email}")
    message = mails[0]
    assert message["Subject"] == SUBJECT
    return RESET_LINK.search(message.get_body(("plain",)).get_content()).group(0)


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


def token_of(link: str) -> str:
    return link.split("?token=", 1)[1]


def set_password(client, link: str, password: str, again: str):
    """Open the link's page and post its form."""
    fields = {"token": token_of(link), "password": password, "again": again}
    return post_form(client, path_of(link), "/password/reset", **fields)


def test_the_same_answer_for_a_known_and_an_unknown_address(app, settings, smtp):
    known = person(settings, "known@example.com")
    unknown = "nobody@example.com"
    answers = {email: ask_link(TestClient(app), email) for email in (known, unknown)}
    for email, answer in answers.items():
        assert answer.status_code == 200
        assert f'<p class="done" role="status">{ASKED}</p>' in answer.text
        assert f'<strong class="address">{email}</strong>' in answer.text
    pages = {
        email: without_tokens(a.text).replace(email, "ADDRESS") for email, a in answers.items()
    }
    assert pages[known] == pages[unknown]
    assert answered(settings, known, 1) == ["sent"]
    assert answered(settings, unknown, 1) == ["no account"]
    assert len(mails_to(smtp, known)) == 1 and mails_to(smtp, unknown) == []


def test_the_page_only_records_the_ask(portal_db, tmp_path):
    """Without the sender running (no lifespan), both answers are given and both asks wait,
    unanswered: the page's work does not depend on whether an account has the address. A
    server started later answers them; with no SMTP host the message goes to the outbox."""
    settings = settings_for(portal_db, tmp_path)
    known, unknown = person(settings, "waiting@example.com"), "nobody@example.com"
    client = TestClient(create_app(settings))
    for email in (known, unknown):
        assert ask_link(client, email).status_code == 200
        assert asks(settings, email) == ["queued"]
    with TestClient(create_app(settings)):
        assert answered(settings, known, 1) == ["sent"]
        assert answered(settings, unknown, 1) == ["no account"]
    assert [path.name for path in settings.outbox.iterdir()] == ["password-reset-1.eml"]
    assert read_eml(settings.outbox / "password-reset-1.eml")["To"] == known


def test_an_address_that_is_not_one_is_shown_beside_the_field(app, settings):
    answer = ask_link(TestClient(app), "not-an-address")
    assert answer.status_code == 400
    assert f'<p class="error" id="email-error">{NOT_AN_ADDRESS}</p>' in answer.text
    assert asks(settings, "not-an-address") == []


def test_the_form_needs_its_csrf_token(app, settings):
    refused = TestClient(app).post("/password/forgot", data={"email": "forged@example.com"})
    assert refused.status_code == 403
    assert asks(settings, "forged@example.com") == []


def test_the_link_works_once_and_logs_the_person_in(app, settings, smtp, caplog):
    email = person(settings, "once@example.com")
    client = TestClient(app)
    with caplog.at_level(logging.INFO, logger="smartsessions.portal"):
        ask_link(client, email)
        link = reset_link(smtp, email)
        form = client.get(path_of(link))
        assert form.status_code == 200
        assert "<h1>Set a new password</h1>" in form.text
        assert f'<strong class="address">{email}</strong>' in form.text
        done = set_password(client, link, NEW_PASSWORD, NEW_PASSWORD)
    assert (done.status_code, done.headers["location"]) == (303, "/password/changed")
    changed = client.get("/password/changed")
    assert changed.status_code == 200 and "Your new password is set" in changed.text
    assert client.get("/events", follow_redirects=False).status_code == 200  # logged in
    # once: the same link again, opened or posted
    again = TestClient(app)
    used = again.get(path_of(link))
    assert used.status_code == 410 and "This link has been used already" in used.text
    assert log_in(TestClient(app), email).status_code == 401  # the old password
    assert log_in(TestClient(app), email, NEW_PASSWORD).status_code == 303
    # neither the link, its token nor the password in the server's log
    token = token_of(link)
    assert "POST /password/reset 303" in caplog.text
    for secret in (token, NEW_PASSWORD):
        assert secret not in caplog.text


def test_a_link_posted_twice_sets_the_password_once(app, settings, smtp):
    """Two tabs open the same link and both post: the second is told the link was used."""
    email = person(settings, "twice@example.com")
    tabs = [TestClient(app), TestClient(app)]
    ask_link(tabs[0], email)
    link = reset_link(smtp, email)
    forms = [csrf_of(tab.get(path_of(link)).text) for tab in tabs]
    fields = {"token": token_of(link), "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    posted = [
        tab.post("/password/reset", data={"csrf_token": csrf, **fields})
        for tab, csrf in zip(tabs, forms, strict=True)
    ]
    assert [answer.status_code for answer in posted] == [200, 410]  # 200: /password/changed
    assert "This link has been used already" in posted[1].text


def test_the_message_says_until_when_the_link_works(app, settings, smtp):
    email = person(settings, "message@example.com")
    ask_link(TestClient(app), email)
    link = reset_link(smtp, email)
    (message,) = mails_to(smtp, email)
    asked_at = State(settings.app_db).one(
        "select asked_at from password_resets where email = ?", [email]
    )[0]
    until = datetime.fromtimestamp(int(asked_at) + 3600, UTC)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # as sent by SMTP
    assert text == (
        f"Someone, probably you, asked for a new password for {email} on the Smart Sessions"
        " portal.\n\n"
        f"Set a new password:\n{link}\n"
        f"The link works once, until {until:%Y-%m-%d %H:%M} UTC.\n\n"
        "If you did not ask, ignore this message: your password stays as it is.\n"
    )
    assert f'<a href="{link}">Set a new password</a>' in message.get_body(("html",)).get_content()


def test_the_link_expires_after_an_hour(app, settings, smtp, clock):
    email = person(settings, "hour@example.com")
    client = TestClient(app)
    ask_link(client, email)
    link = reset_link(smtp, email)
    clock(3600 - 5)  # asked just now: still works 59 min 55 s later
    form = client.get(path_of(link))
    assert form.status_code == 200
    clock(3600 + 1)
    expired = client.get(path_of(link))
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert '<a href="/password/forgot">Ask for a new link</a>' in expired.text
    # the form opened within the hour, posted after it
    fields = {"token": token_of(link), "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    refused = client.post("/password/reset", data={"csrf_token": csrf_of(form.text), **fields})
    assert refused.status_code == 410
    assert log_in(TestClient(app), email).status_code == 303  # the password is unchanged


def test_a_link_not_signed_here_is_not_valid(app, settings, smtp):
    email = person(settings, "forged@example.org")
    ask_link(TestClient(app), email)
    token = token_of(reset_link(smtp, email))
    payload, signature = token.rsplit(".", 1)
    altered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for bad in (altered, token[:20], ""):
        answer = TestClient(app).get(f"/password/reset?token={bad}")
        assert answer.status_code == 404
        assert "This link is not valid" in answer.text


def test_using_the_link_ends_other_sessions_and_lifts_a_lockout(app, settings, smtp):
    email = person(settings, "locked@example.com")
    elsewhere = TestClient(app)
    assert log_in(elsewhere, email).status_code == 303
    assert elsewhere.get("/events", follow_redirects=False).status_code == 200
    for _ in range(settings.lockout_failures):  # 5 wrong passwords in a row lock the account
        assert log_in(TestClient(app), email, "a wrong password").status_code == 401
    assert log_in(TestClient(app), email).status_code == 401  # locked: the right one refused
    client = TestClient(app)
    ask_link(client, email)
    assert set_password(client, reset_link(smtp, email), NEW_PASSWORD, NEW_PASSWORD).is_redirect
    gone = elsewhere.get("/events", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/login?next=%2Fevents")
    assert log_in(TestClient(app), email, NEW_PASSWORD).status_code == 303  # unlocked


def test_at_most_requests_per_hour_emails_per_address(app, settings, smtp, clock):
    email = person(settings, "limit@example.com")
    client = TestClient(app)
    pages = [without_tokens(ask_link(client, email).text) for _ in range(PER_HOUR + 1)]
    assert len(set(pages)) == 1  # the 4th ask: the same answer
    marker = person(settings, "marker@example.com")  # asked after: answered after the 4th
    ask_link(client, marker)
    answered(settings, marker, 1)
    assert answered(settings, email, PER_HOUR) == ["sent"] * PER_HOUR
    assert len(mails_to(smtp, email)) == PER_HOUR
    clock(3600 + 1)  # an hour later the address may ask again
    ask_link(client, email)
    assert answered(settings, email, 1) == ["sent"]  # the hour's asks are forgotten
    assert len(wait_until(lambda: mails_to(smtp, email)[PER_HOUR:])) == 1


def test_the_new_password_is_refused_beside_its_field(app, settings, smtp):
    email = person(settings, "rules@example.com")
    client = TestClient(app)
    ask_link(client, email)
    link = reset_link(smtp, email)
    differ = set_password(client, link, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 400
    assert f'<p class="error" id="again-error">{DIFFERENT}</p>' in differ.text
    assert 'id="password-error"' not in differ.text
    short = set_password(client, link, "too short", "too short")  # 9 characters: 10 needed
    assert short.status_code == 400
    assert (
        '<p class="error" id="password-error">A password needs at least 10 characters.</p>'
        in short.text
    )
    assert 'id="again-error"' not in short.text
    # refused, the link still works, and the old password too
    assert client.get(path_of(link)).status_code == 200
    assert log_in(TestClient(app), email).status_code == 303


def test_the_log_in_page_links_to_the_reset(app):
    page = TestClient(app).get("/login").text
    assert '<a href="/password/forgot">Forgot your password?</a>' in page


# --- the whole flow in a real browser ---


@pytest.fixture(scope="module")
def screenshot():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)

    def take(driver, name: str) -> None:
        """The whole page, however long, at a desktop's width and at a phone's."""
        for width_name, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
            driver.set_window_size(width, height)
            full = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, max(height, full + 100))
            driver.save_screenshot(str(SCREENSHOTS / f"{name}-{width_name}.png"))
        driver.set_window_size(*PHONE)

    return take


def test_a_person_resets_the_password_from_the_log_in_page(browser, portal, smtp, screenshot):
    settings, url = portal
    email = person(settings, "browser@example.com")
    browser.get(f"{url}/login")
    click(browser, "Forgot your password?")
    assert heading(browser) == "Reset your password"
    screenshot(browser, "01-forgot")
    labelled(browser, "Email").send_keys(email)
    click(browser, "Send the link")
    assert heading(browser) == "Check your email"
    assert browser.find_element(By.CLASS_NAME, "done").text == ASKED
    screenshot(browser, "02-forgot-answer")

    browser.get(reset_link(smtp, email))
    assert heading(browser) == "Set a new password"
    screenshot(browser, "03-new-password")
    labelled(browser, "New password").send_keys(NEW_PASSWORD)
    labelled(browser, "The same again").send_keys("something else entirely")
    click(browser, "Set the password")
    assert browser.find_element(By.ID, "again-error").text == DIFFERENT
    screenshot(browser, "04-new-password-refused")
    labelled(browser, "New password").send_keys(NEW_PASSWORD)
    labelled(browser, "The same again").send_keys(NEW_PASSWORD)
    click(browser, "Set the password")
    assert heading(browser) == "Password changed"
    screenshot(browser, "05-password-changed")

    click(browser, "Log out")
    labelled(browser, "Email").send_keys(email)
    labelled(browser, "Password").send_keys(NEW_PASSWORD)
    click(browser, "Log in")
    assert heading(browser) == "Event"
    assert len(list(SCREENSHOTS.glob("*.png"))) == 10
