"""Forecast answers with stale-while-revalidate, and the cache preloaded after each run."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting import cached_responses as cached_module
from forecasting import services
from forecasting.cached_responses import default_history_days, forecast_detail_cache
from inventory_project.http import response_cache
from inventory_project.http.response_cache import StaleWhileRevalidate
from tests.conftest import _clear_our_cache_keys
from tests.forecasting.support import item_with_usage, use_small_runs

END = date(2024, 6, 30)
DAYS = 60


@pytest.fixture(autouse=True)
def _small_runs(settings):
    use_small_runs(settings, days=DAYS, horizon=7, holdout=7, batch_size=10)
    settings.FORECAST_CACHE_TTL = 60
    settings.CACHE_STALE_TTL = 600


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = 1_000_000.0
        monkeypatch.setattr(response_cache.time, "time", lambda: self.now)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


class CountingBuild:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"success": True, "data": {"version": self.calls}}


def _version(response) -> int:
    return json.loads(response.content)["data"]["version"]


@pytest.fixture
def entry(db) -> tuple[StaleWhileRevalidate, CountingBuild]:
    # db: closing a response sends request_finished, which tidies database connections.
    build = CountingBuild()
    return StaleWhileRevalidate(key="forecasts:test:entry", build=build), build


def test_the_first_read_builds_and_the_next_is_a_fresh_hit(entry, clock):
    cached, build = entry

    first, second = cached.response(), cached.response()

    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert (_version(first), _version(second), build.calls) == (1, 1, 1)


def test_a_stale_entry_is_served_at_once_while_exactly_one_refresh_runs(entry, clock):
    cached, build = entry
    cached.response().close()
    clock.now += 61  # past the fresh period, within the stale one

    first = cached.response()  # takes the refresh; it runs when this answer is closed
    others = [cached.response() for _ in range(3)]  # meanwhile: stale, no refresh of their own
    for response in others:
        response.close()
    assert build.calls == 1
    first.close()

    assert [r["X-Cache"] for r in [first, *others]] == ["STALE"] * 4
    assert [_version(r) for r in [first, *others]] == [1] * 4
    assert build.calls == 2
    refreshed = cached.response()
    assert (refreshed["X-Cache"], _version(refreshed)) == ("HIT", 2)


def test_past_the_stale_period_the_read_rebuilds(entry, clock):
    cached, build = entry
    cached.response().close()
    clock.now += 61 + 600

    response = cached.response()

    assert (response["X-Cache"], _version(response), build.calls) == ("MISS", 2, 2)


def test_a_failed_refresh_keeps_the_stale_copy_and_frees_the_lock(entry, clock):
    cached, build = entry
    cached.response().close()
    clock.now += 61
    failing = StaleWhileRevalidate(key=cached.key, build=lambda: 1 / 0)

    failing.response().close()  # the refresh raises; it is logged

    again = cached.response()
    assert (again["X-Cache"], _version(again)) == ("STALE", 1)
    again.close()
    assert build.calls == 2  # the lock was free again: this read refreshed


def _item_with_usage(sku: str):
    return item_with_usage([5 + d % 3 for d in range(DAYS)], end=END, sku=sku)


@pytest.mark.django_db
def test_a_forecast_run_preloads_every_items_answer(api_client, settings):
    settings.CACHE_PRELOAD_ASYNC = False
    items = [_item_with_usage(f"PRE-{n}") for n in range(3)]

    services.run_forecast(history_end=END)

    for item in items:
        cached = forecast_detail_cache(item.sku, default_history_days())
        assert cached._get() is not None, item.sku
        response = api_client.get(f"/api/forecasts/{item.sku}")
        assert (response.status_code, response["X-Cache"]) == (200, "HIT")


@pytest.mark.django_db
def test_without_preloading_the_first_read_builds_the_answer(api_client, settings):
    settings.FORECAST_CACHE_PRELOAD = False
    _item_with_usage("NOPRE-1")
    services.run_forecast(history_end=END)

    response = api_client.get("/api/forecasts/NOPRE-1")

    assert (response.status_code, response["X-Cache"]) == (200, "MISS")


@pytest.mark.django_db(transaction=True)
def test_the_preload_runs_in_a_thread_when_asked_to(settings):
    settings.CACHE_PRELOAD_ASYNC = True
    item = _item_with_usage("ASYNC-1")

    run = services.run_forecast(history_end=END)
    run.preload_thread.join(timeout=30)

    assert not run.preload_thread.is_alive()
    assert forecast_detail_cache(item.sku, default_history_days())._get() is not None


@pytest.mark.django_db
def test_the_whole_list_is_preloaded_and_filtered_lists_are_answered_fresh(api_client):
    _item_with_usage("LIST-1")
    services.run_forecast(history_end=END)

    whole = api_client.get("/api/forecasts")
    filtered = api_client.get("/api/forecasts?high_variance=false")

    assert (whole.status_code, whole["X-Cache"]) == (200, "HIT")
    assert [row["sku"] for row in whole.json()["data"]] == ["LIST-1"]
    assert (filtered.status_code, filtered["X-Cache"]) == (200, "BYPASS")


@pytest.mark.django_db
def test_a_preloaded_answer_is_the_answer_a_fresh_read_builds(api_client, settings):
    settings.CACHE_PRELOAD_ASYNC = False
    items = [_item_with_usage(f"SAME-{n}") for n in range(3)]
    services.run_forecast(history_end=END)
    preloaded = {item.sku: api_client.get(f"/api/forecasts/{item.sku}") for item in items}

    _clear_our_cache_keys()
    fresh = {item.sku: api_client.get(f"/api/forecasts/{item.sku}") for item in items}

    for item in items:
        assert (preloaded[item.sku]["X-Cache"], fresh[item.sku]["X-Cache"]) == ("HIT", "MISS")
        assert preloaded[item.sku].json() == fresh[item.sku].json()


@pytest.mark.django_db
def test_the_preload_reads_history_a_batch_at_a_time(settings, monkeypatch):
    settings.CACHE_PRELOAD_ASYNC = False
    for n in range(5):
        _item_with_usage(f"BATCH-{n}")
    services.run_forecast(history_end=END)
    monkeypatch.setattr(cached_module, "PRELOAD_BATCH_SIZE", 2)

    with CaptureQueriesContext(connection) as five_items:
        assert cached_module._preload(deadline=float("inf")) == 5
    _item_with_usage("BATCH-5")
    services.run_forecast(history_end=END)
    with CaptureQueriesContext(connection) as six_items:
        assert cached_module._preload(deadline=float("inf")) == 6

    # Three batches either way (2 + 2 + 1, 2 + 2 + 2): the queries follow the batches, not items.
    assert len(six_items) == len(five_items)
