"""App config of accounts: keeps the role groups equal to `accounts.roles` after every migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    # Runs once per app; only the last app's signal finds every permission created.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from accounts.services import sync_role_groups

    if app_config is not list(apps.get_app_configs())[-1]:
        return
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the checks)

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
