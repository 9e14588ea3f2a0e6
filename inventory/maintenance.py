"""The daily maintenance job: warm the cache, check the database, cache stats.

`run_maintenance` answers the wire contract's result shape
`{success, duration, tasks_completed, tasks_total, results: [...]}`; a task that fails is
reported with its error and counts as not completed, and the others still run.
"""

import logging
import time
from collections.abc import Callable

from django.db import connection

from inventory.cached_responses import SUMMARY
from inventory.models import Location, StockMovement, StockRecord
from inventory_project.api.idempotency import delete_expired_keys
from inventory_project.http import response_cache as cache
from items.cached_responses import ITEM_LIST_ACTIVE
from items.models import Item

logger = logging.getLogger(__name__)


def warm_cache() -> dict:
    """Store the summary and the active-item list: the exact bytes the API would serve."""
    return {"warmed": {envelope.key: envelope.warm() for envelope in (SUMMARY, ITEM_LIST_ACTIVE)}}


def check_database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    ping_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    counts = {
        "items": Item.objects.count(),
        "locations": Location.objects.count(),
        "stock_records": StockRecord.objects.count(),
        "movements": StockMovement.objects.count(),
    }
    return {
        "vendor": connection.vendor,
        "ping_ms": round(ping_ms, 3),
        "count_ms": round((time.perf_counter() - started) * 1000, 3),
        "counts": counts,
    }


def collect_cache_statistics() -> dict:
    return cache.statistics()


def forget_expired_idempotency_keys() -> dict:
    return {"deleted": delete_expired_keys()}


TASKS: tuple[tuple[str, Callable[[], dict]], ...] = (
    ("warm_cache", warm_cache),
    ("database_health", check_database),
    ("cache_statistics", collect_cache_statistics),
    ("expired_idempotency_keys", forget_expired_idempotency_keys),
)


def run_maintenance(context=None) -> dict:
    """Run every task, each on its own; `context` is the job context (heartbeat) when scheduled."""
    started = time.perf_counter()
    results = []
    for name, task in TASKS:
        task_started = time.perf_counter()
        try:
            details = task()
        except Exception as exc:  # a task's failure is reported, the next task still runs
            logger.exception("Maintenance task %s failed", name)
            results.append(
                {"task": name, "success": False, "error": str(exc) or type(exc).__name__}
            )
        else:
            results.append({"task": name, "success": True, **details})
        results[-1]["duration_ms"] = round((time.perf_counter() - task_started) * 1000, 3)
        if context is not None:
            context.heartbeat()
    completed = sum(result["success"] for result in results)
    return {
        "success": completed == len(TASKS),
        "duration": round(time.perf_counter() - started, 6),
        "tasks_completed": completed,
        "tasks_total": len(TASKS),
        "results": results,
    }
