"""Response caching that degrades gracefully, with invalidation by named groups of keys.

Cached reads store the rendered response bytes, so a hit costs one cache GET and no
serialization. If the cache fails (Redis gone), reads fall through to the database and writes
carry on; after a failure the cache is left alone for `CACHE_RETRY_SECONDS`, so a dead Redis
costs one short timeout, not one per request, and it is used again by itself once it is back
(first replaying the deletes it missed).

Apps register each fixed key under the groups whose writes make it stale (in their
`AppConfig.ready`), e.g. the inventory summary under "items" and "stock". A write calls
`invalidate(groups=...)`: the keys are deleted at once and again after the transaction commits,
so no reader can put back a value read before the commit. No key scans (Redis KEYS) anywhere.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

from inventory_project import metrics
from inventory_project.api.renderers import dumps

logger = logging.getLogger(__name__)

HIT = "HIT"
MISS = "MISS"
BYPASS = "BYPASS"

_groups: dict[str, set[str]] = defaultdict(set)
# Hits and misses of this process, by key prefix (the part before the first ":").
_counts: dict[str, dict[str, int]] = defaultdict(lambda: {"hits": 0, "misses": 0})
_unavailable_until = 0.0
# Deletes that failed while the cache was away: done first thing once it answers again, so a
# value from before a write cannot outlive that write by more than this process's next request.
_pending_deletes: set[str] = set()


def register(key: str, *, groups: Iterable[str]) -> str:
    """Declare that `key` goes stale whenever any of `groups` is written; returns the key."""
    for group in groups:
        _groups[group].add(key)
    return key


def keys_of(*groups: str) -> set[str]:
    return set().union(*(_groups[group] for group in groups)) if groups else set()


def _available() -> bool:
    if time.monotonic() < _unavailable_until:
        return False
    if _pending_deletes:
        try:
            cache.delete_many(list(_pending_deletes))
        except Exception:
            _failed("delete")
            return False
        _pending_deletes.clear()
    return True


def _failed(operation: str) -> None:
    global _unavailable_until
    _unavailable_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
    logger.warning(
        "Cache %s failed; serving from the database for %ss",
        operation,
        settings.CACHE_RETRY_SECONDS,
        exc_info=True,
    )


def get_bytes(key: str) -> bytes | None:
    if not _available():
        return None
    try:
        return cache.get(key)
    except Exception:  # any backend failure: degrade, never fail the request
        _failed("get")
        return None


def set_bytes(key: str, value: bytes, timeout: int) -> None:
    if not _available():
        return
    try:
        cache.set(key, value, timeout)
    except Exception:
        _failed("set")


def cached_bytes(key: str, timeout: int, build: Callable[[], bytes]) -> tuple[bytes, str]:
    """The cached bytes under `key`, or `build()` stored there; with HIT or MISS."""
    value = get_bytes(key)
    prefix = key.split(":", 1)[0]
    counts = _counts[prefix]
    if value is not None:
        counts["hits"] += 1
        metrics.CACHE_HITS.labels(prefix).inc()
        return value, HIT
    counts["misses"] += 1
    metrics.CACHE_MISSES.labels(prefix).inc()
    value = build()
    set_bytes(key, value, timeout)
    return value, MISS


def _delete(keys: set[str]) -> None:
    if not keys:
        return
    if not _available():
        _pending_deletes.update(keys)
        return
    try:
        cache.delete_many(list(keys))
    except Exception:
        _pending_deletes.update(keys)
        _failed("delete")


def invalidate(*, groups: Iterable[str] = (), keys: Iterable[str] = ()) -> None:
    """Drop the keys of `groups` plus `keys`, now and again when the transaction commits."""
    stale = keys_of(*groups) | set(keys)
    _delete(stale)
    transaction.on_commit(lambda: _delete(stale))


@dataclass(frozen=True)
class CachedEnvelope:
    """A response the API serves from the cache: its key, its lifetime and how to build it.

    The view answers `response()`; the maintenance job calls `warm()`, which stores exactly the
    bytes the view would have stored.
    """

    key: str
    ttl_setting: str
    build: Callable[[], dict]

    @property
    def timeout(self) -> int:
        return getattr(settings, self.ttl_setting)

    def body(self) -> bytes:
        return dumps(self.build())

    def response(self) -> HttpResponse:
        body, state = cached_bytes(self.key, self.timeout, self.body)
        return HttpResponse(body, content_type="application/json", headers={"X-Cache": state})

    def warm(self) -> int:
        """Store a fresh body now; returns its size. Unlike a read, a failed store raises."""
        body = self.body()
        try:
            cache.set(self.key, body, self.timeout)
        except Exception:
            _failed("set")
            raise
        return len(body)


def statistics() -> dict:
    """What the cache can say about itself: backend, hit rate, keys and memory where known."""
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    hits = sum(c["hits"] for c in _counts.values())
    misses = sum(c["misses"] for c in _counts.values())
    stats: dict = {"backend": backend, "available": _available()}
    if backend == "RedisCache":
        from django_redis import get_redis_connection

        info = get_redis_connection("default").info()
        hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
        db = f"db{get_redis_connection('default').connection_pool.connection_kwargs.get('db', 0)}"
        stats.update(
            scope="server",
            keys=info.get(db, {}).get("keys", 0),
            used_memory_bytes=info.get("used_memory"),
        )
    else:
        stats["scope"] = "this process"
    stats.update(
        hits=hits,
        misses=misses,
        hit_rate=round(hits / (hits + misses), 4) if hits + misses else None,
    )
    return stats


def reset_state() -> None:
    """Forget failures and pending deletes (after reconfiguring the cache, and between tests)."""
    global _unavailable_until
    _unavailable_until = 0.0
    _pending_deletes.clear()
    _counts.clear()
