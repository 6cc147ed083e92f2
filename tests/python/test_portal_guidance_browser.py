"""Issue 24, points 1 and 2 as an organiser meets them, in the OS's headless Chromium at a
desktop's and a phone's width (test_portal_browser.py's browser, server and SMTP server): a
window without activity warned of before Download and on the Requested page, its email saying
so; the emailed link opened logged out saying why, then starting the download on a page that
says it did; a code one may not see listing the ones one can; the requests table one line a
cell on a phone. Screenshots of each page go to target/portal-guidance-screenshots/.

Expectations from tests/fixtures/delivery: LDN26 has activity on 2026-03-29 and 2026-03-30.
"""

import shutil
import time
from pathlib import Path

import pytest
from portal_kit import ANN, finished, link_in, wait_until
from selenium.webdriver.common.by import By
from test_portal_browser import (  # noqa: F401 (fixtures)
    browser,
    click,
    downloads,
    heading,
    labelled,
    log_in_as,
    portal,
    smtp,
)

SCREENSHOTS = Path(__file__).parents[2] / "target" / "portal-guidance-screenshots"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def shoot():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)

    def take(driver, name: str) -> None:
        """The whole page, however long, at the current width."""
        width, height = driver.get_window_size().values()
        page = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, page + 100))
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        driver.set_window_size(width, height)

    return take


def text_of(driver, css: str) -> str:
    return " ".join(driver.find_element(By.CSS_SELECTOR, css).text.split())


def lines_in(driver, element) -> int:
    """How many lines the element's own text takes on screen (its ::before label aside)."""
    return driver.execute_script(
        "const range = document.createRange(); range.selectNodeContents(arguments[0]);"
        " return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;",
        element,
    )


@pytest.mark.parametrize("size", SIZES)
def test_no_activity_and_the_download_link_as_an_organiser_meets_them(
    browser,  # noqa: F811
    portal,  # noqa: F811
    smtp,  # noqa: F811
    downloads,  # noqa: F811
    shoot,
    size,
):
    settings, url = portal
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})  # logged out
    browser.set_window_size(*SIZES[size])
    browser.get(f"{url}/events/LDN26/smart-sessions/report?from=2026-04-01&to=2026-04-02")
    log_in_as(browser, ANN)  # asked first, then back to the report page with its window

    # point 1: the range with activity is named; the window without is warned of
    assert heading(browser) == "Smart Sessions Report"
    assert text_of(browser, ".activity") == (
        "Activity from 2026-03-29 to 2026-03-30 (local dates, Europe/London)."
    )
    assert text_of(browser, ".warning") == (
        "No activity between 2026-04-01 and 2026-04-02; this event app has activity from"
        " 2026-03-29 to 2026-03-30. You can still ask for the report: its email will say so."
    )
    shoot(browser, f"{size}-1-report-no-activity")
    sent_before = len(smtp.received)
    click(browser, "Download")
    assert heading(browser) == "Requested"
    assert text_of(browser, ".warning").startswith("No activity between 2026-04-01 and 2026-04-02")
    request_id = int(browser.current_url.rsplit("/", 1)[1])
    assert finished(settings, request_id)["state"] == "sent"
    message = wait_until(lambda: smtp.received[sent_before:], what="the email")[0]
    assert message["Subject"] == (
        "Smart Sessions report — LDN26 — 2026-04-01 to 2026-04-02 — no activity"
    )
    first = message.get_body(("plain",)).get_content().splitlines()[0]
    assert first == "No activity in this window"
    click(browser, "Refresh")
    shoot(browser, f"{size}-2-requested-no-activity")
    # the requests table: each time and window on one line, at either width
    for cell in browser.find_elements(By.CSS_SELECTOR, "table.requests td.nowrap"):
        assert lines_in(browser, cell) == 1, cell.text
    for box in ("document.documentElement", "document.querySelector('.scroll')"):
        assert browser.execute_script(f"return {box}.scrollWidth <= {box}.clientWidth"), box

    # point 2: a code not available lists the ones that are
    browser.get(f"{url}/events")
    labelled(browser, "App short code").send_keys("OTH26")
    click(browser, "Go")
    assert text_of(browser, ".error") == "no event app with that code is available to you"
    listed = browser.find_elements(By.CSS_SELECTOR, "ul.links a")
    assert [(a.text, a.get_attribute("pathname")) for a in listed] == [("LDN26", "/events/LDN26")]
    shoot(browser, f"{size}-3-code-not-available")

    # point 2: the emailed link, logged out: why the log-in, then the download, said so
    click(browser, "Log out")
    before = time.time()
    browser.get(link_in(message))
    assert heading(browser) == "Log in"
    assert text_of(browser, ".why") == "Log in to download your report for LDN26"
    shoot(browser, f"{size}-4-link-asks-to-log-in")
    log_in_as(browser, ANN)
    assert heading(browser) == "Download"
    assert text_of(browser, ".done") == (
        "Your download has started: smart-sessions-LDN26-2026-04-01-to-2026-04-02.xlsx"
    )
    name = "smart-sessions-LDN26-2026-04-01-to-2026-04-02.xlsx"  # the second width's replaces
    wait_until(
        lambda: (
            (downloads / name).is_file()
            and (downloads / name).stat().st_mtime >= before
            and not list(downloads.glob("*.crdownload"))
        ),
        what="the download",
    )
    assert (downloads / name).read_bytes()[:2] == b"PK"
    time.sleep(0.5)  # the page stays after the download (it came as an attachment)
    assert heading(browser) == "Download"
    shoot(browser, f"{size}-5-download-started")
