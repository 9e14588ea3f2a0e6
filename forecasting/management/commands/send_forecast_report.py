"""`manage.py send_forecast_report`: e-mail the daily forecast report (`forecasting.report`).

Runs as the job `send_forecast_report`, under its lock, recorded as a job run. `--dry-run PATH`
writes the HTML to a file and sends nothing; `--to` replaces `REPORT_RECIPIENTS`.
"""

from django.conf import settings
from django.core.management.base import CommandError

from forecasting.report import build_forecast_report, send_forecast_report
from inventory_project.jobs.command import JobCommand
from inventory_project.jobs.registry import JobName


class Command(JobCommand):
    help = "E-mail the report of the latest forecast run to REPORT_RECIPIENTS (cron: 20 2 * * *)."
    job_name = JobName.SEND_FORECAST_REPORT
    label = "Forecast report"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--to",
            action="append",
            default=[],
            metavar="EMAIL",
            help="Send to this address instead of REPORT_RECIPIENTS (repeatable).",
        )
        parser.add_argument(
            "--dry-run",
            metavar="PATH",
            default=None,
            help="Write the report's HTML to PATH and send nothing.",
        )

    def handle(self, *args, to: list[str], dry_run: str | None, trigger: str, **options):
        recipients = to or list(settings.REPORT_RECIPIENTS)
        if not recipients and dry_run is None:
            raise CommandError("No recipients: set REPORT_RECIPIENTS or pass --to EMAIL.")

        def task(context) -> dict:
            if dry_run is not None:
                report = build_forecast_report()
                with open(dry_run, "w", encoding="utf-8") as file:
                    file.write(report.standalone_html())
                return {"dry_run": dry_run, "subject": report.subject, "sent": 0}
            sent = send_forecast_report(recipients=recipients)
            return {"recipients": recipients, "sent": sent}

        self.run_as_job(task, trigger=trigger)
