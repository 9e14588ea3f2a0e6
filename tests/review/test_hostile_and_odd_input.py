"""Hostile and odd input found in review of the forecasting API and the CSV imports.

Each test pins a behaviour that once failed: malformed multipart bodies, dates before any
plausible stock history, route names as SKUs, usage rows at two levels, and what `order_by`
means.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecasting import selectors
from forecasting.history import demand_matrix
from forecasting.models import DailyUsage, ForecastRun, ItemForecast
from inventory import services as stock_services
from items.models import Item
from tests.forecasting.support import item_with_usage, use_small_runs
from tests.imports.support import STOCK_HEADER, STOCK_IMPORT, post_csv

pytestmark = pytest.mark.django_db

END = date(2024, 6, 30)
DAYS = 120
STEADY = [9.0, 11.0] * (DAYS // 2)


@pytest.fixture
def small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=10, holdout=14, batch_size=2)


def _item_with_usage(values, **fields):
    return item_with_usage(values, end=END, **fields)


# --- POST imports ---------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_boundary_is_a_400_not_a_500(api_client, location, content_type):
    body = f"{STOCK_HEADER}\nSKU-1,WALK-IN,5\n".encode()

    response = api_client.generic("POST", STOCK_IMPORT, body, content_type=content_type)

    assert response.status_code == 400, response.content
    assert response.json()["success"] is False


def test_last_counted_at_before_year_one_in_utc_is_a_row_error(api_client, stocked):
    response = post_csv(
        api_client,
        STOCK_IMPORT,
        f"{STOCK_HEADER}\nSKU-1001,WALK-IN,7,,,0001-01-01T00:00:00+01:00\n",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [error["field"] for error in body["errors"]] == ["last_counted_at"]
    # Nothing unreadable was stored: the stock list still answers.
    assert api_client.get("/api/inventory").status_code == 200
    assert api_client.get("/api/inventory?sku=SKU-1001").status_code == 200


# --- forecasting ----------------------------------------------------------------------------


def test_sku_runs_is_refused_like_the_other_reserved_route_names(api_client):
    response = api_client.post("/api/items", {"sku": "runs", "name": "Tape"}, format="json")

    assert response.status_code == 400, response.content


def test_usage_of_the_item_as_a_whole_is_not_added_to_its_per_location_usage(item, location):
    day = date(2025, 3, 1)
    DailyUsage.objects.create(item=item, location=None, date=day, quantity=Decimal(10))
    DailyUsage.objects.create(item=item, location=location, date=day, quantity=Decimal(4))

    demand = demand_matrix([item.pk], end=day, days=1)[0][0]

    # The whole-item figure already covers the walk-in's 4: the day's demand is 10, not 14.
    assert demand == 10


def test_reorder_order_by_is_what_the_schema_documents(item, location):
    item.uom = "kg"
    item.save()
    horizon_start = date(2030, 1, 1)
    run = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=horizon_start - timedelta(days=1),
        config={"horizon_days": 10},
    )
    flat = [5.0] * 10
    ItemForecast.objects.create(
        run=run,
        item=item,
        demand_class="smooth",
        model="mean28",
        horizon_start=horizon_start,
        points={"mean": flat, "lo80": flat, "hi80": flat, "lo95": flat, "hi95": flat},
    )
    # 10 on hand, 5 a day, no safety stock: projected 5, 0, then -5 on the third day.
    stock_services.stock_receive(item=item, location=location, quantity=Decimal(10))

    (suggestion,) = selectors.reorder_suggestions(
        lead_time_days=2, review_days=0, today=date(2029, 1, 1)
    )

    assert suggestion["safety_stock"] == 0
    # Below the safety stock on the third day (index 2); ordered a 2-day lead time before it.
    assert suggestion["order_by"] == horizon_start


def test_an_import_option_given_twice_is_refused_and_nothing_written(api_client, item):
    response = api_client.post(
        "/api/items/import?dry_run=true&dry_run=false",
        data=b"sku,name\nTWICE-1,Twice\n",
        content_type="text/csv",
    )

    assert response.status_code == 400, response.content
    assert response.json()["details"] == {"dry_run": ["Given more than once."]}
    assert not Item.objects.filter(sku="TWICE-1").exists()


def test_a_body_declared_in_another_charset_is_refused(api_client, item):
    response = api_client.post(
        "/api/items/import",
        data="sku,name\nCAFE-1,Café\n".encode("latin-1"),
        content_type="text/csv; charset=latin-1",
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_encoding"
    assert not Item.objects.filter(sku="CAFE-1").exists()


def test_a_chunked_body_is_411_not_an_empty_file(api_client, item):
    response = api_client.generic(
        "POST",
        "/api/items/import",
        b"",
        content_type="text/csv",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert response.status_code == 411, response.content
    assert response.json()["code"] == "length_required"
