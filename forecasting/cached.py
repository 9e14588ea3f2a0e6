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
from forecasting.selectors import DEFAULT_HISTORY_DAYS
from inventory_project.cache import StaleWhileRevalidate

logger = logging.getLogger(__name__)


def forecast_detail_cache(sku: str, history_days: int) -> StaleWhileRevalidate:
    # Hashed: a SKU may hold characters some cache backends refuse in keys.
    digest = hashlib.sha1(sku.encode(), usedforsecurity=False).hexdigest()
    return StaleWhileRevalidate(
        key=f"forecasts:sku:{digest}:{history_days}",
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
    FORECAST_LIST.store()
    stored = 0
    history_days = default_history_days()
    for sku in selectors.latest_forecasts().values_list("item__sku", flat=True).iterator():
        if time.monotonic() > deadline:
            logger.warning("Forecast cache preload stopped at its time limit (%s items)", stored)
            break
        forecast_detail_cache(sku, history_days).store()
        stored += 1
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
