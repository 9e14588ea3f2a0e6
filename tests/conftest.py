"""Fixtures shared by the whole suite. The suite runs on SQLite by default and on PostgreSQL +
Redis when DATABASE_URL / REDIS_URL are set (see .ci/run)."""

import os
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import user_set_role
from accounts.tokens import tokens_for_user
from inventory import services as stock_services
from inventory_project.http import response_cache
from tests.factories import ItemFactory, LocationFactory, UserFactory


@pytest.fixture(autouse=True)
def _preload_in_the_calling_thread(settings):
    # A preload thread would query the database outside the test's transaction; the tests of
    # the threaded preload switch this back on (with a transactional database).
    settings.CACHE_PRELOAD_ASYNC = False


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_sessionstart(session):
    # The PostgreSQL + Redis stage of CI must really run on them, not quietly skip.
    if os.environ.get("REQUIRE_POSTGRES_AND_REDIS") == "1":
        from django.conf import settings
        from django.db import connection

        if connection.vendor != "postgresql" or not settings.REDIS_URL:
            raise pytest.UsageError("REQUIRE_POSTGRES_AND_REDIS=1 but not on PostgreSQL + Redis")
    # Likewise CI's browser tests (tests/browser): a missing browser fails, it does not skip.
    if os.environ.get("REQUIRE_BROWSER") == "1":
        from tests.browser.chromium import missing_browser

        reason = missing_browser()
        if reason:
            raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {reason}")


def _clear_our_cache_keys():
    # On Redis only the keys under this project's prefix go, never the whole database.
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    _clear_our_cache_keys()
    response_cache.reset_state()
    yield
    _clear_our_cache_keys()
    response_cache.reset_state()


def user_with_role(role: str, **fields):
    """A user holding one role (admin, staff or viewer), made through the accounts service."""
    user = UserFactory(**fields)
    user_set_role(user=user, role=role)
    return user


def client_for(user) -> APIClient:
    """An API client that sends a real access token for `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user).access_token}")
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_user(db):
    return user_with_role("admin", email="api-admin@example.com")


@pytest.fixture
def api_client(api_user) -> APIClient:
    """The default API client: authenticated as an admin, so every route is open to it."""
    return client_for(api_user)


@pytest.fixture
def viewer_client(db) -> APIClient:
    return client_for(user_with_role("viewer", email="viewer@example.com"))


@pytest.fixture
def staff_client(db) -> APIClient:
    return client_for(user_with_role("staff", email="staff@example.com"))


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


@pytest.fixture
def redis_round_trips(monkeypatch):
    """What the Redis client sent since the fixture began, one entry per round trip (a command,
    or a pipeline of them): a spy on the real client, which still sends everything."""
    from redis.connection import AbstractConnection

    sent = []
    send = AbstractConnection.send_packed_command

    def counted(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent
