"""No new SKU may hold invisible or control characters, or be `.` or `..`; stored ones stay."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from inventory_project.service_errors import ServiceError
from items.models import Item
from items.services import item_create
from tests.items.test_admin import changeform_data
from tests.platform.csvio.support import ITEMS_IMPORT, db_state, post_csv, row_errors

pytestmark = pytest.mark.django_db

BAD_SKUS = [
    pytest.param("SKU\u200b1", id="zero-width-space"),
    pytest.param("SKU\u20601", id="word-joiner"),
    pytest.param("SKU\u202e1", id="bidi-override"),
    pytest.param("SKU\u20661", id="bidi-isolate"),
    pytest.param("SKU\u20281", id="line-separator"),
    pytest.param("SKU\u20291", id="paragraph-separator"),
    pytest.param("SKU\x7f1", id="delete"),
    pytest.param("SKU\x851", id="c1-control"),
    pytest.param("SKU\ue0001", id="private-use"),
    pytest.param(".", id="dot"),
    pytest.param("..", id="dot-dot"),
    pytest.param("SKU/1", id="slash"),
]


@pytest.mark.parametrize("sku", BAD_SKUS)
def test_item_create_refuses_the_sku(sku):
    with pytest.raises(ServiceError) as refused:
        item_create(sku=sku, name="Tea")

    assert (refused.value.code, refused.value.field) == ("invalid_sku", "sku")
    assert not Item.objects.exists()


@pytest.mark.parametrize("sku", BAD_SKUS)
def test_the_api_refuses_to_create_an_item_with_the_sku(staff_client, sku):
    response = staff_client.post("/api/items", {"sku": sku, "name": "Tea"}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "invalid_sku"
    assert not Item.objects.exists()


@pytest.mark.parametrize("sku", BAD_SKUS)
def test_the_items_import_reports_the_sku_as_a_row_error(staff_client, sku):
    before = db_state()

    body = post_csv(staff_client, ITEMS_IMPORT, f'sku,name\n"{sku}",Tea\n').json()

    [(line, field, error)] = row_errors(body)
    assert (line, field) == (2, "sku")
    assert error.startswith("SKU may not")
    assert db_state() == before


def test_the_admin_add_form_refuses_the_sku(admin_client):
    response = admin_client.post(
        reverse("admin:items_item_add"),
        {"sku": "SKU\u200b1", "name": "Tea", "uom": "each", "active": "on"},
    )

    assert response.status_code == 200
    assert "sku" in response.context["adminform"].form.errors
    assert not Item.objects.exists()


def test_the_message_names_the_invisible_character():
    with pytest.raises(ServiceError) as refused:
        item_create(sku="SKU\u200b1", name="Tea")

    assert refused.value.message == (
        "SKU may not contain invisible or control characters (U+200B ZERO WIDTH SPACE)."
    )


# --- items stored before the rule keep working ---------------------------------------------


LEGACY_SKU = "OLD\u200b1"


@pytest.fixture
def legacy_item():
    # Written directly, past the services, as a row stored before the rule existed.
    return Item.objects.create(sku=LEGACY_SKU, name="Old tea")


def test_an_item_stored_before_the_rule_is_found_by_its_sku(viewer_client, legacy_item):
    response = viewer_client.get(f"/api/items/{quote(LEGACY_SKU, safe='')}")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["sku"] == LEGACY_SKU


def test_an_item_stored_before_the_rule_can_be_renamed(staff_client, legacy_item):
    response = staff_client.patch(
        f"/api/items/{quote(LEGACY_SKU, safe='')}", {"name": "New tea"}, format="json"
    )

    assert response.status_code == 200, response.content
    legacy_item.refresh_from_db()
    assert (legacy_item.sku, legacy_item.name) == (LEGACY_SKU, "New tea")


def test_the_items_import_updates_an_item_stored_before_the_rule(staff_client, legacy_item):
    body = post_csv(staff_client, ITEMS_IMPORT, f'sku,name\n"{LEGACY_SKU}",New tea\n').json()

    assert body["errors"] == []
    assert body["data"]["updated"] == 1
    legacy_item.refresh_from_db()
    assert legacy_item.name == "New tea"


def test_the_admin_saves_an_item_stored_before_the_rule(admin_client, legacy_item):
    url = reverse("admin:items_item_change", args=[legacy_item.pk])
    data = changeform_data(admin_client.get(url))
    data["name"] = "New tea"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    legacy_item.refresh_from_db()
    assert (legacy_item.sku, legacy_item.name) == (LEGACY_SKU, "New tea")
