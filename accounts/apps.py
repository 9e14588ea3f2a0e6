"""App config of accounts: keeps the role groups equal to `accounts.roles` after every migrate."""

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


def _sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    # Runs once per app; only the last app's signal finds every permission created.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    from accounts.services import sync_role_groups

    if app_config is not list(apps.get_app_configs())[-1]:
        return
    # The groups belong to accounts.0003: after a migrate back past it (or `migrate auth zero`)
    # they were removed on purpose, and the auth tables may be gone.
    loader = MigrationLoader(connections[using])
    if ("accounts", "0003_role_groups") not in loader.applied_migrations:
        return
    # `apps` of the signal is the state the migrations left behind (flush sends none): after
    # `migrate inventory zero` that app's permissions must not come back.
    state = kwargs.get("apps") or apps
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using, apps=state)
    # After a rollback some permissions of the table are gone with their migrations; only a
    # fully migrated database must hold every one.
    sync_role_groups(strict=set(loader.graph.leaf_nodes()) <= set(loader.applied_migrations))


def _forget_changed_user(sender, instance, **kwargs) -> None:
    from accounts.authentication import forget_user

    forget_user(instance.pk)


def _forget_users_whose_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    from accounts.authentication import forget_user
    from accounts.models import User

    if reverse:  # a group's members changed: pk_set holds users (None on clear)
        user_ids = pk_set or User.objects.filter(groups=instance).values_list("pk", flat=True)
    else:
        user_ids = [instance.pk]
    for user_id in user_ids:
        forget_user(user_id)


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the checks)
        from accounts.models import User
        from inventory_project import audit

        # The audit trail: every change of a user and of its roles (groups). A new password
        # shows as changed, never its hash; signing in (last_login) is not a change of the user,
        # and the e-mail key only follows the address.
        audit.register(
            User,
            exclude=["last_login", "email_key"],
            mask_fields=["password"],
            m2m_fields={"groups", "user_permissions"},
        )

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        # A change of a user or of its roles drops the cached state API requests rely on.
        post_save.connect(_forget_changed_user, sender=User, dispatch_uid="accounts.forget_save")
        post_delete.connect(
            _forget_changed_user, sender=User, dispatch_uid="accounts.forget_delete"
        )
        m2m_changed.connect(
            _forget_users_whose_groups_changed,
            sender=User.groups.through,
            dispatch_uid="accounts.forget_groups",
        )
