"""`manage.py retrain`: the weekly choice of each active item's model (cron, Sundays)."""

from forecasting.forecast_command import ForecastCommand
from forecasting.services import run_retrain
from inventory_project.jobs.registry import JobName


class Command(ForecastCommand):
    help = "Choose each active item's model by rolling-origin cross-validation."
    job_name = JobName.RETRAIN
    label = "Weekly retrain"

    def run_service(self, **options):
        return run_retrain(**options)
