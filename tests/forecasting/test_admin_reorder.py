"""The reorder page and the ordering panel of the admin: the API's suggestions, for staff."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting import selectors
from forecasting.models import ForecastRun
from inventory import services as stock_services
from tests.conftest import user_with_role
from tests.factories import LocationFactory
from tests.forecasting import support

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reorder_settings")]

HORIZON = 14
REORDER = "admin:forecasting_reorder"


@pytest.fixture
def run():
    return support.succeeded_run(
        horizon=HORIZON, health=ForecastRun.Health.PASSING, average_wape=0.3, baseline_wape=0.4
    )


@pytest.fixture
def orders(run):
    """Three items to order (one of them due today: nothing on hand) and one that is fine."""
    walk_in = LocationFactory(code="WALK-IN")
    made = {}
    for sku, on_hand, mean in (("EMPTY", None, 5), ("LOW", "12", 4), ("SLOW", "3", 0.5)):
        item = support.item_with_stock(walk_in, on_hand, sku=sku, name=f"Item {sku}")
        support.flat_forecast(run, item, mean=mean, hi95=mean * 1.5, horizon=HORIZON)
        made[sku] = item
    fine = support.item_with_stock(walk_in, "500", sku="FINE")
    support.flat_forecast(run, fine, mean=1, hi95=1.5, horizon=HORIZON)
    return made


def signed_in(client, role: str):
    client.force_login(user_with_role(role, email=f"{role}-reorder@example.com"))
    return client


def skus_shown(page) -> list[str]:
    return [row[0].text for row in page.context["rows"]]


def test_the_page_lists_the_same_suggestions_as_the_api(client, orders):
    page = signed_in(client, "staff").get(reverse(REORDER))

    expected = [row["sku"] for row in selectors.reorder_suggestions()]
    assert page.status_code == 200
    assert sorted(skus_shown(page)) == sorted(expected)
    assert "FINE" not in skus_shown(page)


def test_a_column_heading_sorts_by_it_and_again_the_other_way(client, orders):
    staff = signed_in(client, "staff")

    ascending = staff.get(reverse(REORDER), {"o": "on_hand"})
    descending = staff.get(reverse(REORDER), {"o": "-on_hand"})

    on_hand = [Decimal(row[2].text) for row in ascending.context["rows"]]
    assert on_hand == sorted(on_hand)
    assert skus_shown(descending) == list(reversed(skus_shown(ascending)))
    assert b'href="?o=-on_hand"' in ascending.content


def test_an_unknown_sort_column_falls_back_to_the_order_by_date(client, orders):
    page = signed_in(client, "staff").get(reverse(REORDER), {"o": "password"})

    assert page.status_code == 200
    assert page.context["order"] == "order_by"


def test_due_only_keeps_the_items_to_order_by_today(client, orders):
    page = signed_in(client, "staff").get(reverse(REORDER), {"due": "1"})

    today = timezone.localdate()
    due = [
        row["sku"]
        for row in selectors.reorder_suggestions()
        if row["order_by"] and row["order_by"] <= today
    ]
    assert "EMPTY" in due
    assert skus_shown(page) == due


def test_the_csv_download_has_the_rows_shown_in_the_order_shown(client, orders):
    staff = signed_in(client, "staff")

    page = staff.get(reverse(REORDER), {"o": "-suggested_quantity"})
    download = staff.get(reverse(REORDER), {"o": "-suggested_quantity", "format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row["sku"] for row in rows] == skus_shown(page)
    assert list(rows[0]) == [
        "sku",
        "name",
        "on_hand",
        "lead_time_demand",
        "safety_stock",
        "suggested_quantity",
        "uom",
        "order_by",
        "days_of_cover",
    ]
    assert download["Content-Disposition"].startswith('attachment; filename="reorder-')


def test_the_reorder_page_costs_the_same_queries_for_few_items_or_many(client, run, orders):
    staff = signed_in(client, "staff")
    staff.get(reverse(REORDER))
    with CaptureQueriesContext(connection) as few:
        before = staff.get(reverse(REORDER))
    walk_in = LocationFactory(code="DRY")
    for n in range(27):
        item = support.item_with_stock(walk_in, None, sku=f"MORE-{n}")
        support.flat_forecast(run, item, mean=2, hi95=3, horizon=HORIZON)
    with CaptureQueriesContext(connection) as many:
        page = staff.get(reverse(REORDER))

    assert len(page.context["rows"]) == len(before.context["rows"]) + 27
    assert len(many) == len(few)


def test_the_ordering_panel_counts_what_is_due_and_links_to_it(client, orders):
    staff = signed_in(client, "staff")

    page = staff.get(reverse("admin:index"))

    [panel] = [p for p in page.context["dashboard_panels"] if p.title == "Ordering"]
    shown = {figure.label: figure for figure in panel.figures}
    due_page = staff.get(shown["to order by today"].url)
    assert shown["to order by today"].value == len(due_page.context["rows"]) >= 1
    assert shown["to order in all"].value == len(selectors.reorder_suggestions())
    assert panel.sentences[0] == (
        "The forecast is doing its job: off by 30% on the last weeks, against 40% for a plain "
        "four-week average."
    )


def test_a_failing_forecast_is_said_in_plain_words_on_the_front_page(client, run):
    run.health = ForecastRun.Health.FAILING
    run.average_wape, run.baseline_wape = 0.9, 0.5
    run.class_accuracy = {"lumpy": {"failing": True}, "smooth": {"failing": False}}
    run.save()

    page = signed_in(client, "viewer").get(reverse("admin:index"))

    [panel] = [p for p in page.context["dashboard_panels"] if p.title == "Ordering"]
    assert panel.sentences[0].startswith(
        "The forecast for lumpy items did worse on the last weeks than a plain four-week average"
    )
    assert {figure.label: figure for figure in panel.figures}["latest forecast"].tone == "alert"


def test_without_a_forecast_the_panel_says_so(client):
    page = signed_in(client, "staff").get(reverse("admin:index"))

    [panel] = [p for p in page.context["dashboard_panels"] if p.title == "Ordering"]
    assert panel.sentences == ["No forecast has run yet."]


def test_a_viewer_may_read_the_reorder_page(client, orders):
    assert signed_in(client, "viewer").get(reverse(REORDER)).status_code == 200


def test_the_ordering_figures_follow_a_delivery_at_once(client, orders):
    staff = signed_in(client, "staff")

    def to_order() -> int:
        page = staff.get(reverse("admin:index"))
        [panel] = [p for p in page.context["dashboard_panels"] if p.title == "Ordering"]
        return {figure.label: figure.value for figure in panel.figures}["to order in all"]

    before = to_order()
    stock_services.stock_receive(
        item=orders["EMPTY"], location=LocationFactory(code="DOCK"), quantity=Decimal("500")
    )

    assert to_order() == before - 1
