"""The response cache: hits and misses, invalidation by every write, and a cache that fails."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from inventory import services as stock_services
from inventory.cached_responses import SUMMARY
from inventory_project.http import response_cache
from items import services as item_services
from items.cached_responses import ITEM_LIST_ACTIVE, ITEM_LIST_ALL, item_detail
from tests.helpers import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db


def test_the_second_read_of_the_item_list_is_a_hit_with_the_same_bytes(api_client, item):
    miss = api_client.get("/api/items")
    hit = api_client.get("/api/items")

    assert (miss["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    assert miss.content == hit.content


def test_active_items_have_their_own_entry(api_client, item):
    api_client.get("/api/items")

    response = api_client.get("/api/items?active=true")

    assert response["X-Cache"] == "MISS"
    assert ITEM_LIST_ACTIVE.cached_body() == response.content


def test_filtered_or_paged_lists_bypass_the_cache(api_client, item):
    response = api_client.get("/api/items?category=Protein&limit=5")

    assert response["X-Cache"] == "BYPASS"
    assert ITEM_LIST_ALL.cached_body() is None


def test_a_read_after_an_api_create_sees_the_new_item(api_client, item):
    api_client.get("/api/items")

    api_client.post("/api/items", {"sku": "SKU-NEW", "name": "Basil"}, format="json")
    response = api_client.get("/api/items")

    assert response["X-Cache"] == "MISS"
    assert "SKU-NEW" in {row["sku"] for row in response.json()["data"]}


def test_an_update_through_the_service_drops_lists_and_the_item(api_client, item):
    for path in ("/api/items", "/api/items?active=true", f"/api/items/{item.sku}"):
        api_client.get(path)

    item_services.item_update(item=item, data={"name": "Renamed"})

    assert ITEM_LIST_ALL.cached_body() is None
    assert ITEM_LIST_ACTIVE.cached_body() is None
    assert item_detail(item.sku).cached_body() is None
    assert api_client.get(f"/api/items/{item.sku}").json()["data"]["name"] == "Renamed"


def test_an_update_that_changes_nothing_keeps_the_cache(api_client, item):
    api_client.get("/api/items")

    item_services.item_update(item=item, data={"name": item.name})

    assert ITEM_LIST_ALL.cached_body() is not None


def test_deactivating_an_item_drops_the_summary(api_client, item):
    api_client.get("/api/inventory/summary")

    api_client.delete(f"/api/items/{item.sku}")

    assert SUMMARY.cached_body() is None
    assert api_client.get("/api/inventory/summary").json()["data"]["total_items"] == 0


@pytest.mark.parametrize(
    "operation",
    [
        lambda item, location: stock_services.stock_receive(
            item=item, location=location, quantity=Decimal(1)
        ),
        lambda item, location: stock_services.stock_issue(
            item=item, location=location, quantity=Decimal(1)
        ),
        lambda item, location: stock_services.stock_count(
            item=item, location=location, counted_quantity=Decimal(3)
        ),
        lambda item, location: stock_services.stock_adjust(
            item=item, location=location, quantity_delta=Decimal(-1), reason="Dropped"
        ),
    ],
    ids=["receive", "issue", "count", "adjust"],
)
def test_every_stock_operation_drops_the_summary(api_client, stocked, operation):
    api_client.get("/api/inventory/summary")

    operation(stocked.item, stocked.location)
    fresh = api_client.get("/api/inventory/summary")

    assert fresh["X-Cache"] == "MISS"
    assert fresh.json()["data"]["total_quantity"] == float(
        type(stocked).objects.get(pk=stocked.pk).quantity
    )


def test_a_transfer_drops_the_summary(api_client, stocked, other_location):
    api_client.get("/api/inventory/summary")

    stock_services.stock_transfer(
        item=stocked.item,
        from_location=stocked.location,
        to_location=other_location,
        quantity=Decimal(2),
    )

    assert api_client.get("/api/inventory/summary").json()["data"]["total_locations"] == 2


def test_a_404_is_never_cached(api_client):
    api_client.get("/api/items/SKU-LATER")
    item_services.item_create(sku="SKU-LATER", name="Arrives later")

    response = api_client.get("/api/items/SKU-LATER")

    assert response.status_code == 200


def test_a_cached_list_still_checks_permissions(api_client, anon_client, item):
    api_client.get("/api/items")

    response = anon_client.get("/api/items")

    assert response.status_code == 401


def test_requests_succeed_from_the_database_when_the_cache_is_unreachable(
    api_client, item, settings
):
    settings.CACHES = UNREACHABLE_REDIS
    settings.RATELIMIT_ENABLE = False

    first = api_client.get("/api/items")
    created = api_client.post("/api/items", {"sku": "SKU-OUT", "name": "Offline"}, format="json")
    second = api_client.get("/api/items")

    assert first.status_code == 200
    assert first["X-Cache"] == "MISS"
    assert created.status_code == 201
    assert "SKU-OUT" in {row["sku"] for row in second.json()["data"]}


# Committed for real: a bump Redis missed is made when the write commits.
@pytest.mark.django_db(transaction=True)
def test_invalidations_missed_while_the_cache_was_away_are_replayed_when_it_returns(
    api_client, item, settings
):
    settings.CACHE_RETRY_SECONDS = 0
    working = settings.CACHES
    api_client.get("/api/items")
    settings.CACHES = UNREACHABLE_REDIS
    item_services.item_update(item=item, data={"name": "Changed while away"})
    settings.CACHES = working

    response = api_client.get("/api/items")

    assert response["X-Cache"] == "MISS"
    assert response.json()["data"][0]["name"] == "Changed while away"


def test_a_body_built_from_rows_read_before_a_write_is_never_served(api_client, item):
    """A reader misses and reads the rows; a write commits; then the reader stores its body."""
    real_build = ITEM_LIST_ALL.build

    def build_then_write():
        body = real_build()
        item_services.item_update(item=item, data={"name": "After"})
        return body

    object.__setattr__(ITEM_LIST_ALL, "build", build_then_write)
    try:
        api_client.get("/api/items")  # builds "before", writes, stores the stale body
    finally:
        object.__setattr__(ITEM_LIST_ALL, "build", real_build)

    response = api_client.get("/api/items")

    assert response["X-Cache"] == "MISS"
    assert response.json()["data"][0]["name"] == "After"


def test_the_whole_stock_list_is_cached_and_dropped_by_a_stock_change(api_client, stocked):
    api_client.get("/api/inventory")
    hit = api_client.get("/api/inventory")

    stock_services.stock_issue(item=stocked.item, location=stocked.location, quantity=Decimal(4))
    after = api_client.get("/api/inventory")

    assert hit["X-Cache"] == "HIT"
    assert after["X-Cache"] == "MISS"
    assert after.json()["data"][0]["quantity"] == 6


def test_renaming_an_item_drops_the_cached_stock_list(api_client, stocked):
    api_client.get("/api/inventory")

    item_services.item_update(item=stocked.item, data={"name": "Renamed"})

    assert api_client.get("/api/inventory").json()["data"][0]["item_name"] == "Renamed"


def test_a_filtered_stock_list_bypasses_the_cache(api_client, stocked):
    response = api_client.get("/api/inventory?location=WALK-IN")

    assert response["X-Cache"] == "BYPASS"


@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_shows_within_a_second_on_the_embedded_default(
    api_client, item, settings
):
    # The embedded default: each process has a cache of its own (a `manage.py` import beside
    # the server, or another worker).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    response_cache.reset_state()
    api_client.get("/api/items")
    keys = [f"generation:{group}" for group in ("items", "stock")]
    this_process = cache.get_many(keys)

    item_services.item_update(item=item, data={"name": "Renamed by a command"})
    # The bump reached the other process's cache only; this one's is as it was.
    cache.set_many(this_process, timeout=None)
    within_the_second = api_client.get("/api/items")
    read_at, halves = response_cache._database_halves
    response_cache._database_halves = (read_at - response_cache.IN_PROCESS_RECHECK_SECONDS, halves)
    after_the_second = api_client.get("/api/items")

    assert within_the_second["X-Cache"] == "HIT"  # this process alone cannot know yet
    assert after_the_second.json()["data"][0]["name"] == "Renamed by a command"
