"""Fixtures of the browser tests: one headless Chromium for the whole run, with no cookies left
from the previous test, against pytest-django's live server.

Every browser test leaves screenshots in `SCREENSHOT_DIR/<database vendor>/` (README.md,
"Tests"): the steps a test names with `screenshot(browser, "step")`, and the page it ended on,
passed or failed. CI keeps the folder as the run's artefacts; it is never committed.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connection

from tests.browser.chromium import missing_browser, start_chromium

SCREENSHOT_DIR = Path(
    os.environ.get("BROWSER_SCREENSHOT_DIR")
    or Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
)


@pytest.fixture(scope="session")
def chromium():
    # Starting Chromium takes a second or two: once per run, not once per test.
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    driver = start_chromium()
    yield driver
    driver.quit()


def _screenshot_path(test_name: str, step: str) -> Path:
    # One folder per database, so the two CI stages keep each other's pictures.
    folder = SCREENSHOT_DIR / connection.vendor
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', f'{test_name}--{step}')}.png"


@pytest.fixture
def screenshot(request):
    """`screenshot(browser, "step")` saves what the browser shows now, named for test and step."""

    def take(browser, step: str) -> Path:
        path = _screenshot_path(request.node.name, step)
        browser.save_screenshot(str(path))
        return path

    return take


@pytest.fixture
def browser(chromium, live_server, monkeypatch, screenshot):
    """The browser, signed out, for a test that talks to `live_server`."""
    # The browser keeps its connections to the live server open between pages, and the server
    # thread of each would keep its database connection for DB_CONN_MAX_AGE: PostgreSQL then
    # refuses to drop the test database at the end of the run ("being accessed by other
    # users"). Server threads make their connections from this very dict, so they close each
    # one at the end of its request instead.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    yield chromium
    # The page the test ended on: on a failure, the first thing to look at.
    screenshot(chromium, "end")
    # Every test signs in as its own user: drop the session cookie of this one.
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.get("about:blank")
