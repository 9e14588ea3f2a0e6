"""`manage.py maintenance`: the daily maintenance job, under its lock, recorded as a job run.

Exits non-zero when a task failed or another host is already running the job.
"""

from inventory.maintenance import run_maintenance
from inventory_project.jobs.command import JobCommand
from inventory_project.jobs.registry import JobName


class Command(JobCommand):
    help = "Warm the cache, check the database and collect cache statistics (cron: CRON_DAILY)."
    job_name = JobName.MAINTENANCE
    label = "Maintenance"

    def handle(self, *args, trigger: str, **options):
        self.run_as_job(run_maintenance, trigger=trigger)
