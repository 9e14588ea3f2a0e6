"""Give every account the key of its address (accounts.emails), oldest account first.

Accounts are left as they were: an account whose address looks like an older account's keeps
an empty key and still signs in with its own address.
"""

from django.db import migrations, models

from accounts.emails import email_key


def fill_email_keys(apps, schema_editor):
    user_model = apps.get_model("accounts", "User")
    taken = set()
    for user in user_model.objects.order_by("pk").only("pk", "email").iterator():
        key = email_key(user.email)
        if key in taken:
            continue
        taken.add(key)
        user_model.objects.filter(pk=user.pk).update(email_key=key)


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
