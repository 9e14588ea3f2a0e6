"""`manage.py crontab add|show|remove|run`: django-crontab's command, refusing without cron.

django-crontab reads and writes the table by running the `crontab` program (its setting
`CRONTAB_EXECUTABLE`, `/usr/bin/crontab` unless set) through the shell and ignores the outcome:
where cron is not installed, `add` prints nothing useful, installs nothing and exits 0. This
command stops first with an error and exit status 1. `run` (what cron itself calls) does not
need the program. The platform app is listed before django_crontab in `INSTALLED_APPS`, so
this command is the one `manage.py crontab` finds.
"""

import shutil

from django.conf import settings
from django.core.management.base import CommandError
from django_crontab.app_settings import Settings
from django_crontab.management.commands.crontab import Command as DjangoCrontabCommand

NEEDS_CRONTAB = ("add", "show", "remove")


class Command(DjangoCrontabCommand):
    def handle(self, *args, **options):
        if options["subcommand"] in NEEDS_CRONTAB:
            executable = Settings(settings).CRONTAB_EXECUTABLE
            if shutil.which(executable) is None:
                raise CommandError(
                    f"Cannot {options['subcommand']} the cron jobs: the crontab program "
                    f"({executable}) is not installed. Install cron first (Debian: "
                    "apt-get install cron)."
                )
        super().handle(*args, **options)
