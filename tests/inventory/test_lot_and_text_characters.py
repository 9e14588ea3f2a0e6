"""Lots hold no invisible characters, and item texts no control characters other than line
breaks and tabs: a spreadsheet cannot hold them, and a lot with one is not the lot it looks like."""

import json
from decimal import Decimal

import pytest

from inventory import services
from inventory.models import StockMovement, StockRecord
from inventory_project.service_errors import ServiceError
from items.models import Item
from tests.factories import ItemFactory, LocationFactory
from tests.platform.csvio.support import ITEMS_IMPORT, STOCK_IMPORT, post_csv

pytestmark = pytest.mark.django_db

BAD_LOTS = [
    pytest.param("L\x01X", id="c0-control"),
    pytest.param("L\x9bX", id="c1-control"),
    pytest.param("L\u200bX", id="zero-width-space"),
    pytest.param("L\u202eX", id="bidi-override"),
]


@pytest.fixture
def walk_in():
    return LocationFactory(code="WALK-IN")


@pytest.mark.parametrize("lot", BAD_LOTS)
def test_a_receipt_into_a_lot_with_an_invisible_character_is_refused(walk_in, lot):
    with pytest.raises(ServiceError) as refused:
        services.stock_receive(item=ItemFactory(), location=walk_in, quantity=Decimal(2), lot=lot)

    assert (refused.value.code, refused.value.field) == ("invalid_lot", "lot")
    assert not StockRecord.objects.exists()
    assert not StockMovement.objects.exists()


def test_the_api_answers_a_400_naming_the_lot(staff_client, walk_in):
    item = ItemFactory(sku="SKU-1")

    response = staff_client.post(
        "/api/inventory/receive",
        {"sku": item.sku, "location": walk_in.code, "quantity": 2, "lot": "L\x01X"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_lot"
    assert "U+0001" in response.json()["error"]
    assert not StockRecord.objects.exists()


def test_a_lot_with_ordinary_punctuation_and_letters_is_kept(walk_in):
    services.stock_receive(
        item=ItemFactory(), location=walk_in, quantity=Decimal(2), lot="2026/11-Ä #3"
    )

    assert StockRecord.objects.get().lot == "2026/11-Ä #3"


def test_a_stock_import_row_with_an_invisible_character_in_its_lot_is_refused(
    staff_client, walk_in
):
    ItemFactory(sku="SKU-1")
    body = "sku,location,quantity,lot\nSKU-1,WALK-IN,3,L\u200bX\nSKU-1,WALK-IN,2,L1\n"

    response = post_csv(staff_client, STOCK_IMPORT, body.encode())

    data = response.json()
    assert (data["data"]["inserted"], data["data"]["errors"]) == (1, 1)
    assert (data["errors"][0]["line"], data["errors"][0]["field"]) == (2, "lot")
    assert list(StockRecord.objects.values_list("lot", flat=True)) == ["L1"]


def test_an_item_name_with_a_control_character_is_refused(staff_client):
    response = staff_client.post(
        "/api/items", {"sku": "SKU-1", "name": "Bell\x07pepper"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "U+0007" in response.json()["details"]["name"][0]
    assert not Item.objects.exists()


def test_an_item_import_row_with_a_control_character_in_its_category_is_refused(staff_client):
    body = "sku,name,category\nSKU-1,Rice,Dry\x1bgoods\nSKU-2,Oil,Oils\n"

    response = post_csv(staff_client, ITEMS_IMPORT, body.encode())

    data = response.json()
    assert (data["data"]["inserted"], data["data"]["errors"]) == (1, 1)
    assert data["errors"][0]["field"] == "category"
    assert list(Item.objects.values_list("sku", flat=True)) == ["SKU-2"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Two\nlines", id="line-break"),
        pytest.param("Tab\tseparated", id="tab"),
        pytest.param("\u0646\u0627\u0646\u200c\u0647\u0627", id="persian-zero-width-non-joiner"),
    ],
)
def test_an_item_name_may_hold_line_breaks_tabs_and_the_joiners_scripts_need(staff_client, name):
    response = staff_client.post("/api/items", {"sku": "SKU-1", "name": name}, format="json")

    assert response.status_code == 201, response.content
    assert Item.objects.get().name == name


@pytest.mark.parametrize("route", ["receive", "issue", "count"])
@pytest.mark.parametrize("field", ["sku", "location"])
def test_a_lone_surrogate_in_a_key_is_a_400_not_a_500(staff_client, walk_in, route, field):
    body = {"sku": "SKU-1", "location": "WALK-IN", "quantity": 1, field: "\ud800"}
    ItemFactory(sku="SKU-1")

    # As JSON carries it: an escape (json.dumps writes one), which a parser turns back into
    # the lone surrogate.
    response = staff_client.post(
        f"/api/inventory/{route}", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert not StockMovement.objects.exists()
