"""The forecast gauges of /metrics come from the latest succeeded daily run."""

import re

import pytest

from forecasting.models import ForecastRun

pytestmark = pytest.mark.django_db


def _gauge(body: str, name: str) -> float | None:
    match = re.search(rf"^{name} (\S+)$", body, re.MULTILINE)
    return float(match.group(1)) if match else None


def _run(**fields) -> ForecastRun:
    return ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST, history_end="2026-01-01", **fields
    )


def test_the_gauges_describe_the_latest_succeeded_run(anon_client, settings):
    settings.MAPE_THRESHOLD = 25.0
    _run(status=ForecastRun.Status.SUCCEEDED, average_wape=0.2, health="passing", items_done=5)
    _run(
        status=ForecastRun.Status.SUCCEEDED,
        average_wape=0.31,
        baseline_wape=0.26,
        average_item_mape=44.5,
        health=ForecastRun.Health.FAILING,
        high_variance_count=2,
        items_done=7,
    )
    _run(status=ForecastRun.Status.FAILED, average_wape=0.9)  # not the latest succeeded

    body = anon_client.get("/metrics").content.decode()

    assert _gauge(body, "forecast_average_wape") == 0.31
    assert _gauge(body, "forecast_baseline_wape") == 0.26
    assert _gauge(body, "forecast_average_item_mape") == 44.5
    assert _gauge(body, "forecast_health_failing") == 1.0
    assert _gauge(body, "forecast_high_variance_items") == 2.0
    assert _gauge(body, "forecast_items") == 7.0
    assert _gauge(body, "forecast_mape_threshold") == 25.0


def test_without_a_forecast_only_the_threshold_is_exposed(anon_client):
    body = anon_client.get("/metrics").content.decode()

    assert _gauge(body, "forecast_mape_threshold") == 20.0
    assert _gauge(body, "forecast_average_wape") is None
