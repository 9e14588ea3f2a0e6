"""`manage.py watchdog`: the self-healing checks (cron, every 5 minutes), recorded as a job run.

The checks live in `forecasting.watchdog`. Exits non-zero when another host runs the watchdog.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from forecasting.watchdog import run_watchdog
from inventory_project.jobs import JobAlreadyRunning, run_job
from inventory_project.models import JobRun


class Command(BaseCommand):
    help = "Mark stuck job runs dead, re-run a missed daily forecast and alert on failing health."

    def add_arguments(self, parser):
        parser.add_argument(
            "--trigger",
            choices=[choice for choice, _label in JobRun.Trigger.choices],
            default=JobRun.Trigger.MANUAL,
            help="What started this run (cron passes 'cron').",
        )

    def handle(self, *args, trigger: str, **options):
        try:
            run = run_job("watchdog", lambda _context: run_watchdog(), trigger=trigger)
        except JobAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(run.result, indent=2, default=str))
        if run.status != JobRun.Status.SUCCEEDED:
            raise CommandError(f"Watchdog failed: {run.error}")
