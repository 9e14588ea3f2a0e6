"""The ops assets: the Prometheus alert rules and the Grafana dashboard are well formed and only
use metrics that `/metrics` really exposes (`promtool check rules` too, where it is installed)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

from forecasting.models import ForecastRun

ROOT = Path(django_settings.BASE_DIR)
RULES = ROOT / "ops" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "inventory-dashboard.json"
DURATION = re.compile(r"^\d+[smhdw]$")
# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum",
    "rate",
    "by",
    "le",
    "clamp_min",
    "histogram_quantile",
    "time",
    "and",
    "or",
    "unless",
    "on",
    "ignoring",
    "without",
    "operation",
}


def _metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers outside label matchers and ranges."""
    bare = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    bare = re.sub(r"\[[^\]]*\]", "", bare)  # range selectors
    bare = re.sub(r"\([^()]*\bby\b\s*\([^)]*\)", "(", bare)
    bare = re.sub(r"\bby\s*\([^)]*\)", "", bare)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
    return {name for name in names if name not in PROMQL_WORDS and not re.fullmatch(r"e\d*", name)}


def _balanced(expr: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for char in re.sub(r'"[^"]*"', "", expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


@pytest.fixture
def exposed_metrics(db, api_client):
    """The metric names of a real scrape, after traffic, a cache hit and a forecast run."""
    api_client.get("/api/items")
    api_client.get("/api/items")  # a hit
    ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end="2026-01-01",
        average_wape=0.3,
        average_item_mape=40.0,
        items_done=3,
    )
    from inventory_project.jobs.runner import run_job

    run_job("maintenance", lambda context: {"success": True})
    body = api_client.get("/metrics").content.decode()
    return {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1].isalpha()}


def _rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_alert_rules_are_well_formed():
    document = yaml.safe_load(RULES.read_text())

    assert document["groups"]
    for group in document["groups"]:
        assert group["name"]
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["alert"]
            assert rule["annotations"]["summary"]
            assert rule["labels"]["severity"] in {"page", "ticket"}
            assert DURATION.match(rule.get("for", "0s")), rule
            assert _balanced(rule["expr"]), rule["alert"]


def test_the_alert_rules_cover_errors_latency_stale_jobs_and_forecast_health():
    used = set().union(*(_metric_names(rule["expr"]) for rule in _rules()))

    assert {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "job_last_success_timestamp_seconds",
        "forecast_health_failing",
    } <= used


def test_the_alert_rules_use_only_exposed_metrics(exposed_metrics):
    for rule in _rules():
        missing = _metric_names(rule["expr"]) - exposed_metrics
        assert not missing, f"{rule['alert']}: {missing}"


def test_the_dashboard_uses_only_exposed_metrics(exposed_metrics):
    dashboard = json.loads(DASHBOARD.read_text())

    assert dashboard["uid"]
    assert dashboard["title"]
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert _balanced(target["expr"]), panel["title"]
            missing = _metric_names(target["expr"]) - exposed_metrics
            assert not missing, f"{panel['title']}: {missing}"


def test_the_dashboard_shows_latency_errors_cache_jobs_and_accuracy():
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in _metric_names(target["expr"])
    }

    assert {
        "http_request_duration_seconds_bucket",
        "http_requests_total",
        "cache_hits_total",
        "job_last_duration_seconds",
        "job_last_run_status",
        "forecast_average_wape",
    } <= used


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules():
    result = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr
