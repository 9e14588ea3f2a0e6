"""Metrics: the v20 names and labels after real requests, jobs, access control, and numbers summed
over several web server workers."""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from prometheus_client import REGISTRY

from tests.helpers import free_port, start_web_server

pytestmark = pytest.mark.django_db


def _value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _metrics_text(client, **headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_requests_are_counted_and_timed_by_route_template(api_client, item, client):
    labels = {"method": "GET", "route": "/api/items/{sku}", "status_code": "200"}
    before = _value("http_requests_total", **labels)
    timed_before = _value("http_request_duration_seconds_count", **labels)

    api_client.get(f"/api/items/{item.sku}")

    assert _value("http_requests_total", **labels) == before + 1
    assert _value("http_request_duration_seconds_count", **labels) == timed_before + 1
    text = _metrics_text(client)
    assert 'route="/api/items/{sku}"' in text
    assert item.sku not in text


def test_unknown_paths_share_one_label(anon_client, client):
    for n in range(3):
        anon_client.get(f"/api/scan-{n}.php")

    text = _metrics_text(client)

    assert "scan-" not in text
    assert 'route="unmatched"' in text


def test_cache_hits_and_misses_are_counted_by_key_prefix(api_client, item):
    hits, misses = (
        _value("cache_hits_total", cache_key_prefix="items"),
        _value("cache_misses_total", cache_key_prefix="items"),
    )

    api_client.get("/api/items")
    api_client.get("/api/items")

    assert _value("cache_misses_total", cache_key_prefix="items") == misses + 1
    assert _value("cache_hits_total", cache_key_prefix="items") == hits + 1


def test_database_queries_are_timed(api_client, item):
    before = _value("database_query_duration_seconds_count", operation="select")

    api_client.get("/api/items?limit=5")

    assert _value("database_query_duration_seconds_count", operation="select") > before


def test_in_progress_gauge_counts_only_the_requests_being_served(api_client, client):
    api_client.get("/api/health")

    text = _metrics_text(client)

    # The health call is over; the scrape itself is the one GET in progress.
    assert 'http_requests_in_progress{method="GET"} 1.0' in text


def test_a_request_is_timed_by_one_metrics_layer_only(api_client, client):
    api_client.get("/api/health")

    text = _metrics_text(client)

    timers = {line.split("{")[0] for line in text.splitlines() if "_seconds_count{" in line}
    request_timers = {name for name in timers if "request" in name}
    assert request_timers == {"http_request_duration_seconds_count"}


def test_job_metrics_come_from_the_job_runs(client, item):
    call_command("maintenance")

    text = _metrics_text(client)

    assert re.search(r'job_last_success_timestamp_seconds\{job="maintenance"\} \d', text)
    assert 'job_last_run_status{job="maintenance",status="succeeded"} 1.0' in text
    assert 'job_last_duration_seconds{job="maintenance"}' in text


def test_metrics_need_the_scrape_token_when_one_is_set(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-secret-123"

    refused = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-123")

    assert refused.status_code == 403
    assert wrong.status_code == 403
    assert allowed.status_code == 200


def test_metrics_are_open_to_allowed_networks(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    inside = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="192.0.2.1")

    assert inside.status_code == 200
    assert outside.status_code == 403


def test_metrics_are_closed_outside_debug_when_nothing_is_configured(client, settings):
    settings.METRICS_OPEN_WITHOUT_RESTRICTION = False

    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"http_requests_total" not in response.content


def test_metrics_are_closed_by_the_production_settings():
    # The settings module as production loads it: DEBUG off and no scrape restriction set.
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "s" * 50,
        "JWT_SECRET": "j" * 50,
        "METRICS_BEARER_TOKEN": "",
        "METRICS_ALLOWED_NETWORKS": "",
    }
    code = "from django.conf import settings; print(settings.METRICS_OPEN_WITHOUT_RESTRICTION)"
    answer = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=django_settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "inventory_project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert answer.stdout.strip() == "False"


def test_a_forged_forwarded_for_does_not_open_metrics_to_an_outside_caller(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    forged = client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3")
    via_proxy = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")

    assert forged.status_code == 403
    assert via_proxy.status_code == 200


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback only)
        return answer.read()


@pytest.mark.skipif(django_settings.REDIS_URL != "", reason="runs once, on the embedded default")
def test_metrics_are_summed_over_two_web_server_workers():
    work = Path(tempfile.mkdtemp(prefix="metrics-test-"))
    port = free_port()
    server = start_web_server(
        work,
        PROMETHEUS_MULTIPROC_DIR=str(work / "prometheus"),
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # Both workers must have served some: the kernel may hand a short burst to one of them.
        sent = 1
        worker_files = set()
        while len(worker_files) < 2 and sent < 2000:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda _: _get(f"{base}/api/health"), range(59)))
            sent += 59
            worker_files = {p.name for p in (work / "prometheus").glob("counter_*.db")}
        text = _get(f"{base}/metrics").decode()
    finally:
        server.terminate()
        server.wait(timeout=30)

    served = re.search(
        r'http_requests_total\{method="GET",route="/api/health",status_code="200"\} (\S+)', text
    )
    assert len(worker_files) >= 2
    assert float(served.group(1)) == sent


IN_PROGRESS_OF_A_WORKER = """
from prometheus_client import Gauge
gauge = Gauge("http_requests_in_progress", "", ["method"], multiprocess_mode="livesum")
gauge.labels("GET").inc()
"""


def test_requests_in_progress_forget_a_worker_that_is_gone(client, settings, tmp_path, monkeypatch):
    # A worker killed mid-request leaves its live gauge at 1; it has ended, so it serves nothing.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", IN_PROGRESS_OF_A_WORKER], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings.METRICS_OPEN_WITHOUT_RESTRICTION = True
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert list(tmp_path.glob("gauge_livesum_*.db"))

    text = client.get("/metrics").content.decode()

    assert 'http_requests_in_progress{method="GET"} 1.0' not in text
    assert not list(tmp_path.glob("gauge_livesum_*.db"))


def test_a_token_that_is_not_ascii_is_refused_not_a_server_error(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-secret-123"

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer é")

    assert response.status_code == 403


def test_a_malformed_allowed_network_is_a_check_error(settings):
    from inventory_project.checks import check_trusted_proxies

    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "not-a-network"]

    errors = check_trusted_proxies(None)

    assert [e.id for e in errors] == ["inventory.E002"]
    assert "METRICS_ALLOWED_NETWORKS" in errors[0].msg


def test_a_malformed_trusted_proxy_is_a_check_error(settings):
    from inventory_project.checks import check_trusted_proxies

    settings.TRUSTED_PROXIES = ["10.0.0.5", "nginx.local"]

    errors = check_trusted_proxies(None)

    assert [e.id for e in errors] == ["inventory.E002"]
    assert "TRUSTED_PROXIES" in errors[0].msg


def test_a_malformed_allowed_network_left_in_production_does_not_break_scrapes(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["not-a-network", "10.0.0.0/8"]

    inside = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="192.0.2.1")

    assert inside.status_code == 200
    assert outside.status_code == 403


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_another_method_on_metrics_is_a_405_in_the_envelope(client, method):
    response = getattr(client, method)("/metrics")

    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "error": f'Method "{method.upper()}" not allowed.',
        "code": "method_not_allowed",
    }
    assert response["Allow"] == "GET, HEAD"
