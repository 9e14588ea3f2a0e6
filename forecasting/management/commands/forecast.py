"""`manage.py forecast`: the daily forecast of every active item (cron, after maintenance)."""

from forecasting.forecast_command import ForecastCommand
from forecasting.services import run_forecast
from inventory_project.jobs.registry import JobName


class Command(ForecastCommand):
    help = "Refit each active item's chosen model, backtest it and store the daily forecast."
    job_name = JobName.FORECAST
    label = "Daily forecast"

    def run_service(self, **options):
        return run_forecast(**options)
