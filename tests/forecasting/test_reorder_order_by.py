"""The reorder suggestion's `order_by` means what the OpenAPI document says."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecasting import selectors
from forecasting.models import ForecastRun, ItemForecast
from inventory import services as stock_services

pytestmark = pytest.mark.django_db


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
