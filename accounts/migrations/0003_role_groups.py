"""Create the groups admin/staff/viewer with the permissions of accounts.roles that exist yet.

Permissions of models that later migrations create are added by the post-migrate sync
(accounts.apps), which runs after every `migrate` and keeps the groups equal to the table.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import ROLE_ORDER


def create_role_groups(apps, schema_editor):
    from accounts.services import sync_role_groups

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, apps=apps, verbosity=0)
    sync_role_groups(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
        strict=False,
    )


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[role.value for role in ROLE_ORDER]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
