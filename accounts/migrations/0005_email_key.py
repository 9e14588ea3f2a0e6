"""Give every account the key of its address (accounts.emails), oldest account first.

Accounts are left as they were: an account whose address looks like an older account's keeps
an empty key and still signs in with its own address. `manage.py rekey_emails` runs the same
function again after an upgrade of the look-alike table.
"""

from django.db import migrations, models


def fill_email_keys(apps, schema_editor):
    from accounts.services import user_email_keys_rebuild

    user_email_keys_rebuild(user_model=apps.get_model("accounts", "User"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_email_case_insensitive_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.CharField(
                editable=False,
                help_text="SHA-256 of the address's look-alike skeleton (accounts.emails).",
                max_length=64,
                null=True,
                unique=True,
                verbose_name="e-mail identity",
            ),
        ),
        migrations.RunPython(fill_email_keys, migrations.RunPython.noop),
    ]
