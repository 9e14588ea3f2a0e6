"""`manage.py rekey_emails`: every account gets the key of its address, oldest account first."""

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from accounts.emails import email_key
from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def rekey() -> str:
    out = io.StringIO()
    call_command("rekey_emails", stdout=out)
    return out.getvalue()


def test_an_account_keyed_by_an_older_table_gets_the_key_of_today():
    user = UserFactory(email="cook@example.com")
    User.objects.filter(pk=user.pk).update(email_key="0" * 64)

    output = rekey()

    user.refresh_from_db()
    assert user.email_key == email_key("cook@example.com")
    assert "1 account(s) with a new key; 0 look-alike" in output


def test_a_later_look_alike_is_left_without_a_key_and_the_older_account_gets_it():
    # As an older table could have left them: the later account holds the shared key.
    older, later = User.objects.bulk_create(
        [
            User(email="cook@example.com", password=make_password(TEST_PASSWORD)),
            User(
                email="cook@ex\u0430mple.com",
                password=make_password(TEST_PASSWORD),
                email_key=email_key("cook@example.com"),
            ),
        ]
    )

    output = rekey()

    older.refresh_from_db()
    later.refresh_from_db()
    assert (older.email_key, later.email_key) == (email_key("cook@example.com"), None)
    assert "2 account(s) with a new key; 1 look-alike" in output
