"""Logging: the request id on every line, JSON in production, colour in development, access log.

`LOG_FORMAT=json` (the default with DEBUG off) writes one JSON object a line; `text` writes
readable lines, coloured by level on a terminal. The access log writes one line per request with
method, route, status, duration, user and role; it never logs bodies, query strings or headers,
so no password or token reaches a log.
"""

import functools
import logging
import re
import sys
import time

from django.conf import settings
from django.utils.module_loading import import_string

from inventory_project.http.request_context import get_request_id

access_logger = logging.getLogger("inventory.access")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the request id of the work in progress ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id() or "-"
        return True


class DevFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL logger [request id] message`, the level coloured on a terminal."""

    COLOURS = {"DEBUG": "36", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "41"}

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")
        self.default_time_format = "%H:%M:%S"
        self.default_msec_format = None
        self.colour = sys.stderr.isatty()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if self.colour and record.levelname in self.COLOURS:
            level = f"{record.levelname:<7}"
            line = line.replace(level, f"\033[{self.COLOURS[record.levelname]}m{level}\033[0m", 1)
        return line


# The catch-all route that answers unknown paths; requests it serves are "unmatched".
NOT_FOUND_ROUTE_NAME = "not-found"
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_template(request) -> str:
    """The route a request matched, as a template: `/api/items/{sku}`; "unmatched" for 404s.

    Metrics and logs label by this, never by the raw path, so scans cannot explode cardinality.
    """
    cached = getattr(request, "_route_template", None)
    if cached is not None:  # the access log and the metrics both ask, once per request
        return cached
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route or match.url_name == NOT_FOUND_ROUTE_NAME:
        return "unmatched"
    route = _GROUP.sub(lambda m: "{" + m[1] + "}", match.route)
    route = route.replace("^", "").replace("$", "").replace("/?", "").replace("?", "")
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    request._route_template = "/" + route.strip("/")
    return request._route_template


@functools.cache
def _role_resolver(path: str):
    return import_string(path)


def _role_of(request) -> str | None:
    resolver = getattr(settings, "ACCESS_LOG_ROLE_RESOLVER", None)
    return _role_resolver(resolver)(request) if resolver else None


class AccessLogMiddleware:
    """One log line per request, after the response, with the fields ops search by."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        route = route_template(request)
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            route,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 3),
                "user": user.pk if authenticated else None,
                "role": _role_of(request) if authenticated else None,
            },
        )
        return response
