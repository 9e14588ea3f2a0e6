"""The Content-Security-Policy: on every HTML page (admin, CSV import, forecast charts, API docs),
strict, with nothing inline on those pages for it to block; never on a JSON answer.

That the pages still work under the policy in a real browser is `tests/browser/test_csp_browser.py`.
"""

import base64
import hashlib
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from forecasting import services as forecast_services
from forecasting.models import ItemForecast
from items.models import Item
from tests.conftest import user_with_role
from tests.forecasting import support

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    """The response's policy as directive -> sources."""
    directives = (part.split() for part in response[HEADER].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def assert_strict(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    directives = policy(response)
    assert {name: directives.get(name) for name in STRICT} == STRICT
    assert not any("unsafe" in source for sources in directives.values() for source in sources)
    return directives


class _InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' blocks: inline scripts and <style>
    elements (their text), style attributes and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._inline_tag = None

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name[:2] == "on"]
        # <script type="application/json"> (json_script) is data, which the browser never runs.
        code = names.get("type") != "application/json"
        if tag == "style" or (tag == "script" and "src" not in names and code):
            self._inline_tag = tag

    def handle_data(self, data):
        if self._inline_tag and data.strip():
            self.found.append(f"<{self._inline_tag}>{data}")

    def handle_endtag(self, tag):
        if tag == self._inline_tag:
            self._inline_tag = None


def inline_code(response) -> list[str]:
    parser = _InlineCode()
    parser.feed(response.content.decode())
    return parser.found


@pytest.fixture
def admin_client(client):
    client.force_login(user_with_role("admin", email="csp-admin@example.com", is_staff=True))
    return client


def test_the_admin_login_page_carries_the_strict_policy(client):
    response = client.get(reverse("admin:login"))

    assert_strict(response)
    assert inline_code(response) == []


def test_an_admin_change_list_carries_the_strict_policy(admin_client, item):
    response = admin_client.get(reverse("admin:items_item_changelist"))

    assert_strict(response)
    assert inline_code(response) == []


def test_the_admin_csv_import_page_carries_the_strict_policy(admin_client):
    response = admin_client.get(reverse("admin:items_item_import"))

    assert_strict(response)
    assert inline_code(response) == []


def test_a_forecast_page_shows_its_chart_under_the_policy(admin_client, settings):
    end = date(2024, 6, 30)
    support.use_small_runs(settings, days=60, horizon=7, holdout=7)
    support.item_with_usage([9.0, 11.0] * 30, end=end, sku="SM-1")
    run = forecast_services.run_forecast(history_end=end, n_jobs=1, batch_size=1)
    forecast = ItemForecast.objects.get(run=run)

    response = admin_client.get(
        reverse("admin:forecasting_itemforecast_change", args=[forecast.pk])
    )

    directives = assert_strict(response)
    assert b'<img src="data:image/png;base64,' in response.content
    assert "data:" in directives["img-src"]
    assert inline_code(response) == []


def test_the_api_docs_page_carries_the_strict_policy_and_loads_every_script_from_a_url(client):
    response = client.get(reverse("docs"))

    assert_strict(response)
    assert inline_code(response) == []
    assert b'<script src="/api/docs/?script="></script>' in response.content


def test_the_api_docs_start_up_script_is_served_from_its_own_url(client):
    response = client.get(reverse("docs"), {"script": ""})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in response.content


def test_the_admin_change_list_inline_style_is_allowed_by_its_hash(admin_client, monkeypatch):
    # Django's change list adds an inline <style> when a ModelAdmin hides both action bars.
    item_admin = admin.site._registry[Item]
    monkeypatch.setattr(item_admin, "actions_on_top", False)
    monkeypatch.setattr(item_admin, "actions_on_bottom", False)

    response = admin_client.get(reverse("admin:items_item_changelist"))

    [style] = re.findall(r"<style>(.*?)</style>", response.content.decode(), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in assert_strict(response)["style-src"]


def test_the_policy_goes_with_html_answers_only_never_with_json(api_client, item):
    page = api_client.get(reverse("docs"))
    answers = [api_client.get(path) for path in ("/api/health", "/api/items", "/api/nowhere")]

    assert HEADER in page
    assert [(answer["Content-Type"], HEADER in answer) for answer in answers] == [
        ("application/json", False)
    ] * 3
