"""`manage.py create_demo_users`: three demo sign-ins, local and staging only."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.selectors import user_role

pytestmark = pytest.mark.django_db

DEMO = {
    "admin@local": ("admin123", "admin"),
    "staff@local": ("staff123", "staff"),
    "viewer@local": ("viewer123", "viewer"),
}


@pytest.fixture(autouse=True)
def _debug_on(settings):
    # The test runner turns DEBUG off; the command is meant for a DEBUG (local) host.
    settings.DEBUG = True


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_demo_users", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_three_demo_users_with_their_passwords_and_roles():
    run()

    for email, (password, role) in DEMO.items():
        user = User.objects.get(email=email)
        assert user.check_password(password)
        assert user.is_active
        assert user.is_staff
        assert user_role(user) == role
    assert User.objects.get(email="admin@local").is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(email="admin@local").exists()


def test_staff_may_edit_stock_in_the_admin_and_the_viewer_only_look():
    run()
    staff = User.objects.get(email="staff@local")
    viewer = User.objects.get(email="viewer@local")
    edits = [
        "items.add_item",
        "items.change_item",
        "inventory.add_location",
        "inventory.change_location",
        "inventory.add_stockrecord",
        "inventory.change_stockrecord",
        "inventory.move_stock",
    ]
    views = [
        "items.view_item",
        "inventory.view_location",
        "inventory.view_stockrecord",
        "inventory.view_stockmovement",
    ]

    assert all(staff.has_perm(p) for p in edits + views)
    assert all(viewer.has_perm(p) for p in views)
    assert not any(viewer.has_perm(p) for p in edits)
    assert not staff.has_perm("inventory.change_stockmovement")


def test_running_it_twice_changes_nothing():
    run()
    before = list(User.objects.order_by("email").values())

    output = run()

    assert list(User.objects.order_by("email").values()) == before
    assert output.count("unchanged") == 3


def test_it_puts_a_changed_demo_user_back():
    run()
    staff = User.objects.get(email="staff@local")
    staff.set_password("something else entirely")
    staff.is_active = False
    staff.save()

    run()

    staff.refresh_from_db()
    assert staff.check_password("staff123")
    assert staff.is_active


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        run()

    assert not User.objects.filter(email__in=DEMO).exists()


def test_force_runs_it_with_debug_off(settings):
    settings.DEBUG = False

    run("--force")

    assert User.objects.filter(email__in=DEMO).count() == 3
