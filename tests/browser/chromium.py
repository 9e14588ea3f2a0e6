"""The headless Chromium the browser tests drive: Debian's `chromium` and `chromium-driver`.

Only the distribution's packages are used, never a browser or driver downloaded at run time, so
the tests behave the same offline. `.ci/run` installs the packages; a developer without them
sees the browser tests skipped with `missing_browser()`'s reason, unless REQUIRE_BROWSER=1 (CI)
turns that into a failure (`tests/conftest.py`).
"""

import importlib.util
import os

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Root in a container has no user namespaces for Chromium's sandbox, and Docker's small /dev/shm
# crashes tabs; a fixed window size keeps the admin's layout (and so what is clickable) stable.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1024")
PAGE_LOAD_SECONDS = 60


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (make test installs it: requirements-dev.txt)"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"no {path} (Debian package {package}): apt-get install chromium chromium-driver"
    return None


def start_chromium():
    """A new headless Chromium under chromedriver, both from the paths above."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    # Both paths given, so Selenium never looks for (or fetches) a browser or driver itself.
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
    driver.set_script_timeout(PAGE_LOAD_SECONDS)
    return driver
