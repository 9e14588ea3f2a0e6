"""GET /api/reorder-suggestions: what to order, from the latest forecast and the stock on hand.

The forecasts here are written by hand, so every number can be checked on paper.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import selectors
from forecasting.models import ForecastRun
from inventory import services as stock_services
from tests.factories import LocationFactory
from tests.forecasting import support

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reorder_settings")]

HORIZON = 14
ROUTE = "/api/reorder-suggestions"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def run():
    return support.succeeded_run(horizon=HORIZON)


@pytest.fixture
def location():
    return LocationFactory(code="WALK-IN")


def forecast(run, item, *, mean, hi95, lo95=None):
    return support.flat_forecast(run, item, mean=mean, hi95=hi95, lo95=lo95, horizon=HORIZON)


item_with_stock = support.item_with_stock


def suggestions(client, **params):
    response = client.get(ROUTE, params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_the_suggestion_follows_the_forecast_and_its_interval(api_client, run, location, today):
    # 3 a day forecast, 4 at the 95% bound; 5 each on hand; lead time 2 days, review 7 days.
    item = item_with_stock(location, "5", sku="EGG-1", uom="each")
    forecast(run, item, mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row == {
        "sku": "EGG-1",
        "name": item.name,
        "uom": "each",
        "on_hand": 5.0,
        "lead_time_demand": 6.0,  # 3 + 3
        "safety_stock": 2.0,  # (4 + 4) - (3 + 3)
        "reorder_point": 8.0,  # 6 + 2
        "target_level": 29.0,  # 8 + 7 x 3
        "suggested_quantity": 24.0,  # 29 - 5
        # Projected: 5 - 3 = 2 at the end of day 1 (not below 2), 2 - 3 = -1 on day 2, which
        # is tomorrow; an order arrives 2 days after it is placed, so it is due today.
        "order_by": str(today),
        "days_of_cover": 1.7,  # 5 / 3
        "reason": "on hand 5.000 is at or below the reorder point 8.000",
    }


def test_an_item_counted_in_each_is_ordered_in_whole_units(api_client, run, location):
    # Target 2 x 2.5 + 0.5 x 2 + 7 x 2.5 = 23.5; 4 on hand: 19.5, rounded up.
    forecast(run, item_with_stock(location, "4", uom="each"), mean=2.5, hi95=3.0)

    [row] = suggestions(api_client)

    assert row["target_level"] == 23.5
    assert row["suggested_quantity"] == 20


def test_an_item_counted_in_kilograms_is_ordered_to_the_gram(api_client, run, location):
    forecast(run, item_with_stock(location, "4", uom="kg"), mean=2.5, hi95=3.0)

    [row] = suggestions(api_client)

    assert row["suggested_quantity"] == 19.5


def test_an_item_above_its_reorder_point_and_minimum_is_not_suggested(api_client, run, location):
    forecast(run, item_with_stock(location, "8.001", reorder_min=8), mean=3.0, hi95=4.0)

    assert suggestions(api_client) == []


def test_an_item_at_its_reorder_point_is_suggested(api_client, run, location):
    forecast(run, item_with_stock(location, "8"), mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["suggested_quantity"] == 21  # 29 - 8


def test_the_reorder_minimum_triggers_an_order_above_the_reorder_point(api_client, run, location):
    item = item_with_stock(location, "5", reorder_min=6, reorder_max=40)
    forecast(run, item, mean=1.0, hi95=1.5)  # reorder point 2 + 1 = 3

    [row] = suggestions(api_client)

    assert row["reorder_point"] == 3
    assert row["target_level"] == 40  # reorder_max beats 3 + 7
    assert row["suggested_quantity"] == 35
    assert row["reason"] == "on hand 5.000 is at or below the reorder minimum 6.000"


def test_the_par_level_raises_the_target(api_client, run, location):
    forecast(run, item_with_stock(location, "5", par_level=50), mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["target_level"] == 50


def test_stock_on_hand_is_summed_over_locations(api_client, run, location):
    item = item_with_stock(location, "2")
    stock_services.stock_receive(item=item, location=LocationFactory(), quantity=Decimal("3"))
    forecast(run, item, mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["on_hand"] == 5


def test_an_item_without_stock_is_ordered_by_today(api_client, run, location, today):
    forecast(run, item_with_stock(location, None), mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["on_hand"] == 0
    assert row["order_by"] == str(today)
    assert row["days_of_cover"] == 0


def test_a_longer_lead_time_raises_the_reorder_point(api_client, run, location):
    forecast(run, item_with_stock(location, "10"), mean=3.0, hi95=4.0)

    assert suggestions(api_client) == []  # reorder point 8
    [row] = suggestions(api_client, lead_time_days=3)

    assert row["lead_time_demand"] == 9
    assert row["safety_stock"] == 3
    assert row["reorder_point"] == 12


def test_the_lead_time_setting_is_the_default(api_client, run, location, settings):
    settings.REORDER_LEAD_TIME_DAYS = 3
    forecast(run, item_with_stock(location, "10"), mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["reorder_point"] == 12


@pytest.mark.parametrize("value", ["0", "-1", "two", str(HORIZON + 1)])
def test_a_bad_lead_time_is_a_400_naming_it(api_client, run, location, value):
    forecast(run, item_with_stock(location, "1"), mean=3.0, hi95=4.0)

    response = api_client.get(ROUTE, {"lead_time_days": value})

    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("lead_time_days")


def test_inactive_items_are_not_suggested(api_client, run, location):
    forecast(run, item_with_stock(location, None, active=False), mean=3.0, hi95=4.0)

    assert suggestions(api_client) == []


def test_only_the_latest_succeeded_run_counts(api_client, run, location):
    item = item_with_stock(location, "5")
    forecast(run, item, mean=0.0, hi95=0.0)  # nothing to order by the latest forecast
    older = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=run.history_end,
        started_at=run.started_at - timedelta(days=1),
    )
    forecast(older, item, mean=3.0, hi95=4.0)

    assert suggestions(api_client) == []


def test_the_order_is_due_a_lead_time_before_stock_dips_into_the_safety_stock(
    api_client, run, location, today
):
    # 20 on hand, 3 a day: 17, 14, 11, 8, 5, 2, then -1 on the 7th forecast day (today + 6);
    # safety stock 2. The reorder minimum of 25 makes it a suggestion now.
    item = item_with_stock(location, "20", sku="LATER", reorder_min=25)
    forecast(run, item, mean=3.0, hi95=4.0)

    [row] = suggestions(api_client)

    assert row["order_by"] == str(today + timedelta(days=6 - 2))


def test_the_most_urgent_come_first(api_client, run, location, today):
    later = item_with_stock(location, "20", sku="B-LATER", reorder_min=25)
    now = item_with_stock(location, None, sku="C-NOW")
    forecast(run, later, mean=3.0, hi95=4.0)
    forecast(run, now, mean=3.0, hi95=4.0)

    rows = suggestions(api_client)

    assert [row["sku"] for row in rows] == ["C-NOW", "B-LATER"]


def test_there_is_nothing_to_suggest_before_the_first_run(api_client, location):
    item_with_stock(location, None)

    assert suggestions(api_client) == []


def test_the_selector_takes_the_day_it_is_asked_on(run, location):
    forecast(run, item_with_stock(location, None), mean=3.0, hi95=4.0)

    [row] = selectors.reorder_suggestions(today=date(2030, 1, 1))

    assert row["order_by"] == date(2030, 1, 1)


@pytest.mark.parametrize("items", [2, 20])
def test_the_suggestions_take_the_same_few_queries_for_any_number_of_items(
    api_client, run, location, items, django_assert_max_num_queries
):
    for _ in range(items):
        forecast(run, item_with_stock(location, "1"), mean=3.0, hi95=4.0)

    # The user and role, the latest run, then the items with their forecast and stock.
    with django_assert_max_num_queries(4):
        assert len(suggestions(api_client)) == items


# --- the reorder point stored with each forecast ----------------------------------------------


@pytest.fixture
def shelf(run, location):
    """Items on each side of their reorder point (8: 2 days of 3, at most 4) and minimum."""
    for on_hand, reorder_min in (
        (None, 0),
        ("7.999", 0),
        ("8", 0),
        ("8.001", 0),
        ("20", 0),
        ("8.001", "8.001"),
        ("9", "8.5"),
        ("30", "8"),
    ):
        item = item_with_stock(location, on_hand, reorder_min=Decimal(reorder_min))
        forecast(run, item, mean=3.0, hi95=4.0)
    forecast(run, item_with_stock(location, "3"), mean=1.5, hi95=1.5)
    # Stock over two lots that adds up to exactly the minimum (and, on SQLite, a float sum
    # a hair over it), then to exactly the reorder point.
    for lots, reorder_min, mean, hi95 in (
        ((Decimal("1.1"), Decimal("2.2")), "3.3", 0.0, 0.0),
        ((Decimal("0.1"), Decimal("7.9")), "0", 3.0, 4.0),
    ):
        item = item_with_stock(location, None, reorder_min=Decimal(reorder_min), reorder_max=10)
        for n, quantity in enumerate(lots):
            stock_services.stock_receive(
                item=item, location=location, quantity=quantity, lot=f"L{n}"
            )
        forecast(run, item, mean=mean, hi95=hi95)
    return run


def test_a_forecast_stores_the_reorder_point_of_the_lead_time_setting(run, location, settings):
    settings.REORDER_LEAD_TIME_DAYS = 3
    stored = forecast(run, item_with_stock(location, "1"), mean=3.0, hi95=4.5)

    assert (stored.reorder_lead_time_days, stored.reorder_point) == (3, Decimal("13.5"))


def test_the_stored_reorder_point_gives_exactly_the_suggestions_worked_out_in_full(shelf):
    with_stored = selectors.reorder_suggestions()
    shelf.item_forecasts.update(reorder_lead_time_days=None, reorder_point=None)

    assert [row["sku"] for row in with_stored]  # some to order, some not
    assert len(with_stored) < shelf.item_forecasts.count()
    assert with_stored == selectors.reorder_suggestions()


def test_a_reorder_point_stored_for_another_lead_time_is_not_used(api_client, run, location):
    # Stored for 2 days: 8. For 4 days the reorder point is 16, and 12 on hand is below it.
    item = item_with_stock(location, "12")
    forecast(run, item, mean=3.0, hi95=4.0)

    [row] = suggestions(api_client, lead_time_days=4)

    assert (row["sku"], row["reorder_point"]) == (item.sku, 16.0)
