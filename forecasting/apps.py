"""App config of forecasting: registers the forecast gauges of `/metrics`."""

from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"

    def ready(self) -> None:
        from forecasting.metrics import ForecastCollector
        from inventory_project.http.metrics import register_database_collector

        register_database_collector(ForecastCollector())
