"""Forecast gauges for `/metrics`, read from the latest succeeded daily run at scrape time.

`forecast_average_wape` (pooled over all items), `forecast_average_item_mape`,
`forecast_baseline_wape` (the 28-day baseline's on the same holdout), `forecast_health_failing` (1
when the run's health is failing: see MAPE_THRESHOLD in the settings),
`forecast_high_variance_items`, `forecast_items` and `forecast_mape_threshold`: what the alert
rules in `ops/prometheus/alerts.yml` and the Grafana dashboard read.
"""

from django.conf import settings
from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily


class ForecastCollector:
    def collect(self):
        from forecasting.models import ForecastRun

        try:
            run = (
                ForecastRun.objects.filter(
                    kind=ForecastRun.Kind.FORECAST, status=ForecastRun.Status.SUCCEEDED
                )
                .order_by("-started_at", "-id")
                .first()
            )
        except DatabaseError:
            return
        threshold = GaugeMetricFamily(
            "forecast_mape_threshold", "MAPE_THRESHOLD: the pooled WAPE x 100 a run may reach."
        )
        threshold.add_metric([], float(settings.MAPE_THRESHOLD))
        yield threshold
        if run is None:
            return
        values = {
            "forecast_average_wape": (run.average_wape, "Pooled WAPE of the latest daily run."),
            "forecast_baseline_wape": (
                run.baseline_wape,
                "Pooled WAPE of the baseline (mean of the last 28 days) on the same holdout.",
            ),
            "forecast_average_item_mape": (
                run.average_item_mape,
                "Mean item_mape (WAPE x 100 per item) of the latest daily run.",
            ),
            "forecast_health_failing": (
                1.0 if run.health == ForecastRun.Health.FAILING else 0.0,
                "1 when the latest daily run's health is failing (worse than the baseline, over "
                "MAPE_THRESHOLD).",
            ),
            "forecast_high_variance_items": (
                run.high_variance_count,
                "Items flagged high-variance in the latest daily run.",
            ),
            "forecast_items": (run.items_done, "Items forecast by the latest daily run."),
        }
        for name, (value, documentation) in values.items():
            if value is None:
                continue
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], float(value))
            yield gauge
