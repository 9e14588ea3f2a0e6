"""Rate limits on /api/*: per IP for anonymous callers, per user when authenticated.

Failed logins are limited per e-mail and per IP too; password reset requests per e-mail and per
IP, reset confirmations per IP and password changes per user. Counters live in the default cache
(through django-ratelimit for the tiers), so on Redis every worker and host counts together.
Health and metrics are never limited (probes and scrapers). If the cache is unreachable the
limits fail open and log it: an outage of Redis must not become an outage of the API.
"""

import contextlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django_ratelimit.core import get_usage
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.emails import email_key
from accounts.tokens import AccessToken
from inventory_project.api.exceptions import failure_body
from inventory_project.http.request_context import client_address
from inventory_project.http.response_cache import guarded

TOO_MANY_REQUESTS = "Too many requests, please try again later."
# Probes are never limited; the login route has its own limits on failures, so that an office
# behind one address can sign everyone in at nine without hitting the anonymous tier.
UNLIMITED_PATH_PREFIXES = ("/api/health", "/api/auth/login")
LIMITED_PATH_PREFIXES = ("/api/", "/jobs/")


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


def _usage(request, *, group: str, key: str, limit: int, window_min: int, increment: bool):
    # Any cache failure fails open (no limit) and backs off with the response cache.
    return guarded(
        f"rate-limit counter {group}",
        lambda: get_usage(
            request,
            group=group,
            key=lambda _group, _request: key,
            rate=f"{limit}/{window_min}m",
            increment=increment,
        ),
    )


def _bearer_user_id(request) -> str | None:
    """The user id of a valid access token, checked without touching the database.

    `AccessToken` is ours, so a token signed with `JWT_SECRET_PREVIOUS` counts for its user too.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.split()
    if len(parts) != 2 or parts[0] not in jwt_settings.AUTH_HEADER_TYPES:
        return None
    try:
        token = AccessToken(parts[1])
    except TokenError:
        return None
    return str(token.get(jwt_settings.USER_ID_CLAIM, "")) or None


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


class ApiRateLimitMiddleware:
    """Count every /api/* and /jobs/* request against its caller's tier; 429 past the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not path.startswith(LIMITED_PATH_PREFIXES) or path.startswith(UNLIMITED_PATH_PREFIXES):
            return self.get_response(request)
        user_id = _bearer_user_id(request)
        if user_id is None and getattr(request, "user", None) and request.user.is_authenticated:
            user_id = str(request.user.pk)
        if user_id is not None:
            usage = _usage(
                request,
                group="api-authenticated",
                key=f"user:{user_id}",
                limit=settings.RATE_LIMIT_MAX_AUTH,
                window_min=settings.RATE_LIMIT_WINDOW_MIN,
                increment=True,
            )
        else:
            usage = _usage(
                request,
                group="api-anonymous",
                key=f"ip:{client_ip(request)}",
                limit=settings.RATE_LIMIT_MAX,
                window_min=settings.RATE_LIMIT_WINDOW_MIN,
                increment=True,
            )
        if usage is not None and usage["should_limit"]:
            return too_many_requests(usage)
        response = self.get_response(request)
        # A route with limits of its own (password reset) that refused the call names its limit.
        if usage is not None and "RateLimit-Limit" not in response:
            set_rate_limit_headers(response, usage)
        return response


# --- failed logins -------------------------------------------------------------------------
# Every password check, whatever the door (API login, admin login), goes through
# `accounts.backends.EmailBackend`, which counts an attempt *before* checking the password and
# takes it back when the password was right. Counting first makes the limit hold under a burst
# of parallel guesses; taking successes back means an office signing in normally never hits it.


def _login_counter_keys(request, email: str) -> list[tuple[str, int]]:
    window = settings.LOGIN_RATE_LIMIT_WINDOW_MIN * 60
    slot = int(time.time() // window)
    # Per identity, the key the user lookup uses too (`User.objects.get_by_email`): every
    # spelling of an address that reaches an account counts on that account's counter.
    return [
        (f"login-failures:email:{email_key(email)}:{slot}", settings.LOGIN_RATE_LIMIT_PER_EMAIL),
        (f"login-failures:ip:{client_ip(request)}:{slot}", settings.LOGIN_RATE_LIMIT_PER_IP),
    ]


def _window_left() -> int:
    window = settings.LOGIN_RATE_LIMIT_WINDOW_MIN * 60
    return int(window - time.time() % window)


def _login_usage(limit: int, count: int) -> dict:
    return {"limit": limit, "count": count, "time_left": _window_left(), "should_limit": True}


def login_blocked(request, email: str) -> dict | None:
    """The exhausted counter when this e-mail or IP has failed too often (read only)."""
    if not settings.RATELIMIT_ENABLE:
        return None
    counts = guarded(
        "login counters",
        lambda: cache.get_many([key for key, _limit in _login_counter_keys(request, email)]),
    )
    if counts is None:
        return None
    for key, limit in _login_counter_keys(request, email):
        if counts.get(key, 0) >= limit:
            return _login_usage(limit, counts[key])
    return None


def begin_login_attempt(request, email: str) -> dict | None:
    """Count one attempt; answers the exhausted counter when it went over the limit."""
    if not settings.RATELIMIT_ENABLE:
        return None
    timeout = settings.LOGIN_RATE_LIMIT_WINDOW_MIN * 60 + 5
    counters = _login_counter_keys(request, email)
    # The same keys are taken back on success, even if the window turned in between.
    _counted_attempts(request)[email_key(email)] = [key for key, _limit in counters]

    def count() -> dict | None:
        blocked = None
        for key, limit in counters:
            cache.add(key, 0, timeout)
            attempts = cache.incr(key)
            if attempts > limit and blocked is None:
                blocked = _login_usage(limit, attempts)
        return blocked

    return guarded("login counters", count)


def end_login_attempt(request, email: str) -> None:
    """The password was right: the attempt does not count as a failure."""
    if not settings.RATELIMIT_ENABLE:
        return

    keys = _counted_attempts(request).pop(email_key(email), None)
    if keys is None:
        keys = [key for key, _limit in _login_counter_keys(request, email)]

    def take_back() -> None:
        for key in keys:
            # A counter that expired meanwhile raises ValueError: nothing to take back.
            with contextlib.suppress(ValueError):
                cache.decr(key)

    guarded("login counters", take_back)


def _counted_attempts(request) -> dict[str, list[str]]:
    """The counter keys each e-mail's attempt counted in this request."""
    if not hasattr(request, "_login_counter_keys"):
        request._login_counter_keys = {}
    return request._login_counter_keys


# --- password reset and change -------------------------------------------------------------
# Unlike failed logins, every request counts, and it counts before anything is done: a request
# over the limit sends no mail, checks no token and changes no password. Fixed windows of
# PASSWORD_RATE_LIMIT_WINDOW_MIN; e-mail addresses count by their hashed key (`accounts.emails`),
# so no address sits in the cache.


def _count_attempt(counters: list[tuple[str, int]]) -> dict | None:
    """Count one attempt on each (name, limit) counter; the first one now over its limit."""
    if not settings.RATELIMIT_ENABLE:
        return None
    window = settings.PASSWORD_RATE_LIMIT_WINDOW_MIN * 60
    now = time.time()
    slot = int(now // window)

    def count() -> dict | None:
        blocked = None
        for name, limit in counters:
            key = f"{name}:{slot}"
            cache.add(key, 0, window + 5)
            attempts = cache.incr(key)
            if attempts > limit and blocked is None:
                blocked = {
                    "limit": limit,
                    "count": attempts,
                    "time_left": int(window - now % window),
                    "should_limit": True,
                }
        return blocked

    return guarded("password rate-limit counters", count)


def password_reset_request_attempt(request, email: str) -> dict | None:
    """Count a reset request per e-mail and per IP; the exhausted counter when over a limit."""
    return _count_attempt(
        [
            (
                f"password-reset:email:{email_key(email)}",
                settings.PASSWORD_RESET_RATE_LIMIT_PER_EMAIL,
            ),
            (f"password-reset:ip:{client_ip(request)}", settings.PASSWORD_RESET_RATE_LIMIT_PER_IP),
        ]
    )


def password_reset_confirm_attempt(request) -> dict | None:
    """Count a reset confirmation per IP (each one is a guess at a token)."""
    return _count_attempt(
        [
            (
                f"password-reset-confirm:ip:{client_ip(request)}",
                settings.PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP,
            )
        ]
    )


def password_change_attempt(user_id) -> dict | None:
    """Count a password change per user."""
    return _count_attempt(
        [(f"password-change:user:{user_id}", settings.PASSWORD_CHANGE_RATE_LIMIT_PER_USER)]
    )
