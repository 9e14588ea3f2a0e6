import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLE_ORDER, ROLE_PERMISSIONS, Role, lowest_role_with
from accounts.selectors import user_role
from accounts.services import sync_role_groups, user_create, user_set_role
from inventory_project.service_errors import ServiceError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_holds_exactly_the_permissions_of_the_table(role):
    group = Group.objects.get(name=role.value)

    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert held == ROLE_PERMISSIONS[role]


def test_roles_are_cumulative():
    assert ROLE_PERMISSIONS[Role.VIEWER] < ROLE_PERMISSIONS[Role.STAFF]
    assert ROLE_PERMISSIONS[Role.STAFF] < ROLE_PERMISSIONS[Role.ADMIN]


def test_sync_puts_back_a_permission_removed_by_hand():
    staff = Group.objects.get(name="staff")
    staff.permissions.clear()

    sync_role_groups()

    assert staff.permissions.count() == len(ROLE_PERMISSIONS[Role.STAFF])


def test_a_users_role_is_the_highest_group_they_are_in():
    user = UserFactory()
    user.groups.add(Group.objects.get(name="viewer"), Group.objects.get(name="admin"))

    assert user_role(user) == Role.ADMIN


def test_a_superuser_counts_as_admin():
    assert user_role(UserFactory(is_superuser=True)) == Role.ADMIN


def test_a_user_without_a_group_has_no_role():
    assert user_role(UserFactory()) is None


def test_setting_a_role_replaces_the_previous_one_and_opens_the_admin():
    user = UserFactory(is_staff=False)
    user_set_role(user=user, role="admin")

    user_set_role(user=user, role="viewer")

    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["viewer"]
    assert user.is_staff is True


def test_an_unknown_role_is_refused():
    with pytest.raises(ServiceError):
        user_set_role(user=UserFactory(), role="chef")


def test_user_create_refuses_a_weak_password():
    with pytest.raises(ServiceError) as refused:
        user_create(email="new@example.com", password="123")

    assert refused.value.field == "password"
    assert not Group.objects.get(name="viewer").user_set.exists()


def test_user_create_hashes_the_password_and_sets_the_role():
    user = user_create(email="New@Example.com", password="long and unusual 7 words", role="staff")

    assert user.email == "new@example.com"
    assert user.password != "long and unusual 7 words"
    assert user.check_password("long and unusual 7 words")
    assert user_role(user) == Role.STAFF


def test_the_lowest_role_with_a_permission_is_named():
    assert lowest_role_with("items.view_item") == Role.VIEWER
    assert lowest_role_with("inventory.move_stock") == Role.STAFF
    assert lowest_role_with("items.delete_item") == Role.ADMIN
    assert lowest_role_with("nothing.at_all") is None


def test_role_order_runs_from_least_to_most():
    assert ROLE_ORDER == (Role.VIEWER, Role.STAFF, Role.ADMIN)


def test_createsuperuser_works_with_an_email(monkeypatch):
    from django.core.management import call_command

    from accounts.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long superuser passphrase")
    call_command("createsuperuser", "--no-input", email="Boss@Example.com")

    boss = User.objects.get(email="boss@example.com")
    assert boss.is_superuser
    assert boss.check_password("a long superuser passphrase")


def test_two_accounts_cannot_differ_only_by_the_case_of_their_email():
    from django.db import IntegrityError, transaction

    from accounts.models import User

    User.objects.create(email="chef@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Chef@Example.com")


def test_setting_a_password_checks_its_strength():
    from accounts.services import user_set_password

    user = UserFactory()

    with pytest.raises(ServiceError) as refused:
        user_set_password(user=user, password="password")

    assert refused.value.field == "password"


def test_setting_a_password_stores_a_hash_that_checks():
    from accounts.services import user_set_password

    user = UserFactory()

    user_set_password(user=user, password="a long and unusual passphrase")

    user.refresh_from_db()
    assert user.check_password("a long and unusual passphrase")
