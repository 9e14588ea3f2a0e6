"""Fixtures of the browser tests: one headless Chromium for the whole run, with no cookies left
from the previous test, against pytest-django's live server.

Every browser test leaves screenshots in `artifacts/screenshots/<database>/` (README.md,
`tests.browser.screenshots`): the steps a test names with `screenshot(browser, "step")`, and
the page it ended on, passed or failed. CI keeps them as the run's artefacts; never committed.
"""

import pytest
from django.db import connection

from tests.browser.chromium import missing_browser, start_chromium
from tests.browser.screenshots import screenshot_of_the_end, screenshot_path


@pytest.fixture(scope="session")
def chromium():
    # Starting Chromium takes a second or two: once per run, not once per test.
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(request):
    """`screenshot(browser, "step")` saves what the browser shows now, named for test and step.

    `screenshot.taken` holds the steps saved so far.
    """

    def take(browser, step: str):
        path = screenshot_path(request.node, step)
        browser.save_screenshot(str(path))
        take.taken.add(step)
        return path

    take.taken = set()
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
    try:
        yield chromium
    finally:
        # The page the test ended on: on a failure, the first thing to look at.
        screenshot_of_the_end(chromium, screenshot)
        # Every test signs in as its own user: drop the session cookie of this one.
        chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
        chromium.get("about:blank")
