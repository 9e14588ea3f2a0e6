"""Rate limits: the limits of `settings.RATE_LIMITS`, all counted by django-ratelimit.

Each row of the table names a group, the routes it guards, what it counts per (`ip`, `user`,
`email`), and the settings holding its limit and its window. Every counter is django-ratelimit's
`get_usage` in the default cache, so on Redis every worker and host counts together; a window
is fixed, of the row's length, and starts at an offset of django-ratelimit's per counter.

`ApiRateLimitMiddleware` counts the API tiers: every request under their routes, per user for
signed-in callers (a bearer token's user comes from `RATE_LIMIT_USER_KEY`, a dotted path to a
function of the request, so this module knows no token format), per IP for the others. Health
and the login route are never counted there (`RATE_LIMIT_UNLIMITED_ROUTES`). The other rows are
counted with `over_limit` by the views that know their keys.

If the cache is unreachable the limits fail open and log it (through `guarded`, which also backs
off): an outage of Redis must not become an outage of the API.
"""

import contextlib
import functools
import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, get_usage
from django_redis.cache import RedisCache

from inventory_project.api.exceptions import failure_body
from inventory_project.http.request_context import client_address
from inventory_project.http.response_cache import guarded, keys_to_read_ahead, read_ahead_for

TOO_MANY_REQUESTS = "Too many requests, please try again later."
API_ANONYMOUS = "api-anonymous"
API_AUTHENTICATED = "api-authenticated"


@dataclass(frozen=True)
class RateLimit:
    """One row of `RATE_LIMITS`, with its limit and window as the settings hold them now."""

    group: str
    routes: tuple[str, ...]
    per: str
    limit: int
    window_seconds: int

    @property
    def rate(self) -> str:
        return f"{self.limit}/{self.window_seconds}s"

    def counted_value(self, value: str) -> str:
        """What django-ratelimit counts on: `<per>:<value>` (`ip:192.0.2.1`, `user:7`)."""
        return f"{self.per}:{value}"


def declared_limit(group: str) -> RateLimit:
    """`group`'s row of `RATE_LIMITS`; its settings are read now, so an override holds."""
    routes, per, limit_setting, window_setting = settings.RATE_LIMITS[group]
    return RateLimit(
        group=group,
        routes=tuple(routes),
        per=per,
        limit=getattr(settings, limit_setting),
        window_seconds=getattr(settings, window_setting) * 60,
    )


def _counting_unit(address: str) -> str:
    """One IPv4 address, or a whole IPv6 /64: one subscriber holds a /64 and could rotate in it."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def client_ip(request) -> str:
    """The caller's counting unit: its address (see `client_address`), IPv6 callers per /64."""
    return _counting_unit(client_address(request))


# --- counting ---------------------------------------------------------------------------------


def _window_and_key(limit: RateLimit, counted: str) -> tuple[int, str]:
    """The end of the counter's current window, and its key: django-ratelimit's own."""
    window = _get_window(counted, limit.window_seconds)
    return window, _make_cache_key(limit.group, window, limit.rate, counted, ALL)


def _counted_on_redis(
    request, cache: RedisCache, limit: RateLimit, counted: str, read_along: list[str]
) -> dict:
    """What `get_usage` answers when it counts, in one round trip instead of its two.

    `get_usage` adds the key with 1 (SET NX) and, when it was there, increments it (a script):
    two round trips of each API request. Here both go in one pipeline: set 0 if missing, then
    increment, which counts exactly the same, in the same key, with the same expiry. The keys
    of `read_along` are read in the same pipeline, for `read_ahead` to answer.
    """
    window, key = _window_and_key(limit, counted)
    client = cache.client
    pipeline = client.get_client(write=True).pipeline(transaction=False)
    pipeline.set(client.make_key(key), 0, nx=True, ex=limit.window_seconds + EXPIRATION_FUDGE)
    pipeline.incr(client.make_key(key))
    for name in read_along:
        pipeline.get(client.make_key(name))
    _added, count, *values = pipeline.execute()
    request.cache_read_ahead = {
        name: None if value is None else client.decode(value)
        for name, value in zip(read_along, values, strict=True)
    }
    return {
        "count": count,
        "limit": limit.limit,
        "should_limit": count > limit.limit,
        "time_left": window - int(time.time()),
    }


def _usage(
    request, limit: RateLimit, value: str, *, increment: bool, read_along: list[str] = ()
) -> dict | None:
    if not settings.RATELIMIT_ENABLE:  # as `get_usage` answers when limits are off
        return None
    counted = limit.counted_value(value)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if increment and isinstance(cache, RedisCache):
        return _counted_on_redis(request, cache, limit, counted, list(read_along))
    return get_usage(
        request,
        group=limit.group,
        key=lambda _group, _request: counted,
        rate=limit.rate,
        increment=increment,
    )


def count(request, group: str, value: str, *, read_along: list[str] = ()) -> dict | None:
    """Count one request on `group`'s counter for `value`.

    Answers django-ratelimit's usage (`count`, `limit`, `time_left`, `should_limit`), or None
    when limits are off or the cache failed (any cache failure fails open). On Redis the cache
    keys of `read_along` are read in the same round trip (see `read_ahead`).
    """
    limit = declared_limit(group)
    return guarded(
        f"rate-limit counter {group}",
        lambda: _usage(request, limit, value, increment=True, read_along=read_along),
    )


_NOT_READ = object()


def read_ahead(request, key: str, read: Callable[[], Any]) -> Any:
    """The cache's value of `key` as read along with this request's counter, else `read()`.

    A cached API request reads its caller's state right after the counter; reading it in the
    counter's round trip saves a round trip of every such request. Only a key read along
    (`RATE_LIMIT_READ_ALONG`) is answered from that read, and only once.
    """
    value = getattr(request, "cache_read_ahead", {}).pop(key, _NOT_READ)
    return read() if value is _NOT_READ else value


def over_limit(
    request, counters: Iterable[tuple[str, str]], *, increment: bool = True
) -> dict | None:
    """Count one request on each (group, value) counter; the usage of the first over its limit.

    With `increment=False` nothing is counted: the answer is the first counter that the next
    request would take over its limit. None when no counter is over, limits are off or the
    cache failed.
    """
    if not settings.RATELIMIT_ENABLE:
        return None
    limits = [(declared_limit(group), value) for group, value in counters]

    def check() -> dict | None:
        over = None
        for limit, value in limits:
            usage = _usage(request, limit, value, increment=increment)
            if usage is None or over is not None:
                continue
            # Counted, a counter is over past its limit; unread, one already at its limit is.
            if usage["count"] > limit.limit - (0 if increment else 1):
                over = {**usage, "should_limit": True}
                if not increment:
                    break
        return over

    return guarded("rate-limit counters " + ", ".join(limit.group for limit, _ in limits), check)


def counter_key(group: str, value: str) -> str:
    """The cache key `get_usage` counts `group`'s counter for `value` under, in this window."""
    limit = declared_limit(group)
    return _window_and_key(limit, limit.counted_value(value))[1]


def take_back(keys: Iterable[str]) -> None:
    """Take one count back from each counter (keys from `counter_key`, taken when counting).

    A counter that expired meanwhile is left alone: there is nothing to take back.
    """
    if not settings.RATELIMIT_ENABLE:
        return
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]

    def uncount() -> None:
        for key in keys:
            with contextlib.suppress(ValueError):
                cache.decr(key)

    guarded("rate-limit counters", uncount)


# --- answers ----------------------------------------------------------------------------------


def too_many_requests(usage: dict) -> JsonResponse:
    response = JsonResponse(failure_body(TOO_MANY_REQUESTS, code="rate_limited"), status=429)
    set_rate_limit_headers(response, usage)
    response["Retry-After"] = str(max(int(usage["time_left"]), 1))
    return response


def set_rate_limit_headers(response, usage: dict) -> None:
    """The IETF draft's `RateLimit-*` headers, and the legacy `X-RateLimit-*` ones.

    The legacy ones are express-rate-limit 7's defaults, which the wire contract's consumers read;
    there `X-RateLimit-Reset` is the Unix time at which the window ends, not seconds left.
    """
    limit = str(usage["limit"])
    remaining = str(max(usage["limit"] - usage["count"], 0))
    seconds_left = max(math.ceil(usage["time_left"]), 0)
    response["RateLimit-Limit"] = response["X-RateLimit-Limit"] = limit
    response["RateLimit-Remaining"] = response["X-RateLimit-Remaining"] = remaining
    response["RateLimit-Reset"] = str(seconds_left)
    response["X-RateLimit-Reset"] = str(math.ceil(time.time()) + seconds_left)


# --- the API tiers ----------------------------------------------------------------------------


@functools.cache
def _user_key(path: str):
    return import_string(path)


def _user_id(request) -> str | None:
    """The caller's user id: its bearer token's (`RATE_LIMIT_USER_KEY`), or its session's."""
    path = getattr(settings, "RATE_LIMIT_USER_KEY", None)
    user_id = _user_key(path)(request) if path else None
    if user_id is None and getattr(request, "user", None) and request.user.is_authenticated:
        user_id = str(request.user.pk)
    return user_id


def _read_along(user_id: str) -> list[str]:
    path = getattr(settings, "RATE_LIMIT_READ_ALONG", None)
    return list(_user_key(path)(user_id)) if path else []


class ApiRateLimitMiddleware:
    """Count every request under the API tiers' routes against its caller's tier; 429 past it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        anonymous = declared_limit(API_ANONYMOUS)
        authenticated = declared_limit(API_AUTHENTICATED)
        if not path.startswith(anonymous.routes + authenticated.routes) or path.startswith(
            tuple(settings.RATE_LIMIT_UNLIMITED_ROUTES)
        ):
            return self.get_response(request)
        user_id = _user_id(request)
        if user_id is not None:
            tier, value = authenticated, user_id
        else:
            tier, value = anonymous, client_ip(request)
        if not path.startswith(tier.routes):
            return self.get_response(request)
        read_along = _read_along(user_id) if user_id is not None else []
        # The keys of the cached answer this path read last time go in the same round trip.
        path_and_query = request.get_full_path()
        answer_keys = keys_to_read_ahead(path_and_query)
        usage = count(request, tier.group, value, read_along=[*read_along, *answer_keys])
        if usage is not None and usage["should_limit"]:
            return too_many_requests(usage)
        read = getattr(request, "cache_read_ahead", {})
        ahead = {key: read.pop(key) for key in answer_keys if key in read}
        with read_ahead_for(path_and_query, ahead or None):
            response = self.get_response(request)
        # A route with limits of its own (password reset) that refused the call names its limit.
        if usage is not None and "RateLimit-Limit" not in response:
            set_rate_limit_headers(response, usage)
        return response
