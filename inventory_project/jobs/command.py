"""The base of the commands that run as jobs (maintenance, forecast, retrain, report, watchdog).

`JobCommand` adds `--trigger`, runs the task under the job's lock (`inventory_project.jobs.runner`),
prints the recorded result as JSON and exits non-zero (a `CommandError`) when another host holds
the job, when the task raises, or when the run is recorded as failed.
"""

import json
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from inventory_project.jobs.models import JobRun
from inventory_project.jobs.registry import JobName
from inventory_project.jobs.runner import JobAlreadyRunning, JobContext, run_job


class JobCommand(BaseCommand):
    job_name: JobName
    #: How failures start ("Maintenance failed: ...").
    label: str

    def add_arguments(self, parser):
        parser.add_argument(
            "--trigger",
            choices=[choice for choice, _label in JobRun.Trigger.choices],
            default=JobRun.Trigger.MANUAL,
            help="What started this run (cron passes 'cron').",
        )

    def run_as_job(self, task: Callable[[JobContext], dict], *, trigger: str) -> JobRun:
        try:
            run = run_job(self.job_name, task, trigger=trigger)
        except JobAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:
            # run_job has recorded the failed run and logged the traceback.
            raise CommandError(f"{self.label} failed: {exc}") from exc
        self.stdout.write(json.dumps(run.result, indent=2, default=str))
        if run.status != JobRun.Status.SUCCEEDED:
            raise CommandError(f"{self.label} failed: {run.error}")
        return run
