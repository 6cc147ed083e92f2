"""The whole request flow as an organiser clicks through it, in a real headless Chromium against a
real uvicorn server, with a real SMTP server: log in, type the code, Go, Smart Sessions, Smart
Sessions Report, dates, Download, the confirmation; the email arrives, its link is opened
(logged out: the log-in first) and the workbook it downloads is the CLI's export of the same
window. A screenshot of every page goes to target/portal-screenshots/.

Chromium and its driver come from the OS packages (`chromium`, `chromium-driver`; `.ci/run`
installs them): the test never skips and selenium never downloads a driver.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from portal_kit import (
    ANN,
    PASSWORD,
    LiveServer,
    SmtpServer,
    add_people,
    finished,
    free_port,
    link_in,
    settings_for,
    wait_until,
)
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from typer.testing import CliRunner

from smartsessions.cli import app as cli
from smartsessions.portal.app import create_app
from smartsessions.portal.links import Links
from smartsessions.portal.settings import Smtp
from smartsessions.portal.state import now

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).parents[2] / "target" / "portal-screenshots"
PHONE = (412, 915)  # a phone's viewport: the pages must fit it
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-US",  # date fields take month, day, year as typed
]


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def portal(portal_db, smtp, tmp_path_factory):
    port = free_port()
    settings = settings_for(
        portal_db,
        tmp_path_factory.mktemp("browser"),
        base_url=f"http://127.0.0.1:{port}",
        smtp=Smtp("127.0.0.1", smtp.port, timeout=10),
    )
    add_people(settings)
    with LiveServer(create_app(settings), port) as server:
        yield settings, server.url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    for program in (CHROMIUM, CHROMEDRIVER):
        assert Path(program).is_file(), f"{program} is missing: apt-get install chromium-driver"
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    window = "--window-size={},{}".format(*PHONE)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", window]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def screenshot():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    taken = []

    def take(driver, name: str) -> None:
        # the whole page, however long, at the phone's width
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(PHONE[0], max(PHONE[1], height + 100))
        driver.save_screenshot(str(SCREENSHOTS / f"{len(taken) + 1:02d}-{name}.png"))
        driver.set_window_size(*PHONE)
        taken.append(name)

    return take


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def labelled(driver, label: str):
    """The input a <label> names (every input has one)."""
    target = driver.find_element(By.XPATH, f"//label[normalize-space()='{label}']")
    return driver.find_element(By.ID, target.get_attribute("for"))


def click(driver, text: str, navigates: bool = True) -> None:
    """Click the button or link showing `text`, and wait for the next page."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(
        By.XPATH, f"//button[normalize-space()='{text}'] | //a[normalize-space()='{text}']"
    ).click()
    if navigates:
        WebDriverWait(driver, 20).until(lambda _: _gone(page))


def _gone(element) -> bool:
    """Whether the page the element was on has been replaced. Mid-navigation Chromium may
    answer "Node with given id does not belong to the document" rather than that the element
    is stale (selenium's staleness_of lets that through as an error): both mean gone."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException among them
        return True
    return False


def type_date(field, day: str) -> None:
    """Type a date as a person does in Chromium's date field (en-US: month, day, year)."""
    year, month, dom = day.split("-")
    field.click()
    field.send_keys(month + dom + year)


def log_in_as(driver, email: str, navigates: bool = True) -> None:
    labelled(driver, "Email").send_keys(email)
    labelled(driver, "Password").send_keys(PASSWORD)
    click(driver, "Log in", navigates)


def sheets(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values, less the one row that differs between two exports: when."""
    book = load_workbook(path)
    values = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if sheet.title == "Report info":
            rows = [row for row in rows if row[0] != "Generated at (UTC)"]
        values[sheet.title] = rows
    return values


def test_an_organiser_requests_the_report_and_downloads_it(
    browser, portal, smtp, downloads, screenshot, portal_db, tmp_path
):
    settings, url = portal
    browser.get(url)  # logged out: the log-in page
    assert heading(browser) == "Log in"
    screenshot(browser, "log-in")
    log_in_as(browser, ANN)

    assert heading(browser) == "Event"
    labelled(browser, "App short code").send_keys("LDN26")
    screenshot(browser, "event")
    click(browser, "Go")

    assert heading(browser) == "London Summit"
    assert "Europe/London" in browser.find_element(By.CLASS_NAME, "facts").text
    sections = [s.text for s in browser.find_elements(By.CSS_SELECTOR, ".sections li")]
    assert sections[:2] == ["Streams", "Documents"] and sections[-1] == "Smart Sessions"
    screenshot(browser, "event-app")
    click(browser, "Smart Sessions")  # at the far right of the row

    assert heading(browser) == "Smart Sessions"
    screenshot(browser, "smart-sessions")
    click(browser, "Smart Sessions Report")

    assert heading(browser) == "Smart Sessions Report"
    start, end = labelled(browser, "From"), labelled(browser, "To")
    assert (start.get_attribute("value"), end.get_attribute("value")) == (
        "2026-03-29",
        "2026-03-30",
    )
    screenshot(browser, "report")
    type_date(start, "2026-03-31")  # after To: refused beside the field
    click(browser, "Download")
    assert browser.find_element(By.ID, "from-error").text == (
        "From (2026-03-31) is after To (2026-03-30)."
    )
    screenshot(browser, "report-dates-refused")
    type_date(labelled(browser, "From"), "2026-03-30")
    assert labelled(browser, "From").get_attribute("value") == "2026-03-30"
    click(browser, "Download")

    assert heading(browser) == "Requested"
    confirmation = browser.find_element(By.CLASS_NAME, "done").text
    assert confirmation == f"Your report is being prepared and will be emailed to {ANN}"
    screenshot(browser, "requested")
    request_id = int(browser.current_url.rsplit("/", 1)[1])
    assert finished(settings, request_id)["state"] == "sent"
    (message,) = wait_until(lambda: list(smtp.received), what="the email")
    assert message["Subject"] == "Smart Sessions report — LDN26 — 2026-03-30 to 2026-03-30"
    click(browser, "Refresh")
    assert browser.find_element(By.CSS_SELECTOR, "td.state").text == "sent"
    screenshot(browser, "requested-sent")

    # the email's link, opened logged out: the log-in first, then the download
    click(browser, "Log out")
    assert heading(browser) == "Log in"
    link = link_in(message)
    browser.get(link)
    assert heading(browser) == "Log in"
    screenshot(browser, "link-asks-to-log-in")
    log_in_as(browser, ANN, navigates=False)  # the download comes instead of a page
    name = "smart-sessions-LDN26-2026-03-30-to-2026-03-30.xlsx"
    downloaded = wait_until(
        lambda: (downloads / name).is_file() and not list(downloads.glob("*.crdownload")),
        what="the download",
    )
    assert downloaded
    (attachment,) = message.iter_attachments()
    assert (downloads / name).read_bytes() == attachment.get_content()

    # the same as the command line's export of the same window
    exported = tmp_path / "cli.xlsx"
    window = ["--from", "2026-03-30", "--to", "2026-03-30"]
    result = CliRunner().invoke(
        cli, ["export", "--db", str(portal_db), "--event", "LDN26", "--out", str(exported), *window]
    )
    assert result.exit_code == 0, result.output
    assert sheets(downloads / name) == sheets(exported)

    # an expired link says so, and offers to ask again
    links = Links(settings.secret_key, settings.base_url, settings.link_days)
    expired, _ = links.make(request_id, 1, issued_at=now() - 8 * 86400)
    browser.get(expired)
    assert heading(browser) == "Link expired"
    assert "This link has expired" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "link-expired")
    click(browser, "Request the report again")
    assert heading(browser) == "Smart Sessions Report"
    assert labelled(browser, "From").get_attribute("value") == "2026-03-30"
    assert len(list(SCREENSHOTS.glob("*.png"))) == 10
