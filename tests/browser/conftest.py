"""Fixtures of the browser tests: one headless Chromium for the whole run, with no cookies left
from the previous test, against pytest-django's live server."""

import pytest
from django.db import connection

from tests.browser.chromium import missing_browser, start_chromium


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
def browser(chromium, live_server, monkeypatch):
    """The browser, signed out, for a test that talks to `live_server`."""
    # The browser keeps its connections to the live server open between pages, and the server
    # thread of each would keep its database connection for DB_CONN_MAX_AGE: PostgreSQL then
    # refuses to drop the test database at the end of the run ("being accessed by other
    # users"). Server threads make their connections from this very dict, so they close each
    # one at the end of its request instead.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    yield chromium
    # Every test signs in as its own user: drop the session cookie of this one.
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.get("about:blank")
