"""Forecast answers served from the cache with stale-while-revalidate, and their preloading.

A forecast changes once a day, but its answer (history, horizon, accuracy) takes several
queries to build: `GET /api/forecasts/{sku}` and the whole `GET /api/forecasts` are served from
`StaleWhileRevalidate` entries, and after every successful daily run `preload_forecast_cache`
stores the new list and the new answer of every item before anyone asks
(`FORECAST_CACHE_PRELOAD`; in a thread when `CACHE_PRELOAD_ASYNC`; stopping after
`CACHE_PRELOAD_TIMEOUT_MS`).
"""

import hashlib
import logging
import threading
import time

from django.conf import settings
from django.db import connection

from forecasting import selectors
from forecasting.models import ItemForecast
from forecasting.selectors import DEFAULT_HISTORY_DAYS
from inventory_project.api.renderers import dumps
from inventory_project.http.response_cache import StaleWhileRevalidate, store_fresh_many

logger = logging.getLogger(__name__)


PRELOAD_BATCH_SIZE = 500


def _detail_key(sku: str, history_days: int) -> str:
    # Hashed: a SKU may hold characters some cache backends refuse in keys.
    digest = hashlib.sha1(sku.encode(), usedforsecurity=False).hexdigest()
    return f"forecasts:sku:{digest}:{history_days}"


def forecast_detail_cache(sku: str, history_days: int) -> StaleWhileRevalidate:
    return StaleWhileRevalidate(
        key=_detail_key(sku, history_days),
        build=lambda: {
            "success": True,
            "data": selectors.forecast_detail(sku=sku, history_days=history_days),
        },
    )


def _forecast_list() -> dict:
    rows = selectors.FORECAST_COLUMNS.all(selectors.latest_forecasts())
    return {"success": True, "data": rows, "count": len(rows)}


# The whole list without parameters (its other forms are answered fresh).
FORECAST_LIST = StaleWhileRevalidate(key="forecasts:list:all", build=_forecast_list)


def default_history_days() -> int:
    return min(DEFAULT_HISTORY_DAYS, settings.FORECAST_HISTORY_DAYS)


def _preload(deadline: float) -> int:
    """Store the list, then every item's answer, a batch at a time (a few queries a batch)."""
    FORECAST_LIST.store()
    stored = 0
    history_days = default_history_days()
    ids = list(selectors.latest_forecasts().values_list("pk", flat=True))
    for start in range(0, len(ids), PRELOAD_BATCH_SIZE):
        if time.monotonic() > deadline:
            logger.warning("Forecast cache preload stopped at its time limit (%s items)", stored)
            break
        batch = list(
            ItemForecast.objects.filter(pk__in=ids[start : start + PRELOAD_BATCH_SIZE])
            .select_related("item", "run")
            .order_by("pk")
        )
        details = selectors.forecast_details(batch, history_days=history_days)
        store_fresh_many(
            {
                _detail_key(sku, history_days): dumps({"success": True, "data": detail})
                for sku, detail in details.items()
            }
        )
        stored += len(details)
    logger.info("Forecast cache preloaded for %s items", stored)
    return stored


def preload_forecast_cache() -> threading.Thread | None:
    """Store the latest answer of every item; in a thread (returned) when CACHE_PRELOAD_ASYNC."""
    if not settings.FORECAST_CACHE_PRELOAD:
        return None
    deadline = time.monotonic() + settings.CACHE_PRELOAD_TIMEOUT_MS / 1000
    if not settings.CACHE_PRELOAD_ASYNC:
        _preload(deadline)
        return None

    def work() -> None:
        try:
            _preload(deadline)
        except Exception:
            logger.exception("Forecast cache preload failed")
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=work, name="forecast-cache-preload", daemon=True)
    thread.start()
    return thread
