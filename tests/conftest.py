"""Fixtures shared by the whole suite. The suite runs on SQLite by default and on PostgreSQL +
Redis when DATABASE_URL / REDIS_URL are set (see .ci/run)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from inventory import services as stock_services
from tests.factories import ItemFactory, LocationFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def item(db):
    return ItemFactory(sku="SKU-1001", name="Chicken breast", category="Protein", uom="kg")


@pytest.fixture
def location(db):
    return LocationFactory(code="WALK-IN", name="Walk-in cooler")


@pytest.fixture
def other_location(db):
    return LocationFactory(code="FREEZER", name="Freezer")


@pytest.fixture
def stocked(item, location):
    """10 kg of the item in the walk-in, received through the service (one ledger row)."""
    stock_services.stock_receive(item=item, location=location, quantity=Decimal("10"))
    return item.stock_records.get(location=location, lot="")
