"""What cron runs: django-crontab registers `run_command(s)` entries from `settings.CRONJOBS`.

django-crontab calls a Python function and swallows whatever it raises (even SystemExit), so a
failed job would exit 0 and look fine to cron. `run_command` ends the process with status 1
itself when the management command fails. `run_commands` runs several one after the other on
one cron line (the daily forecast after the maintenance): each runs even if one before it
failed, and the line exits 1 if any did.
"""

import logging
import os

from django.core.management import call_command

logger = logging.getLogger(__name__)


def _run(name: str, *args: str) -> bool:
    try:
        call_command(name, *args)
    except BaseException:
        logger.exception("Scheduled command %s failed", name)
        return False
    return True


def _exit_failed() -> None:
    logging.shutdown()
    os._exit(1)


def run_command(name: str, *args: str) -> None:
    if not _run(name, *args):
        _exit_failed()


def run_commands(*commands: list[str]) -> None:
    results = [_run(*command) for command in commands]
    if not all(results):
        _exit_failed()
