"""`manage.py maintenance`: the daily maintenance job, under its lock, recorded as a job run.

Exits non-zero when a task failed or another host is already running the job.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from inventory.maintenance import run_maintenance
from inventory_project.jobs import JobAlreadyRunning, run_job
from inventory_project.models import JobRun


class Command(BaseCommand):
    help = "Warm the cache, check the database and collect cache statistics (cron: CRON_DAILY)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--trigger",
            choices=[choice for choice, _label in JobRun.Trigger.choices],
            default=JobRun.Trigger.MANUAL,
            help="What started this run (cron passes 'cron').",
        )

    def handle(self, *args, trigger: str, **options):
        try:
            run = run_job("maintenance", run_maintenance, trigger=trigger)
        except JobAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(run.result, indent=2, default=str))
        if run.status != JobRun.Status.SUCCEEDED:
            raise CommandError(f"Maintenance failed: {run.error}")
