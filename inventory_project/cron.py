"""The functions installed crontab lines call, at the path those lines name.

django-crontab identifies an installed line by a hash of its `CRONJOBS` entry, the function's
dotted path included; a line whose hash no entry has any more fails every run, and makes
`crontab add` itself stop. So the path in `CRONJOBS` stays `inventory_project.cron.*`, and
lines installed by an earlier release keep running after an upgrade. The functions live with
the other job machinery in `inventory_project.jobs.cron`.
"""

from inventory_project.jobs.cron import run_command, run_commands

__all__ = ["run_command", "run_commands"]
