"""`manage.py create_demo_users`: the demo sign-ins of README, for local and staging use.

Refused with DEBUG off unless `--force`: their passwords are public. See `accounts.demo_users`.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo_users import DEMO_USERS, ensure_demo_user
from inventory_project.service_errors import ServiceError


class Command(BaseCommand):
    help = (
        "Create or reset the demo users admin@local, staff@local and viewer@local "
        "(local and staging only; refused with DEBUG off unless --force)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (a staging host). Never on production.",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off. "
                "On a staging host, run again with --force."
            )
        try:
            with transaction.atomic():
                statuses = [ensure_demo_user(demo) for demo in DEMO_USERS]
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        for demo, status in zip(DEMO_USERS, statuses, strict=True):
            self.stdout.write(f"{demo.email} / {demo.password} ({demo.role.value}): {status}")
