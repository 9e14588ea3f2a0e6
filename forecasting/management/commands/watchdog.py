"""`manage.py watchdog`: the self-healing checks (cron, every 5 minutes), recorded as a job run.

The checks live in `forecasting.watchdog`. Exits non-zero when another host runs the watchdog.
"""

from forecasting.watchdog import run_watchdog
from inventory_project.jobs.command import JobCommand
from inventory_project.jobs.registry import JobName


class Command(JobCommand):
    help = "Mark stuck job runs dead, re-run a missed daily forecast and alert on failing health."
    job_name = JobName.WATCHDOG
    label = "Watchdog"

    def handle(self, *args, trigger: str, **options):
        self.run_as_job(lambda _context: run_watchdog(), trigger=trigger)
