"""Who may import what: staff and admins import; only admins (de)activate items by import."""

import pytest

from inventory.models import MovementSource, StockMovement
from items.models import Item
from tests.conftest import client_for, user_with_role
from tests.platform.csvio.support import (
    ITEMS_IMPORT,
    STOCK_IMPORT,
    USAGE_IMPORT,
    counts,
    db_state,
    post_csv,
    row_errors,
    upload_csv,
)

pytestmark = pytest.mark.django_db

FILES = {
    ITEMS_IMPORT: "sku,name\nSKU-1001,Renamed\nNEW-1,Tea\n",
    STOCK_IMPORT: "sku,location,quantity\nSKU-1001,WALK-IN,3\n",
    USAGE_IMPORT: "date,sku,quantity\n2025-01-01,SKU-1001,3\n",
}


@pytest.fixture
def world(stocked):
    return stocked


@pytest.mark.parametrize("url", list(FILES))
def test_a_viewer_may_not_import_and_nothing_changes(viewer_client, world, url):
    before = db_state()

    response = post_csv(viewer_client, url, FILES[url])

    assert response.status_code == 403, response.content
    assert response.json() == {
        "success": False,
        "error": "Insufficient permissions. Required roles: staff",
        "code": "permission_denied",
    }
    assert db_state() == before


@pytest.mark.parametrize("url", list(FILES))
def test_a_viewer_may_not_upload_a_file_either(viewer_client, world, url):
    before = db_state()

    response = upload_csv(viewer_client, url, FILES[url])

    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("url", list(FILES))
def test_an_anonymous_caller_may_not_import(anon_client, world, url):
    before = db_state()

    response = post_csv(anon_client, url, FILES[url])

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert db_state() == before


@pytest.mark.parametrize("url", list(FILES))
def test_staff_may_import(staff_client, world, url):
    before = db_state()

    response = post_csv(staff_client, url, FILES[url])

    assert response.status_code == 200, response.content
    assert response.json()["data"]["errors"] == 0
    assert response.json()["data"]["committed"] is True
    assert db_state() != before


def test_the_ledger_names_the_staff_member_who_imported(world):
    staff = user_with_role("staff", email="counter@example.com")

    post_csv(client_for(staff), STOCK_IMPORT, FILES[STOCK_IMPORT])

    movement = StockMovement.objects.latest("id")
    assert (movement.created_by, movement.source) == (staff, MovementSource.IMPORT)


@pytest.mark.parametrize("active", ["false", "no", "0"])
def test_staff_may_not_deactivate_an_item_by_import(staff_client, world, active):
    before = db_state()

    body = post_csv(
        staff_client, ITEMS_IMPORT, f"sku,name,active\nSKU-1001,Renamed,{active}\n"
    ).json()

    assert row_errors(body) == [
        (2, "active", "Changing whether an item is active needs the admin role.")
    ]
    assert db_state() == before


def test_staff_may_not_reactivate_an_item_by_import(staff_client, world):
    Item.objects.filter(sku="SKU-1001").update(active=False)
    before = db_state()

    body = post_csv(staff_client, ITEMS_IMPORT, "sku,active\nSKU-1001,true\n").json()

    assert row_errors(body) == [
        (2, "active", "Changing whether an item is active needs the admin role.")
    ]
    assert db_state() == before


def test_staff_may_create_an_item_that_starts_inactive_by_import(staff_client, world):
    body = post_csv(staff_client, ITEMS_IMPORT, "sku,name,active\nNEW-1,Tea,false\n").json()

    assert body["errors"] == []
    assert counts(body)["inserted"] == 1
    assert Item.objects.get(sku="NEW-1").active is False


def test_staff_may_import_a_v20_items_file_with_inactive_rows(staff_client, world):
    text = (
        "sku,name,category,uom,reorder_min,reorder_max,par_level,active\n"
        "V20-1,Saffron,Spices,g,0,0,5,false\n"
        "V20-2,Cumin,Spices,g,0,0,5,true\n"
    )

    body = post_csv(staff_client, ITEMS_IMPORT, text).json()

    assert (body["errors"], counts(body)["inserted"]) == ([], 2)
    assert dict(Item.objects.filter(sku__startswith="V20-").values_list("sku", "active")) == {
        "V20-1": False,
        "V20-2": True,
    }


def test_staff_may_import_a_file_whose_active_column_changes_nothing(staff_client, world):
    body = post_csv(
        staff_client, ITEMS_IMPORT, "sku,name,active\nSKU-1001,Renamed,true\nNEW-1,Tea,yes\n"
    ).json()

    assert body["errors"] == []
    assert (counts(body)["updated"], counts(body)["inserted"]) == (1, 1)
    assert Item.objects.get(sku="SKU-1001").name == "Renamed"


def test_an_admin_may_deactivate_and_create_inactive_items_by_import(api_client, world):
    body = post_csv(
        api_client, ITEMS_IMPORT, "sku,name,active\nSKU-1001,,false\nNEW-1,Tea,false\n"
    ).json()

    assert body["errors"] == []
    assert dict(Item.objects.values_list("sku", "active")) == {"SKU-1001": False, "NEW-1": False}
