"""The platform's rate limiter: its tiers' routes come from the table, a bearer token's user from
`RATE_LIMIT_USER_KEY` (the layering itself is checked in test_layout.py)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from inventory import services as stock_services
from inventory_project.http import ratelimit, response_cache
from tests.conftest import client_for, user_with_role
from tests.helpers import on_redis

pytestmark = pytest.mark.django_db


def everyone_is_user_seven(request) -> str:
    return "7"


def test_a_bearer_tokens_user_comes_from_the_configured_key(settings, anon_client):
    settings.RATE_LIMIT_USER_KEY = f"{__name__}.everyone_is_user_seven"
    settings.RATE_LIMIT_MAX = 100
    settings.RATE_LIMIT_MAX_AUTH = 2

    answers = [anon_client.get("/api/items") for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[0]["RateLimit-Limit"] == "2"


def test_without_a_user_key_a_bearer_token_counts_on_its_address(settings):
    settings.RATE_LIMIT_USER_KEY = None
    settings.RATE_LIMIT_MAX = 2
    settings.RATE_LIMIT_MAX_AUTH = 100
    client = client_for(user_with_role("viewer", email="keyless@example.com"))

    answers = [client.get("/api/items") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0]["RateLimit-Limit"] == "2"


def test_the_tiers_count_only_the_routes_the_table_gives_them(settings, anon_client):
    routes, *rest = settings.RATE_LIMITS[ratelimit.API_ANONYMOUS]
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        ratelimit.API_ANONYMOUS: (("/api/items",), *rest),
    }

    listed = anon_client.get("/api/items")
    unlisted = anon_client.get("/api/inventory")

    assert routes == ("/api/", "/jobs/")
    assert listed["RateLimit-Limit"] == str(settings.RATE_LIMIT_MAX)
    assert "RateLimit-Limit" not in unlisted


def test_routes_outside_every_tier_are_not_counted(anon_client):
    response = anon_client.get("/admin/login/")

    assert "RateLimit-Limit" not in response


def test_the_counter_taken_back_is_the_one_django_ratelimit_counted(settings):
    request = RequestFactory().post("/api/auth/password-reset/confirm", REMOTE_ADDR="10.9.0.1")
    key = ratelimit.counter_key("password-reset-confirm-per-ip", "10.9.0.1")

    usage = ratelimit.count(request, "password-reset-confirm-per-ip", "10.9.0.1")
    counted = cache.get(key)
    ratelimit.take_back([key])

    assert usage["count"] == counted == 1
    assert cache.get(key) == 0


# --- on Redis: the counter, and the caller's state, in one round trip -------------------------


@on_redis
def test_on_redis_a_cached_read_by_a_known_caller_takes_one_round_trip(redis_round_trips, item):
    client = client_for(user_with_role("viewer", email="one-trip@example.com"))
    for _ in range(2):  # the caller's state and the answer cached, the answer's keys learnt
        client.get("/api/inventory/summary")
    redis_round_trips.clear()

    response = client.get("/api/inventory/summary")

    assert (response.status_code, response["X-Cache"]) == (200, "HIT")
    # The counter, the caller's state, the answer and its generations: one pipeline.
    assert len(redis_round_trips) == 1


@on_redis
def test_on_redis_an_answer_read_ahead_is_not_served_after_a_change(stocked, location):
    client = client_for(user_with_role("viewer", email="ahead-change@example.com"))
    for _ in range(2):
        client.get("/api/inventory/summary")

    stock_services.stock_receive(item=stocked.item, location=location, quantity=Decimal("5"))
    response = client.get("/api/inventory/summary")

    assert response["X-Cache"] == "MISS"
    assert response.json()["data"]["total_quantity"] == 15


@on_redis
def test_on_redis_keys_read_ahead_for_another_answer_fall_back_to_a_read(redis_round_trips, item):
    client = client_for(user_with_role("viewer", email="ahead-other@example.com"))
    for _ in range(2):
        client.get(f"/api/items/{item.sku}")
    # What the path read last time no longer matches what it reads now (a deploy, say).
    response_cache._keys_of_path[f"/api/items/{item.sku}"] = ("items:sku:ANOTHER",)
    redis_round_trips.clear()

    response = client.get(f"/api/items/{item.sku}")

    assert (response.status_code, response["X-Cache"]) == (200, "HIT")
    assert response.json()["data"]["sku"] == item.sku
    assert len(redis_round_trips) == 2


@on_redis
def test_on_redis_the_counter_counts_in_django_ratelimits_key_and_window(settings):
    settings.RATE_LIMIT_MAX_AUTH = 100
    user = user_with_role("viewer", email="counted@example.com")
    client = client_for(user)

    answers = [client.get("/api/items") for _ in range(3)]

    assert [a["RateLimit-Remaining"] for a in answers] == ["99", "98", "97"]
    key = ratelimit.counter_key(ratelimit.API_AUTHENTICATED, str(user.pk))
    assert cache.get(key) == 3
    window = settings.RATE_LIMIT_WINDOW_MIN * 60
    assert 0 < cache.ttl(key) <= window + 5


def test_with_limits_off_nothing_is_counted_or_refused(settings):
    settings.RATELIMIT_ENABLE = False
    settings.RATE_LIMIT_MAX_AUTH = 1
    user = user_with_role("viewer", email="unlimited@example.com")
    client = client_for(user)

    answers = [client.get("/api/items") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "RateLimit-Limit" not in answers[0]
    assert cache.get(ratelimit.counter_key(ratelimit.API_AUTHENTICATED, str(user.pk))) is None
