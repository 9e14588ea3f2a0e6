"""Prometheus metrics under the wire contract's names, and the /metrics endpoint.

This module keeps the names existing dashboards read, and `MetricsMiddleware` is the one layer
that times and counts a request: `http_request_duration_seconds`, `http_requests_total`,
`http_requests_in_progress` (labels method, route template, status code; never the raw path),
`cache_hits_total` / `cache_misses_total` (label cache_key_prefix) and
`database_query_duration_seconds`. Job metrics are read from the job runs at scrape time, so
they cover jobs that ran on any host. Under the web server, `PROMETHEUS_MULTIPROC_DIR` (set by
`inventory_project.server`) makes every worker's numbers add up in one scrape.
"""

import hmac
import os
import re
import time

import prometheus_client
from django.conf import settings
from django.db import DatabaseError
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

from inventory_project.api.exceptions import failure_body
from inventory_project.http.logging import route_template
from inventory_project.http.request_context import address_in_networks, client_address

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Request latency.",
    ["method", "route", "status_code"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter("http_requests", "Requests answered.", ["method", "route", "status_code"])
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "Requests being served.",
    ["method"],
    multiprocess_mode="livesum",
)
CACHE_HITS = Counter("cache_hits", "Cached responses served.", ["cache_key_prefix"])
CACHE_MISSES = Counter("cache_misses", "Cached responses built afresh.", ["cache_key_prefix"])
DATABASE_QUERY_DURATION = Histogram(
    "database_query_duration_seconds",
    "Time of each SQL statement.",
    ["operation"],
    buckets=QUERY_BUCKETS,
)

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_OPERATIONS = frozenset({"select", "insert", "update", "delete", "savepoint", "release"})


class MetricsMiddleware:
    """Count and time every request under its route template."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        method = request.method if request.method in _KNOWN_METHODS else "OTHER"
        in_progress = HTTP_IN_PROGRESS.labels(method)
        in_progress.inc()
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            in_progress.dec()
        labels = (method, route_template(request), str(response.status_code))
        HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(*labels).inc()
        return response


def _time_query(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        word = sql.lstrip().split(None, 1)[0].lower() if sql and sql.strip() else ""
        operation = word if word in _OPERATIONS else "other"
        DATABASE_QUERY_DURATION.labels(operation).observe(time.perf_counter() - started)


def _observe_queries(sender, connection, **kwargs):
    if _time_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_time_query)


connection_created.connect(_observe_queries, dispatch_uid="inventory_project.http.metrics.queries")


class JobRunCollector:
    """Job metrics from the job runs table: last success time, last duration, last outcome."""

    def collect(self):
        from inventory_project.jobs.models import JobRun
        from inventory_project.jobs.runner import last_runs

        last_success = GaugeMetricFamily(
            "job_last_success_timestamp_seconds", "When each job last succeeded.", labels=["job"]
        )
        duration = GaugeMetricFamily(
            "job_last_duration_seconds", "Duration of each job's last run.", labels=["job"]
        )
        outcome = GaugeMetricFamily(
            "job_last_run_status",
            "1 for the status of each job's last run.",
            labels=["job", "status"],
        )
        try:
            runs = last_runs()
            successes = last_runs(status=JobRun.Status.SUCCEEDED)
        except DatabaseError:
            return
        for name, run in runs.items():
            duration.add_metric([name], run["duration_seconds"] or 0.0)
            outcome.add_metric([name, run["status"]], 1.0)
        for name, run in successes.items():
            finished = run["finished_at"] or run["started_at"]
            last_success.add_metric([name], finished.timestamp())
        yield from (last_success, duration, outcome)


# Gauges read from the database at scrape time (the same for every worker, so not summed).
_JOB_REGISTRY = CollectorRegistry(auto_describe=False)
_JOB_REGISTRY.register(JobRunCollector())


def register_database_collector(collector) -> None:
    """Add an app's collector of database-read gauges to `/metrics` (apps call it in ready())."""
    if collector not in _JOB_REGISTRY._collector_to_names:
        _JOB_REGISTRY.register(collector)


_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def forget_dead_workers(folder: str) -> None:
    """Drop the live gauges (requests in progress) of workers that are gone.

    A worker the server replaced, or one that was killed mid-request, would otherwise be
    counted as serving its last requests for ever. Its counters and histograms stay: they are
    what it served.
    """
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        match = _LIVE_GAUGE_FILE.match(name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), folder)


def _scrape_allowed(request) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return settings.METRICS_OPEN_WITHOUT_RESTRICTION
    if token:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        # As bytes: compare_digest refuses a str that is not ASCII, and any client can send one.
        if supplied and hmac.compare_digest(supplied.encode(), token.encode()):
            return True
    return address_in_networks(client_address(request), networks)


@csrf_exempt  # a scrape sends no cookie; another method gets the envelope's 405, not CSRF's page
def metrics_view(request):
    """GET /metrics: Prometheus text, all workers summed under the web server."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            failure_body(f'Method "{request.method}" not allowed.', code="method_not_allowed"),
            status=405,
        )
        response["Allow"] = "GET, HEAD"
        return response
    if not _scrape_allowed(request):
        return JsonResponse(failure_body("Metrics are restricted", code="forbidden"), status=403)
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        forget_dead_workers(folder)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(
        _JOB_REGISTRY
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
