"""One e-mail address, however it is spelled: one account, one failed-login counter.

Case, compatibility forms (fullwidth letters) and look-alike letters (dotless ı, Cyrillic а)
all name the account they look like and count on its counter; creating an account whose
address looks like an existing one is refused at every source.
"""

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from accounts.services import user_create
from inventory_project.service_errors import ConflictError
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
# Each looks like admin@local: a dotless ı, fullwidth letters, a Cyrillic а.
LOOK_ALIKES = ["adm\u0131n@local", "\uff41\uff44\uff4d\uff49\uff4e@local", "\u0430dmin@local"]


@pytest.fixture
def admin_account():
    return user_with_role("admin", email="admin@local")


def _login(client, email, password):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_a_look_alike_spelling_signs_in_to_the_account_it_looks_like(
    anon_client, admin_account, spelling
):
    response = _login(anon_client, spelling, TEST_PASSWORD)

    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == admin_account.pk


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_failures_under_a_look_alike_spelling_count_on_the_accounts_own_counter(
    settings, anon_client, admin_account, spelling
):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = 3
    settings.LOGIN_RATE_LIMIT_PER_IP = 100
    for _ in range(3):
        assert _login(anon_client, spelling, "wrong guess").status_code == 401
    password = admin_account.password

    response = _login(anon_client, "admin@local", TEST_PASSWORD)

    assert response.status_code == 429
    admin_account.refresh_from_db()
    assert admin_account.password == password
    assert admin_account.last_login is None


def test_look_alike_accounts_made_before_keys_each_sign_in_with_their_own_address(anon_client):
    real = user_with_role("admin", email="admin@local")
    # An account from before: its address looks like admin@local, so it was left without a key.
    (older,) = User.objects.bulk_create(
        [User(email="adm\u0131n@local", password=make_password(TEST_PASSWORD), is_staff=True)]
    )

    answers = [_login(anon_client, user.email, TEST_PASSWORD) for user in (real, older)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["data"]["user"]["id"] for a in answers] == [real.pk, older.pk]


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_creating_a_user_whose_address_looks_like_an_existing_one_is_refused(
    admin_account, spelling
):
    with pytest.raises(ConflictError) as refused:
        user_create(email=spelling, password=TEST_PASSWORD)

    assert refused.value.code == "email_taken"
    assert list(User.objects.values_list("email", flat=True)) == ["admin@local"]


def test_the_admin_refuses_a_new_user_whose_address_looks_like_an_existing_one(admin_client):
    user_with_role("staff", email="cook@example.com")
    before = User.objects.count()
    data = {
        "email": "cook@ex\u0430mple.com",  # a Cyrillic а
        "name": "Look-alike",
        "usable_password": "true",
        "password1": "plum tractor velvet 42",
        "password2": "plum tractor velvet 42",
    }

    response = admin_client.post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 200
    assert "looks like it" in response.context["adminform"].form.errors["email"][0]
    assert User.objects.count() == before


def test_createsuperuser_refuses_an_address_that_looks_like_an_existing_one(
    monkeypatch, admin_account
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "plum tractor velvet 42")

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", "--noinput", email="adm\u0131n@local", stdout=io.StringIO())

    assert list(User.objects.values_list("email", flat=True)) == ["admin@local"]


def test_demo_users_refuse_an_account_that_only_looks_like_a_demo_address(settings):
    settings.DEBUG = True
    look_alike = user_with_role("viewer", email="\u0430dmin@local")
    password = look_alike.password

    with pytest.raises(CommandError, match="looks like it"):
        call_command("create_demo_users", stdout=io.StringIO())

    look_alike.refresh_from_db()
    assert (look_alike.password, look_alike.is_superuser) == (password, False)
    assert list(User.objects.values_list("email", flat=True)) == ["\u0430dmin@local"]


def test_a_domain_spelled_in_punycode_is_the_domain_it_encodes():
    user_with_role("staff", email="cook@ex\u0430mple.com")  # a Cyrillic а in the domain

    with pytest.raises(ConflictError):
        user_create(email="cook@xn--exmple-4nf.com", password=TEST_PASSWORD)
    with pytest.raises(ConflictError):
        user_create(email="cook@example.com", password=TEST_PASSWORD)
