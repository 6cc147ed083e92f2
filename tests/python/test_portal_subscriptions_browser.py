"""Subscriptions as an organiser uses them, in the OS's headless Chromium against a real uvicorn
server (the patterns and fixtures of test_portal_browser.py): subscribe on the Smart Sessions
Report page, see the subscription listed with its next due time in the event app's time zone,
cancel it. Screenshots of the report page with its Subscriptions section at a desktop's width
(1280) and a phone's (390) go to target/portal-screenshots-subscriptions/."""

import re
import shutil
from pathlib import Path

import pytest
from portal_kit import ANN, LiveServer, SmtpServer, add_people, free_port, settings_for
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from test_portal_browser import browser, click, downloads, heading, labelled, log_in_as  # noqa: F401

from smartsessions.portal.app import create_app
from smartsessions.portal.settings import Smtp

SCREENSHOTS = Path(__file__).parents[2] / "target" / "portal-screenshots-subscriptions"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
NEXT = re.compile(r"Next: 20\d\d-\d\d-\d\d 07:00 Europe/London")


@pytest.fixture(scope="module")
def portal(portal_db, tmp_path_factory):
    port = free_port()
    with SmtpServer() as smtp:
        settings = settings_for(
            portal_db,
            tmp_path_factory.mktemp("subscriptions-browser"),
            base_url=f"http://127.0.0.1:{port}",
            smtp=Smtp("127.0.0.1", smtp.port, timeout=10),
        )
        add_people(settings)
        with LiveServer(create_app(settings), port) as server:
            yield server.url


def screenshots(driver, name: str) -> None:
    """The whole page at each width, from its top, however long."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    for width_name, (width, height) in WIDTHS.items():
        driver.set_window_size(width, height)
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, full + 100))
        driver.save_screenshot(str(SCREENSHOTS / f"{name}-{width_name}.png"))
        wide = driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not wide, f"{name} scrolls sideways at {width} px"
    driver.set_window_size(*WIDTHS["phone"])


def test_an_organiser_subscribes_and_cancels(browser, portal):  # noqa: F811
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    browser.set_window_size(*WIDTHS["phone"])
    browser.get(f"{portal}/events/LDN26/smart-sessions/report")
    log_in_as(browser, ANN)
    assert heading(browser) == "Smart Sessions Report"
    section = browser.find_element(By.ID, "subscriptions")
    assert "None yet." in section.text
    screenshots(browser, "01-report-no-subscriptions")

    Select(labelled(browser, "Send")).select_by_visible_text("Every Monday")
    Select(labelled(browser, "At (Europe/London)")).select_by_visible_text("07:00")
    Select(labelled(browser, "Dates")).select_by_visible_text("The previous 7 days")
    click(browser, "Subscribe")

    assert heading(browser) == "Smart Sessions Report"
    assert browser.current_url.endswith("/report#subscriptions")
    listed = browser.find_element(By.CSS_SELECTOR, ".subscribed li").text
    assert "Every Monday at 07:00, the previous 7 days" in listed
    assert NEXT.search(listed), listed
    screenshots(browser, "02-report-subscribed")

    click(browser, "Cancel")
    assert heading(browser) == "Smart Sessions Report"
    assert browser.find_elements(By.CSS_SELECTOR, ".subscribed li") == []
    assert "None yet." in browser.find_element(By.ID, "subscriptions").text
    assert len(list(SCREENSHOTS.glob("*.png"))) == 4
