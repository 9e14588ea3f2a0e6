"""`manage.py rekey_emails`: recompute every account's e-mail identity key.

The key comes from the look-alike table shipped by `confusable-homoglyphs`; run this after an
upgrade of that package. See `accounts.services.user_email_keys_rebuild`.
"""

from django.core.management.base import BaseCommand

from accounts.services import user_email_keys_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the look-alike key of every account's e-mail address, oldest account first "
        "(a later look-alike is left without one). Run after upgrading confusable-homoglyphs."
    )

    def handle(self, *args, **options):
        changed, unkeyed = user_email_keys_rebuild()
        self.stdout.write(
            f"{changed} account(s) with a new key; {unkeyed} look-alike account(s) without one."
        )
