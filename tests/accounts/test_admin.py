"""The user admin: Django's user admin, working with the e-mail login."""

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.selectors import user_role
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plum tractor velvet 42"


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def new_user(**fields) -> dict:
    data = {
        "email": "New.Cook@Example.com",
        "name": "New Cook",
        "usable_password": "true",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    data.update(fields)
    return data


def changeform_data(response) -> dict:
    """What the browser would send back for the change page as it was rendered."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False or name == "password":
            continue
        data[name] = "on" if value is True else value
    return data


def test_the_add_user_page_asks_for_an_email_and_a_password(admin_client):
    response = admin_client.get(reverse("admin:accounts_user_add"))

    assert response.status_code == 200
    assert {"email", "name", "password1", "password2"} <= set(
        response.context["adminform"].form.fields
    )


def test_the_change_user_page_renders_for_the_email_user(admin_client):
    user = UserFactory(email="cook@example.com", name="Cook")

    response = admin_client.get(change_url(user))

    assert response.status_code == 200
    assert "cook@example.com" in response.content.decode()
    assert "username" not in response.context["adminform"].form.fields


def test_adding_a_user_stores_the_email_in_lower_case_with_a_hashed_password(admin_client):
    response = admin_client.post(reverse("admin:accounts_user_add"), new_user())

    assert response.status_code == 302
    user = User.objects.get(email="new.cook@example.com")
    assert user.name == "New Cook"
    assert user.check_password(STRONG_PASSWORD)
    assert user.password != STRONG_PASSWORD


def test_an_email_taken_in_another_case_is_a_form_error(admin_client):
    UserFactory(email="new.cook@example.com")

    response = admin_client.post(reverse("admin:accounts_user_add"), new_user())

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="new.cook@example.com").count() == 1


def test_a_weak_password_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"), new_user(password1="123", password2="123")
    )

    assert response.status_code == 200
    assert not User.objects.filter(email="new.cook@example.com").exists()


def test_a_user_is_changed_in_the_admin(admin_client):
    user = UserFactory(email="cook@example.com", name="Cook")
    data = changeform_data(admin_client.get(change_url(user)))
    data.update(name="Head Cook", is_staff="on")

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.is_staff) == ("Head Cook", True)


def test_a_demo_user_at_local_can_be_changed_in_the_admin(admin_client):
    user = UserFactory(email="staff@local", name="Demo Staff")
    data = changeform_data(admin_client.get(change_url(user)))
    data["name"] = "Demo Staff (kitchen)"

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Demo Staff (kitchen)"


def test_the_user_list_finds_users_by_email_or_name(admin_client):
    cook = UserFactory(email="cook@example.com", name="Ana Cook")
    UserFactory(email="porter@example.com", name="Bo Porter")
    url = reverse("admin:accounts_user_changelist")

    by_email = admin_client.get(url, {"q": "cook@"})
    by_name = admin_client.get(url, {"q": "ana"})

    assert list(by_email.context["cl"].result_list) == [cook]
    assert list(by_name.context["cl"].result_list) == [cook]


def look_alike_made_before_keys() -> User:
    """An account as migration 0005 left it: its address looks like an older one's, no key."""
    UserFactory(email="cook@example.com")
    (user,) = User.objects.bulk_create(
        [User(email="cook@ex\u0430mple.com", password=make_password(TEST_PASSWORD))]
    )
    return user


def test_a_look_alike_account_made_before_keys_can_be_deactivated_in_the_admin(admin_client):
    user = look_alike_made_before_keys()
    data = changeform_data(admin_client.get(change_url(user)))
    del data["is_active"]

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.is_active, user.email, user.email_key) == (False, "cook@ex\u0430mple.com", None)


def test_a_look_alike_account_made_before_keys_can_be_given_a_role_in_the_admin(admin_client):
    user = look_alike_made_before_keys()
    data = changeform_data(admin_client.get(change_url(user)))
    data.update(groups=[Group.objects.get(name="viewer").pk], name="Checked")

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user_role(user), user.email_key) == ("Checked", "viewer", None)


def test_a_look_alike_taken_between_the_check_and_the_save_is_a_form_error(
    admin_client, monkeypatch
):
    # Another request creates a look-alike address after this form passed its check.
    save_form = UserAdmin.save_form

    def save_form_after_another_request(self, request, form, change):
        UserFactory(email="new.cook@ex\u0430mple.com")
        return save_form(self, request, form, change)

    monkeypatch.setattr(UserAdmin, "save_form", save_form_after_another_request)

    response = admin_client.post(reverse("admin:accounts_user_add"), new_user())

    assert response.status_code == 200
    assert "looks like it" in response.context["adminform"].form.errors["email"][0]
    assert not User.objects.filter(email="new.cook@example.com").exists()
