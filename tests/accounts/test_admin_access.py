"""Each role in the Django admin: who can sign in, and what each may change."""

import pytest

from items.models import Item
from tests.conftest import user_with_role
from tests.factories import TEST_PASSWORD, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, role):
    user = user_with_role(role, email=f"{role}-admin@example.com")
    assert client.login(username=user.email, password=TEST_PASSWORD)
    return user


@pytest.mark.parametrize("role", ["viewer", "staff", "admin"])
def test_every_role_can_sign_in_to_the_admin(client, role):
    _sign_in(client, role)

    response = client.get("/admin/")

    assert response.status_code == 200


def test_a_user_without_a_role_cannot_enter_the_admin(client):
    user = UserFactory(is_staff=False)
    client.login(username=user.email, password=TEST_PASSWORD)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_login_form_signs_staff_in_by_email(client):
    user_with_role("staff", email="line.cook@example.com")

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "Line.Cook@example.com", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize("role", ["viewer", "staff", "admin"])
def test_every_role_can_see_the_item_list(client, role):
    _sign_in(client, role)
    ItemFactory()

    assert client.get("/admin/items/item/").status_code == 200


def test_a_viewer_cannot_add_an_item(client):
    _sign_in(client, "viewer")

    page = client.get("/admin/items/item/add/")
    post = client.post("/admin/items/item/add/", {"sku": "SKU-V", "name": "Viewer's"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert not Item.objects.filter(sku="SKU-V").exists()


def test_a_viewer_cannot_change_an_item(client):
    item = ItemFactory(name="Original")
    _sign_in(client, "viewer")

    response = client.post(
        f"/admin/items/item/{item.pk}/change/",
        {"name": "Changed", "uom": "kg", "reorder_min": 0, "reorder_max": 0, "par_level": 0},
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.name == "Original"


def test_staff_can_add_an_item(client):
    _sign_in(client, "staff")

    response = client.post(
        "/admin/items/item/add/",
        {
            "sku": "SKU-STAFF",
            "name": "Staff's",
            "category": "",
            "uom": "kg",
            "reorder_min": "0",
            "reorder_max": "0",
            "par_level": "0",
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert Item.objects.filter(sku="SKU-STAFF").exists()


def test_staff_cannot_manage_users(client):
    _sign_in(client, "staff")

    assert client.get("/admin/accounts/user/").status_code == 403


def test_an_admin_can_manage_users(client):
    _sign_in(client, "admin")

    assert client.get("/admin/accounts/user/").status_code == 200


def test_an_admin_cannot_make_itself_superuser(client):
    admin_user = _sign_in(client, "admin")

    client.post(
        f"/admin/accounts/user/{admin_user.pk}/change/",
        {
            "email": admin_user.email,
            "name": "Me",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    admin_user.refresh_from_db()
    assert admin_user.is_superuser is False


def test_an_admin_cannot_change_a_superuser(client):
    _sign_in(client, "admin")
    root = UserFactory(is_superuser=True, is_staff=True)

    change = client.post(f"/admin/accounts/user/{root.pk}/change/", {"email": "x@example.com"})
    password = client.get(f"/admin/accounts/user/{root.pk}/password/")

    assert change.status_code == 403
    assert password.status_code == 403
    root.refresh_from_db()
    assert root.email != "x@example.com"


def test_role_groups_cannot_be_edited_by_an_admin(client):
    from django.contrib.auth.models import Group

    _sign_in(client, "admin")
    viewer = Group.objects.get(name="viewer")

    response = client.post(f"/admin/auth/group/{viewer.pk}/change/", {"name": "viewer"})

    assert response.status_code == 403


def test_staff_cannot_deactivate_an_item_in_the_admin(client):
    item = ItemFactory(active=True)
    _sign_in(client, "staff")

    page = client.get(f"/admin/items/item/{item.pk}/change/")

    assert 'name="active"' not in page.content.decode()
