"""What cron runs: django-crontab registers `run_command` entries from `settings.CRONJOBS`.

django-crontab calls a Python function and swallows whatever it raises (even SystemExit), so a
failed job would exit 0 and look fine to cron. `run_command` ends the process with status 1
itself when the management command fails.
"""

import logging
import os

from django.core.management import call_command

logger = logging.getLogger(__name__)


def run_command(name: str, *args: str) -> None:
    try:
        call_command(name, *args)
    except BaseException:
        logger.exception("Scheduled command %s failed", name)
        logging.shutdown()
        os._exit(1)
