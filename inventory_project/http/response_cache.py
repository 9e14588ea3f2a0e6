"""Response caching that degrades gracefully, invalidated by generations of named groups.

Cached reads store the rendered response bytes, so a hit costs one cache round trip and no
serialization. Each cached response belongs to groups ("items", "stock"); every group has a
generation in two halves, a number in the cache and a number in the database
(`CacheGeneration`), and a value is stored together with the generations it was built under. A
write bumps the cache's half of the groups it changes, at once and again after its transaction
commits. A reader fetches the value and the cache's halves in one `get_many` (on Redis, once
its path has been served, in the round trip of the request's rate-limit counter:
`read_ahead_for`), takes the database's halves from this process's copy of them, and serves the
value only if all match, so nothing built from rows read before a commit can be served after it,
whoever stores it when. No key scans (Redis KEYS) anywhere.

If the cache fails (Redis gone or hanging), reads fall through to the database and writes carry
on; after a failure the cache is left alone for `CACHE_RETRY_SECONDS`, so a dead Redis costs one
short timeout, not one per request. The one exception is a write's bump after its commit, which
always tries Redis (a Redis that hangs costs each write one socket timeout, with no row lock
held) and, when that fails, bumps the database's half instead: when Redis answers again every
worker on every host sees the change, though only the writer saw the failure.

On the embedded default the cache is in-process, so a write made by another process (a
`manage.py` import, another worker) cannot bump this one's cache: there every write also bumps
the database's half, in its own transaction, and each process re-reads the halves at most once a
second (`IN_PROCESS_RECHECK_SECONDS`), so another process's write shows within a second.

A worker re-reads the database's halves (one query for all groups) when its copy is older than
the cache's socket timeout, and after any failure of its own, so a busy worker's hits cost no
query. After a Redis that hangs, no worker serves an answer from before the write: the bump fails
only after Redis has been silent for a whole socket timeout, and a worker takes its copy only
after Redis has answered it, so a copy taken before that silence is due when the worker reads
again, and one taken after it holds the bump (unless Redis thawed in the milliseconds the
writer took to commit the bump). When only the writer's host loses Redis (a partition), the
other workers may serve the old answer until their copy is due: at most one socket timeout. A
Redis that is restarted without its data starts every group afresh; one restored from a
snapshot would bring back old generations with old values, so keep persistence off (as the
deployment docs do) or flush it on restart.

Every other use of the cache on a request's path (rate-limit counters, callers' cached state)
goes through `guarded`, so it shares that back-off: a Redis that hangs costs the first request
its timeouts and the next ones nothing.
"""

import logging
import math
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, transaction
from django.http import HttpResponse
from django_redis.cache import RedisCache

from inventory_project.api.renderers import dumps
from inventory_project.http import metrics
from inventory_project.http.models import CacheGeneration

logger = logging.getLogger(__name__)

HIT = "HIT"
STALE = "STALE"
MISS = "MISS"
BYPASS = "BYPASS"

# Hits and misses of this process, by key prefix (the part before the first ":").
_counts: dict[str, dict[str, int]] = defaultdict(lambda: {"hits": 0, "misses": 0})
_unavailable_until = 0.0
# This process's copy of the database's halves: (monotonic time read, {group: value}).
_database_halves: tuple[float, dict[str, int]] | None = None
# The cache keys the cached answer of each request path (path and query) read last time in
# this process; a request of that path reads them ahead (`read_ahead_for`). Past the limit the
# path seen first goes: a flood of made-up query strings costs hits their round trip, no more.
_keys_of_path: OrderedDict[str, tuple[str, ...]] = OrderedDict()
KEYS_OF_PATHS_KEPT = 2048
# The path of the request in progress, and what was read ahead for it ({key: value or None}).
_request_path: ContextVar[str | None] = ContextVar("cached_request_path", default=None)
_read_ahead: ContextVar[dict | None] = ContextVar("cached_read_ahead", default=None)


def _generation_key(group: str) -> str:
    return f"generation:{group}"


def _failed(operation: str) -> None:
    global _unavailable_until, _database_halves
    _database_halves = None  # another worker's write may have missed Redis too
    _unavailable_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
    logger.warning(
        "Cache %s failed; serving from the database for %ss",
        operation,
        settings.CACHE_RETRY_SECONDS,
        exc_info=True,
    )


def _bump(groups: set[str]) -> None:
    """Give each group a new generation; every value built under the old one is dead."""
    # A generation that has to be created starts at a fresh random value, so a counter lost
    # to eviction can never come back to a number an old value carries.
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Set if missing, then increment, every group in one round trip (instead of two each:
        # every stock write bumps twice, in its transaction and after the commit).
        client = backend.client
        pipeline = client.get_client(write=True).pipeline(transaction=False)
        for group in sorted(groups):
            key = client.make_key(_generation_key(group))
            pipeline.set(key, uuid.uuid4().int >> 80, nx=True)
            pipeline.incr(key)
        pipeline.execute()
        return
    for group in groups:
        key = _generation_key(group)
        if not cache.add(key, uuid.uuid4().int >> 80, timeout=None):
            cache.incr(key)


def _bump_in_database(groups: set[str]) -> None:
    """Bump the database's half of each group's generation: one UPDATE once the rows exist."""
    if _update_database_halves(groups) < len(groups):
        # The first bump of a group makes its row; the groups bumped twice meanwhile lose nothing.
        for group in sorted(groups):
            CacheGeneration.objects.get_or_create(group=group)
        _update_database_halves(groups)


def _update_database_halves(groups: set[str]) -> int:
    # Plain SQL, as in `_database_generations`: on the embedded default every write runs it.
    table = connection.ops.quote_name(CacheGeneration._meta.db_table)
    group = connection.ops.quote_name("group")
    placeholders = ", ".join(["%s"] * len(groups))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = value + 1 WHERE {group} IN ({placeholders})",  # noqa: S608
            sorted(groups),  # one order for every writer: no deadlock between two of them
        )
        return cursor.rowcount


def _database_generations(groups: list[str]) -> tuple[int, ...]:
    global _database_halves
    now = time.monotonic()
    if _database_halves is None or now - _database_halves[0] >= _recheck_seconds():
        # Plain SQL for the whole (tiny) table: the ORM would cost more than the query itself.
        table = connection.ops.quote_name(CacheGeneration._meta.db_table)
        group = connection.ops.quote_name("group")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {group}, value FROM {table}")  # noqa: S608
            _database_halves = (now, dict(cursor.fetchall()))
    stored = _database_halves[1]
    return tuple(stored.get(name, 0) for name in groups)


# How long a process of the embedded default trusts its copy of the database's halves: the
# in-process cache of another process (a `manage.py` command, another worker) never sees this
# one's bumps, so there the database's half carries every write's bump.
IN_PROCESS_RECHECK_SECONDS = 1.0


def _in_process() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def _recheck_seconds() -> float:
    """How long a copy of the database's halves may be used: no longer than a failed bump takes."""
    if _in_process():
        return IN_PROCESS_RECHECK_SECONDS
    options = settings.CACHES["default"].get("OPTIONS", {})
    timeouts = [
        options[name] for name in ("SOCKET_TIMEOUT", "SOCKET_CONNECT_TIMEOUT") if name in options
    ]
    return min(map(float, timeouts)) if timeouts else math.inf


def _available() -> bool:
    return time.monotonic() >= _unavailable_until


T = TypeVar("T")


def guarded(operation: str, call: Callable[[], T], *, default: T | None = None) -> T | None:
    """`call()` on the cache, or `default` while the cache is known to be away.

    A failure answers `default` and leaves the cache alone for `CACHE_RETRY_SECONDS` (logged
    once), for every user of this module in this process.
    """
    if not _available():
        return default
    try:
        return call()
    except Exception:
        _failed(operation)
        return default


def keys_to_read_ahead(path: str) -> tuple[str, ...]:
    """The keys a request of `path` will read for its cached answer, as far as known."""
    return _keys_of_path.get(path, ())


@contextmanager
def read_ahead_for(path: str, values: dict | None) -> Iterator[None]:
    """Serve the request of `path` in this block, with `values` read ahead ({key: value|None}).

    A cached answer takes its keys from `values` when all of them are there, saving its round
    trip; what it reads is remembered for the next request of the same path.
    """
    path_token = _request_path.set(path)
    values_token = _read_ahead.set(values)
    try:
        yield
    finally:
        _read_ahead.reset(values_token)
        _request_path.reset(path_token)


def _remember_keys(keys: tuple[str, ...]) -> None:
    path = _request_path.get()
    if path is None:
        return
    if _keys_of_path.get(path) != keys:
        _keys_of_path[path] = keys
        if len(_keys_of_path) > KEYS_OF_PATHS_KEPT:
            _keys_of_path.popitem(last=False)


def _invalidate_now(groups: set[str]) -> None:
    """The bump inside the write's transaction: skipped while the cache is known to be away.

    An in-process cache also bumps the database's half here, so the bump commits with the
    write (on SQLite a commit of its own would cost each write about a third of a millisecond).
    """
    if _in_process():
        _bump_in_database(groups)
    if _available():
        try:
            _bump(groups)
        except Exception:
            _failed("invalidate")


def _invalidate_committed(groups: set[str]) -> None:
    """The bump after the commit: Redis's half if it answers, else the database's half.

    Tried even while reads back off: a bump left to the database's half while Redis answers
    again would outdate other workers' values only once their copy of that half is due. It runs
    after the commit, so a Redis that hangs holds no row lock of the write while it waits.
    """
    try:
        _bump(groups)
    except Exception:
        _failed("invalidate")
        _bump_in_database(groups)


def invalidate(*, groups: Iterable[str]) -> None:
    """Make every cached response of `groups` stale, now and again when the transaction commits."""
    stale = set(groups)
    _invalidate_now(stale)
    # After the commit the write stands: a failure to invalidate then is logged, never raised.
    transaction.on_commit(lambda: _invalidate_committed(stale), robust=True)


@dataclass(frozen=True)
class CachedEnvelope:
    """A response the API serves from the cache: its key, groups, lifetime and how to build it.

    The view answers `response()`; the maintenance job calls `warm()`, which stores exactly the
    bytes the view would have stored.
    """

    key: str
    ttl_setting: str
    build: Callable[[], dict]
    groups: tuple[str, ...]

    @property
    def timeout(self) -> int:
        return getattr(settings, self.ttl_setting)

    @property
    def _generation_keys(self) -> list[str]:
        return [_generation_key(group) for group in sorted(self.groups)]

    def _generations(self, found: dict) -> tuple | None:
        """Both halves of the groups' generations, or None if the cache lost one of its own."""
        in_cache = tuple(found.get(key) for key in self._generation_keys)
        if None in in_cache:
            return None
        return in_cache + _database_generations(sorted(self.groups))

    def _read(self) -> tuple[bytes | None, tuple | None]:
        """The stored body if still current, and the current generations (None: no cache)."""
        if not _available():
            return None, None
        keys = (self.key, *self._generation_keys)
        _remember_keys(keys)
        ahead = _read_ahead.get()
        try:
            if ahead is not None and all(key in ahead for key in keys):
                # Read in the round trip of this request's rate-limit counter, a moment ago.
                found = {key: ahead.pop(key) for key in keys}
                found = {key: value for key, value in found.items() if value is not None}
            else:
                found = cache.get_many(list(keys))
            if any(key not in found for key in self._generation_keys):
                # First use of a group (or its counter was evicted): create it, then read it
                # back; nothing stored before can be vouched for.
                for key in self._generation_keys:
                    cache.add(key, uuid.uuid4().int >> 80, timeout=None)
                found = cache.get_many(self._generation_keys)
        except Exception:
            _failed("get")
            return None, None
        generations = self._generations(found)
        if generations is None:
            return None, None
        stored = found.get(self.key)
        if stored is not None and stored[0] == generations:
            return stored[1], generations
        return None, generations

    def body(self) -> bytes:
        return dumps(self.build())

    def response(self) -> HttpResponse:
        prefix = self.key.split(":", 1)[0]
        # The generations are read before the rows: a write that commits meanwhile bumps
        # them, and a body built from the older rows is stored dead on arrival.
        body, generations = self._read()
        if body is not None:
            _counts[prefix]["hits"] += 1
            metrics.CACHE_HITS.labels(prefix).inc()
            state = HIT
        else:
            _counts[prefix]["misses"] += 1
            metrics.CACHE_MISSES.labels(prefix).inc()
            body = self.body()
            if generations is not None:
                try:
                    cache.set(self.key, (generations, body), self.timeout)
                except Exception:
                    _failed("set")
            state = MISS
        return HttpResponse(body, content_type="application/json", headers={"X-Cache": state})

    def warm(self) -> int:
        """Store a fresh body now; returns its size. Unlike a read, a failed store raises."""
        _stale, generations = self._read()
        if generations is None:
            raise ConnectionError("The cache is unavailable.")
        body = self.body()
        try:
            cache.set(self.key, (generations, body), self.timeout)
        except Exception:
            _failed("set")
            raise
        return len(body)

    def cached_body(self) -> bytes | None:
        """The body a read would serve now, or None (for tests and diagnostics)."""
        return self._read()[0]


def statistics() -> dict:
    """What the cache can say about itself: backend, hit rate, keys and memory where known."""
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    hits = sum(c["hits"] for c in _counts.values())
    misses = sum(c["misses"] for c in _counts.values())
    stats: dict = {"backend": backend, "available": _available()}
    if backend == "RedisCache":
        from django_redis import get_redis_connection

        connection = get_redis_connection("default")
        info = connection.info()
        hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
        db = f"db{connection.connection_pool.connection_kwargs.get('db', 0)}"
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
    """Forget failures and counts (after reconfiguring the cache, and between tests)."""
    global _unavailable_until, _database_halves
    _unavailable_until = 0.0
    _database_halves = None
    _counts.clear()
    _keys_of_path.clear()


def store_fresh_many(
    bodies: dict[str, bytes],
    fresh_setting: str = "FORECAST_CACHE_TTL",
    stale_setting: str = "CACHE_STALE_TTL",
) -> None:
    """Store many `StaleWhileRevalidate` bodies as fresh, in one round trip."""
    if not bodies or not _available():
        return
    timeout = getattr(settings, fresh_setting) + getattr(settings, stale_setting)
    now = time.time()
    try:
        cache.set_many({key: (now, body) for key, body in bodies.items()}, timeout)
    except Exception:
        _failed("set")


@dataclass(frozen=True)
class StaleWhileRevalidate:
    """A response cached with stale-while-revalidate, for answers that are costly to build.

    Fresh for `fresh_setting` seconds (`X-Cache: HIT`); then, for `stale_setting` seconds more,
    the stored body is still served at once (`X-Cache: STALE`) while one request, and only one
    (it takes a lock with `cache.add`), rebuilds it after its own answer has gone out (the
    rebuild runs when the server closes the response). Beyond that the body is rebuilt in the
    request (`MISS`). `store()` puts a fresh body in place ahead of reads (preloading).
    """

    key: str
    build: Callable[[], dict]
    fresh_setting: str = "FORECAST_CACHE_TTL"
    stale_setting: str = "CACHE_STALE_TTL"

    @property
    def _lock_key(self) -> str:
        return f"{self.key}:refreshing"

    def _get(self) -> tuple[float, bytes] | None:
        if not _available():
            return None
        try:
            return cache.get(self.key)
        except Exception:
            _failed("get")
            return None

    def store(self) -> bytes:
        """Build the body and store it as fresh; returns it."""
        body = dumps(self.build())
        if _available():
            fresh = getattr(settings, self.fresh_setting)
            stale = getattr(settings, self.stale_setting)
            try:
                cache.set(self.key, (time.time(), body), fresh + stale)
            except Exception:
                _failed("set")
        return body

    def _refresh(self) -> None:
        try:
            self.store()
        except Exception:
            logger.exception("Refreshing %s failed; the stale copy stays", self.key)
        finally:
            try:
                cache.delete(self._lock_key)
            except Exception:
                _failed("delete")

    def response(self) -> HttpResponse:
        prefix = self.key.split(":", 1)[0]
        stored = self._get()
        age = time.time() - stored[0] if stored else None
        fresh = getattr(settings, self.fresh_setting)
        stale = getattr(settings, self.stale_setting)
        refresh = False
        if stored is not None and age < fresh:
            state, body = HIT, stored[1]
        elif stored is not None and age < fresh + stale:
            state, body = STALE, stored[1]
            try:
                # The lock outlives a crashed refresh by at most the fresh period.
                refresh = cache.add(self._lock_key, 1, timeout=max(int(fresh), 1))
            except Exception:
                _failed("add")
        else:
            state, body = MISS, self.store()
        bucket = "hits" if state != MISS else "misses"
        _counts[prefix][bucket] += 1
        (metrics.CACHE_HITS if state != MISS else metrics.CACHE_MISSES).labels(prefix).inc()
        response = HttpResponse(body, content_type="application/json", headers={"X-Cache": state})
        if refresh:
            response._resource_closers.append(self._refresh)
        return response
