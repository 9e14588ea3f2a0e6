"""The pages under their Content-Security-Policy in a real browser: everything of their own runs
and loads (Chromium reports no violation), and inline code injected into them does not run.

Chromium reports each blocked script, style or image to the browser log ("Content Security
Policy"). What the header says is tested without a browser in `tests/platform/test_csp.py`.
"""

from datetime import date

import pytest
from django.urls import reverse

from forecasting import services as forecast_services
from forecasting.models import ItemForecast
from tests.browser.test_admin_browser import click_and_wait_for, sign_in, wait_for
from tests.conftest import user_with_role
from tests.factories import ItemFactory
from tests.forecasting import support

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECT_INLINE_SCRIPT = """
const script = document.createElement("script");
script.textContent = "window.inlineScriptRan = true;";
document.head.appendChild(script);
return window.inlineScriptRan === true;
"""


def policy_violations(browser) -> list[str]:
    """What the browser blocked since the last call (reading the log empties it)."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def assert_runs_under_the_policy(browser) -> None:
    assert policy_violations(browser) == []
    assert browser.execute_script(INJECT_INLINE_SCRIPT) is False
    assert policy_violations(browser) != []  # the injected script was blocked, and reported


@pytest.fixture
def browser_log_emptied(browser):
    browser.get_log("browser")
    return browser


def test_the_api_docs_render_their_operations_under_the_policy(browser_log_emptied, live_server):
    browser = browser_log_emptied
    browser.get(f"{live_server.url}{reverse('docs')}")

    # Swagger UI's scripts ran: they fetched the schema and listed its operations.
    wait_for(browser, ".opblock .opblock-summary").click()
    wait_for(browser, ".opblock.is-open .opblock-body")

    assert_runs_under_the_policy(browser)


@pytest.fixture
def forecast(transactional_db, settings) -> ItemForecast:
    end = date(2024, 6, 30)
    support.use_small_runs(settings, days=60, horizon=7, holdout=7)
    support.item_with_usage([9.0, 11.0] * 30, end=end, sku="SM-1")
    run = forecast_services.run_forecast(history_end=end, n_jobs=1, batch_size=1)
    return ItemForecast.objects.get(run=run)


def test_the_admin_pages_run_under_the_policy(browser_log_emptied, live_server, forecast):
    browser = browser_log_emptied
    admin_user = user_with_role("admin", email="browser-csp-admin@example.com")
    ItemFactory(sku="SKU-3001", name="Sea salt")

    sign_in(browser, live_server, admin_user, reverse("admin:index"))
    assert_runs_under_the_policy(browser)

    # The change list, with its actions bar and filters (admin JavaScript).
    browser.get(f"{live_server.url}{reverse('admin:items_item_changelist')}")
    wait_for(browser, "#result_list")
    assert_runs_under_the_policy(browser)

    # The add form, and from the change list the CSV import page.
    browser.get(f"{live_server.url}{reverse('admin:items_item_add')}")
    wait_for(browser, "#item_form")
    assert_runs_under_the_policy(browser)
    browser.get(f"{live_server.url}{reverse('admin:items_item_changelist')}")
    click_and_wait_for(browser, wait_for(browser, "a.csv-import-link"), "#id_file")
    assert_runs_under_the_policy(browser)

    # A forecast with its chart: an inline PNG, sized by the forecasting admin's stylesheet.
    url = reverse("admin:forecasting_itemforecast_change", args=[forecast.pk])
    browser.get(f"{live_server.url}{url}")
    chart = wait_for(browser, "img.forecast-chart")
    assert browser.execute_script("return arguments[0].naturalWidth;", chart) > 0
    assert chart.value_of_css_property("max-width") == "100%"
    assert_runs_under_the_policy(browser)
