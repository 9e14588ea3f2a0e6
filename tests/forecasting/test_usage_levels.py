"""Usage recorded for an item as a whole and per location is not counted twice."""

from datetime import date
from decimal import Decimal

import pytest

from forecasting.history import demand_matrix
from forecasting.models import DailyUsage

pytestmark = pytest.mark.django_db


def test_usage_of_the_item_as_a_whole_is_not_added_to_its_per_location_usage(item, location):
    day = date(2025, 3, 1)
    DailyUsage.objects.create(item=item, location=None, date=day, quantity=Decimal(10))
    DailyUsage.objects.create(item=item, location=location, date=day, quantity=Decimal(4))

    demand = demand_matrix([item.pk], end=day, days=1)[0][0]

    # The whole-item figure already covers the walk-in's 4: the day's demand is 10, not 14.
    assert demand == 10
