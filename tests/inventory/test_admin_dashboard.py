"""The admin's front page: stock figures that match the database and link to the rows counted."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.models import StockMovement, StockRecord
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

INDEX = "admin:index"


def signed_in(client, role: str):
    client.force_login(user_with_role(role, email=f"{role}-dash@example.com"))
    return client


def panel(page, title: str):
    [found] = [p for p in page.context["dashboard_panels"] if p.title == title]
    return found


def figures(page, title: str) -> dict:
    return {figure.label: figure for figure in panel(page, title).figures}


def rows_behind(client, url: str) -> int:
    """How many rows the admin list at `url` shows."""
    page = client.get(url)
    assert page.status_code == 200, url
    return page.context["cl"].result_count


@pytest.fixture
def shelf(settings):
    """Items and lots in every state the stock panel counts, and a few it must not."""
    settings.EXPIRY_WARNING_DAYS = 7
    today = timezone.localdate()
    walk_in = LocationFactory(code="WALK-IN")

    def stock(sku, quantity, *, par=0, expires=None):
        item = ItemFactory(sku=sku, par_level=Decimal(par))
        if quantity is not None:
            services.stock_receive(
                item=item, location=walk_in, quantity=Decimal(quantity), expires_at=expires
            )
        return item

    stock("NEVER", None)  # out: never stocked
    emptied = stock("EMPTIED", "4")
    services.stock_issue(item=emptied, location=walk_in, quantity=Decimal("4"))  # out: 0
    stock("LOW", "2", par=5)  # below par
    stock("FINE", "9", par=5)
    stock("OLD", "1", expires=today - timedelta(days=1))  # expired
    stock("SOON", "1", expires=today + timedelta(days=7))  # expiring within 7 days
    stock("LATER", "1", expires=today + timedelta(days=8))
    ItemFactory(sku="RETIRED", active=False)  # inactive: never counted
    return walk_in


def test_the_stock_figures_match_the_database(client, shelf):
    page = signed_in(client, "staff").get(reverse(INDEX))

    shown = figures(page, "Stock to see to")
    assert shown["out of stock"].value == 2
    assert shown["below par"].value == 1
    assert shown["lots expired"].value == 1
    assert shown["lots expiring within 7 days"].value == 1


def test_each_stock_figure_links_to_a_list_of_exactly_what_it_counts(client, shelf):
    staff = signed_in(client, "staff")
    page = staff.get(reverse(INDEX))

    for figure in figures(page, "Stock to see to").values():
        assert rows_behind(staff, figure.url) == figure.value, figure.label


def test_todays_movements_are_counted_by_kind_and_link_to_the_ledger_of_today(client, shelf):
    staff = signed_in(client, "staff")
    page = staff.get(reverse(INDEX))

    shown = figures(page, "Movements")
    # The shelf's receipts (6 items stocked) and the one issue, all today.
    assert shown["receipts today"].value == 6
    assert shown["issues today"].value == 1
    assert shown["movements today"].value == 7
    for figure in shown.values():
        assert rows_behind(staff, figure.url) == figure.value, figure.label


def test_the_chart_has_a_received_and_an_issued_bar_for_each_of_30_days(client, shelf):
    page = signed_in(client, "staff").get(reverse(INDEX))

    chart = panel(page, "Movements").chart
    assert chart.count('<rect class="chart-received"') == 30
    assert chart.count('<rect class="chart-issued"') == 30
    today = timezone.localdate()
    assert f"{today:%a %d %b}: 18 received" in chart  # 4 + 2 + 9 + 1 + 1 + 1
    assert f"{today:%a %d %b}: 4 issued" in chart


def test_the_front_page_costs_the_same_queries_with_ten_times_the_stock(client):
    staff = signed_in(client, "staff")
    walk_in = LocationFactory(code="WALK-IN")

    def add_items(count):
        for _ in range(count):
            item = ItemFactory()
            services.stock_receive(item=item, location=walk_in, quantity=Decimal("3"))

    add_items(3)
    staff.get(reverse(INDEX))
    with CaptureQueriesContext(connection) as few:
        staff.get(reverse(INDEX))
    add_items(30)
    with CaptureQueriesContext(connection) as many:
        staff.get(reverse(INDEX))

    assert len(many) == len(few)
    assert len(many) <= 12


def test_a_viewer_sees_the_figures_read_only(client, shelf):
    viewer = signed_in(client, "viewer")

    page = viewer.get(reverse(INDEX))

    assert figures(page, "Stock to see to")["out of stock"].value == 2
    assert b"/move/" not in page.content
    assert b"stock-take" not in page.content


def test_view_site_leads_to_the_api_documentation(client):
    page = signed_in(client, "staff").get(reverse(INDEX))

    assert page.context["site_url"] == "/api/docs/"
    assert client.get("/api/docs/").status_code == 200


def test_a_user_without_stock_permissions_gets_no_stock_panels(client):
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    client.force_login(user)

    page = client.get(reverse(INDEX))

    assert page.status_code == 200
    assert page.context["dashboard_panels"] == []
    assert StockRecord.objects.count() == 0


def test_a_movement_counts_on_the_day_it_was_made_in_the_local_time_zone(
    client, settings, monkeypatch
):
    settings.TIME_ZONE = "America/New_York"
    walk_in = LocationFactory(code="WALK-IN")
    item = ItemFactory(sku="TZ-1")
    today = timezone.localdate()
    midnight = timezone.make_aware(
        datetime.combine(today, time.min), timezone.get_current_timezone()
    )
    real_now = timezone.now
    for minutes, quantity in ((-30, "1"), (30, "2")):  # 23:30 yesterday and 00:30 today, local
        made_at = midnight + timedelta(minutes=minutes)
        monkeypatch.setattr(timezone, "now", lambda made_at=made_at: made_at)
        services.stock_receive(item=item, location=walk_in, quantity=Decimal(quantity))
    monkeypatch.setattr(timezone, "now", real_now)
    assert sorted(StockMovement.objects.values_list("quantity_delta", flat=True)) == [1, 2]

    page = signed_in(client, "staff").get(reverse(INDEX))

    assert figures(page, "Movements")["receipts today"].value == 1
    chart = panel(page, "Movements").chart
    assert f"{today:%a %d %b}: 2 received" in chart
    assert f"{today - timedelta(days=1):%a %d %b}: 1 received" in chart
