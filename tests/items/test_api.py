"""The item routes: GET/POST /api/items and GET/PUT/PATCH/DELETE /api/items/{sku} (v20 contract)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockMovement, StockRecord
from inventory.services import stock_receive
from items.models import Item
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

ITEM_FIELDS = {
    "id",
    "sku",
    "name",
    "category",
    "uom",
    "reorder_min",
    "reorder_max",
    "par_level",
    "active",
    "created_at",
    "updated_at",
}
# Authentication, the role's permissions and the rows: never one query per row.
LIST_QUERY_BOUND = 5


def _items():
    """Every stored item, field by field: what a refused write must leave as it was."""
    return list(Item.objects.order_by("pk").values())


def _assert_names_field(body, field):
    assert body["success"] is False
    assert field in body["details"]
    assert field.lower() in body["error"].lower()


# --- GET /api/items --------------------------------------------------------------------------


def test_item_list_answers_every_item_with_the_count(api_client):
    ItemFactory.create_batch(3)

    response = api_client.get("/api/items")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "count"}
    assert body["success"] is True
    assert body["count"] == len(body["data"]) == 3


def test_item_list_rows_carry_every_item_field(api_client, item):
    response = api_client.get("/api/items")

    row = response.json()["data"][0]
    assert set(row) == ITEM_FIELDS
    assert row["sku"] == "SKU-1001"
    assert row["name"] == "Chicken breast"
    assert row["category"] == "Protein"
    assert row["uom"] == "kg"
    assert row["active"] is True


def test_item_list_is_ordered_by_name(api_client):
    for name in ["Cherry", "Apple", "Banana"]:
        ItemFactory(name=name)

    response = api_client.get("/api/items")

    assert [row["name"] for row in response.json()["data"]] == ["Apple", "Banana", "Cherry"]


def test_item_list_renders_levels_as_json_numbers(api_client):
    ItemFactory(reorder_min=Decimal("2.5"), reorder_max=Decimal("20"), par_level=Decimal("7.125"))

    response = api_client.get("/api/items")

    row = response.json()["data"][0]
    assert row["reorder_min"] == 2.5
    assert row["reorder_max"] == 20
    assert row["par_level"] == 7.125
    assert b'"par_level":7.125' in response.content


def test_item_list_of_an_empty_catalogue_is_an_empty_list(api_client):
    response = api_client.get("/api/items")

    assert response.json() == {"success": True, "data": [], "count": 0}


def test_item_list_answers_with_a_trailing_slash_too(api_client, item):
    response = api_client.get("/api/items/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_item_list_active_true_keeps_only_active_items(api_client):
    ItemFactory(sku="ON-1", active=True)
    ItemFactory(sku="OFF-1", active=False)

    response = api_client.get("/api/items?active=true")

    assert [row["sku"] for row in response.json()["data"]] == ["ON-1"]
    assert response.json()["count"] == 1


def test_item_list_active_false_keeps_only_inactive_items(api_client):
    ItemFactory(sku="ON-1", active=True)
    ItemFactory(sku="OFF-1", active=False)

    response = api_client.get("/api/items?active=false")

    assert [row["sku"] for row in response.json()["data"]] == ["OFF-1"]


def test_item_list_filters_by_category(api_client):
    ItemFactory(sku="P-1", category="Protein")
    ItemFactory(sku="D-1", category="Dairy")

    response = api_client.get("/api/items?category=Dairy")

    assert [row["sku"] for row in response.json()["data"]] == ["D-1"]


def test_item_list_filters_by_exact_sku(api_client):
    ItemFactory(sku="SKU-1")
    ItemFactory(sku="SKU-10")

    response = api_client.get("/api/items?sku=SKU-1")

    assert [row["sku"] for row in response.json()["data"]] == ["SKU-1"]


def test_item_list_search_matches_sku_or_name_ignoring_case(api_client):
    ItemFactory(sku="MILK-1", name="Whole milk")
    ItemFactory(sku="CRM-1", name="Buttermilk")
    ItemFactory(sku="EGG-1", name="Eggs")

    response = api_client.get("/api/items?search=MiLk")

    assert {row["sku"] for row in response.json()["data"]} == {"MILK-1", "CRM-1"}


@pytest.mark.parametrize(
    "query",
    ["active=maybe", "active=2", "sku=%00", "search=a%00b", "category=%00"],
)
def test_item_list_with_an_invalid_filter_value_is_a_400_naming_it(api_client, query):
    response = api_client.get(f"/api/items?{query}")

    assert response.status_code == 400
    _assert_names_field(response.json(), query.split("=")[0])


@pytest.mark.parametrize("rows", [3, 30])
def test_item_list_uses_a_fixed_number_of_queries(api_client, django_assert_max_num_queries, rows):
    ItemFactory.create_batch(rows)

    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = api_client.get("/api/items")

    assert response.json()["count"] == rows


def test_item_list_says_whether_it_came_from_the_cache(api_client, item):
    first = api_client.get("/api/items")
    second = api_client.get("/api/items")

    assert first.headers.get("X-Cache") == "MISS"
    assert second.headers.get("X-Cache") == "HIT"


def test_item_list_shows_an_item_created_after_the_list_was_read(api_client, item):
    api_client.get("/api/items")

    api_client.post("/api/items", {"sku": "SKU-NEW", "name": "Newcomer"}, format="json")
    response = api_client.get("/api/items")

    assert {row["sku"] for row in response.json()["data"]} == {"SKU-1001", "SKU-NEW"}


# --- GET /api/items/{sku} ----------------------------------------------------------------------


def test_item_detail_answers_the_item(api_client, item):
    response = api_client.get("/api/items/SKU-1001")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert set(body["data"]) == ITEM_FIELDS
    assert body["data"]["id"] == item.pk
    assert body["data"]["name"] == "Chicken breast"


def test_item_detail_answers_with_a_trailing_slash_too(api_client, item):
    response = api_client.get("/api/items/SKU-1001/")

    assert response.status_code == 200
    assert response.json()["data"]["sku"] == "SKU-1001"


def test_item_detail_of_an_unknown_sku_is_404_item_not_found(api_client, item):
    response = api_client.get("/api/items/SKU-NOPE")

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "Item not found",
        "code": "item_not_found",
    }


def test_item_detail_with_a_nul_in_the_sku_is_a_404_not_a_500(api_client, item):
    response = api_client.get("/api/items/SKU%00-1001")

    assert response.status_code == 404
    assert response.json()["error"] == "Item not found"


def test_item_detail_finds_a_sku_with_url_special_characters(api_client):
    ItemFactory(sku="A B?#%")

    response = api_client.get("/api/items/A%20B%3F%23%25")

    assert response.status_code == 200
    assert response.json()["data"]["sku"] == "A B?#%"


# --- POST /api/items ---------------------------------------------------------------------------


def test_item_create_answers_201_with_id_sku_and_name_only(api_client):
    response = api_client.post("/api/items", {"sku": "SKU-3001", "name": "Butter"}, format="json")

    assert response.status_code == 201
    body = response.json()
    created = Item.objects.get(sku="SKU-3001")
    assert body == {
        "success": True,
        "data": {"id": created.pk, "sku": "SKU-3001", "name": "Butter"},
        "message": "Item created",
    }


def test_item_create_stores_every_given_field(api_client):
    api_client.post(
        "/api/items",
        {
            "sku": "SKU-3002",
            "name": "Cream",
            "category": "Dairy",
            "uom": "l",
            "reorder_min": 1.5,
            "reorder_max": 8,
            "par_level": "4.25",
            "active": False,
        },
        format="json",
    )

    item = Item.objects.get(sku="SKU-3002")
    assert (item.name, item.category, item.uom, item.active) == ("Cream", "Dairy", "l", False)
    assert (item.reorder_min, item.reorder_max, item.par_level) == (
        Decimal("1.5"),
        Decimal("8"),
        Decimal("4.25"),
    )


def test_item_create_answers_with_a_trailing_slash_too(api_client):
    response = api_client.post("/api/items/", {"sku": "SKU-3003", "name": "Lard"}, format="json")

    assert response.status_code == 201
    assert Item.objects.filter(sku="SKU-3003").exists()


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        pytest.param({"name": "No SKU"}, {"sku"}, id="no-sku"),
        pytest.param({"sku": "SKU-3004"}, {"name"}, id="no-name"),
        pytest.param({}, {"sku", "name"}, id="neither"),
        pytest.param({"sku": "  ", "name": "Blank SKU"}, {"sku"}, id="blank-sku"),
        pytest.param({"sku": "SKU-3004", "name": ""}, {"name"}, id="empty-name"),
        pytest.param({"sku": None, "name": None}, {"sku", "name"}, id="nulls"),
    ],
)
def test_item_create_without_sku_or_name_is_the_v20_400(api_client, body, missing):
    before = _items()

    response = api_client.post("/api/items", body, format="json")

    assert response.status_code == 400
    result = response.json()
    assert result["success"] is False
    assert result["error"] == "SKU and name are required"
    assert set(result["details"]) == missing
    assert _items() == before


def test_item_create_with_a_taken_sku_is_409_and_changes_nothing(api_client, item):
    before = _items()

    response = api_client.post("/api/items", {"sku": "SKU-1001", "name": "Copy"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_sku"
    _assert_names_field(body, "sku")
    assert _items() == before


BAD_ITEM_FIELDS = [
    pytest.param("sku", ["SKU-1"], id="sku-list"),
    pytest.param("sku", {"value": "SKU-1"}, id="sku-object"),
    pytest.param("sku", "S" * 65, id="sku-too-long"),
    pytest.param("sku", "A/B", id="sku-slash"),
    pytest.param("sku", "A\u0000B", id="sku-nul"),
    pytest.param("sku", "A\u0001B", id="sku-control-character"),
    pytest.param("name", "N" * 201, id="name-too-long"),
    pytest.param("name", ["Name"], id="name-list"),
    pytest.param("name", "Na\u0000me", id="name-nul"),
    pytest.param("category", "C" * 101, id="category-too-long"),
    pytest.param("uom", "U" * 21, id="uom-too-long"),
    pytest.param("par_level", "ten", id="par-level-text"),
    pytest.param("par_level", -1, id="par-level-negative"),
    pytest.param("par_level", 1.2345, id="par-level-four-decimals"),
    pytest.param("par_level", 1e12, id="par-level-too-large"),
    pytest.param("par_level", "NaN", id="par-level-nan"),
    pytest.param("par_level", [1], id="par-level-list"),
    pytest.param("reorder_min", -0.5, id="reorder-min-negative"),
    pytest.param("reorder_max", {"v": 1}, id="reorder-max-object"),
    pytest.param("active", "maybe", id="active-maybe"),
]


@pytest.mark.parametrize(("field", "value"), BAD_ITEM_FIELDS)
def test_item_create_with_a_bad_field_is_a_400_naming_it_and_adds_nothing(api_client, field, value):
    body = {"sku": "SKU-3005", "name": "Valid name", field: value}
    before = _items()

    response = api_client.post("/api/items", body, format="json")

    assert response.status_code == 400
    _assert_names_field(response.json(), field)
    assert _items() == before


def test_item_create_with_reorder_min_above_reorder_max_is_a_400_and_adds_nothing(api_client):
    before = _items()

    response = api_client.post(
        "/api/items",
        {"sku": "SKU-3006", "name": "Levels", "reorder_min": 9, "reorder_max": 3},
        format="json",
    )

    assert response.status_code == 400
    _assert_names_field(response.json(), "reorder_max")
    assert _items() == before


# --- PUT /api/items/{sku} ----------------------------------------------------------------------


def test_item_put_replaces_the_editable_fields(api_client, item):
    response = api_client.put(
        "/api/items/SKU-1001",
        {"name": "Chicken thigh", "category": "Poultry", "uom": "each", "par_level": 4},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == ITEM_FIELDS
    assert (data["name"], data["category"], data["uom"], data["par_level"]) == (
        "Chicken thigh",
        "Poultry",
        "each",
        4,
    )
    item.refresh_from_db()
    assert item.name == "Chicken thigh"
    assert item.par_level == Decimal("4")


def test_item_put_resets_omitted_optional_fields_to_their_defaults(api_client, item):
    api_client.put("/api/items/SKU-1001", {"name": "Only a name"}, format="json")

    item.refresh_from_db()
    assert (item.category, item.uom, item.active) == ("", "each", True)
    assert item.reorder_min == item.reorder_max == item.par_level == Decimal(0)


def test_item_put_without_a_name_is_a_400_and_changes_nothing(api_client, item):
    before = _items()

    response = api_client.put("/api/items/SKU-1001", {"category": "Poultry"}, format="json")

    assert response.status_code == 400
    _assert_names_field(response.json(), "name")
    assert _items() == before


def test_item_put_of_an_unknown_sku_is_404_and_creates_nothing(api_client, item):
    before = _items()

    response = api_client.put("/api/items/SKU-NOPE", {"name": "Ghost"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"] == "Item not found"
    assert _items() == before


def test_item_put_with_another_sku_is_refused_and_keeps_the_sku(api_client, item):
    before = _items()

    response = api_client.put(
        "/api/items/SKU-1001", {"sku": "SKU-9999", "name": "Renamed"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "sku_immutable"
    _assert_names_field(body, "sku")
    assert _items() == before


def test_item_put_answers_with_a_trailing_slash_too(api_client, item):
    response = api_client.put("/api/items/SKU-1001/", {"name": "Slash"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Slash"


# --- PATCH /api/items/{sku} --------------------------------------------------------------------


def test_item_patch_changes_only_the_given_fields(api_client, item):
    before = Item.objects.values().get(pk=item.pk)

    response = api_client.patch("/api/items/SKU-1001", {"par_level": 12.5}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["par_level"] == 12.5
    after = Item.objects.values().get(pk=item.pk)
    assert after["par_level"] == Decimal("12.5")
    unchanged = set(before) - {"par_level", "updated_at"}
    assert {f: after[f] for f in unchanged} == {f: before[f] for f in unchanged}


def test_item_patch_moves_updated_at(api_client, item):
    long_ago = timezone.now() - timedelta(days=3)
    Item.objects.filter(pk=item.pk).update(updated_at=long_ago)

    api_client.patch("/api/items/SKU-1001", {"name": "Chicken leg"}, format="json")

    assert Item.objects.get(pk=item.pk).updated_at > long_ago


def test_item_patch_with_its_own_sku_is_accepted(api_client, item):
    response = api_client.patch(
        "/api/items/SKU-1001", {"sku": "SKU-1001", "category": "Meat"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["category"] == "Meat"


def test_item_patch_with_reorder_min_above_reorder_max_is_a_400_and_changes_nothing(
    api_client, item
):
    item.reorder_min, item.reorder_max = Decimal(2), Decimal(20)
    item.save()
    before = _items()

    response = api_client.patch("/api/items/SKU-1001", {"reorder_min": 25}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_levels"
    assert _items() == before


BAD_PATCHES = [
    pytest.param("sku", "SKU-OTHER", id="sku-changed"),
    pytest.param("sku", ["SKU-1001"], id="sku-list"),
    pytest.param("name", "", id="name-empty"),
    pytest.param("name", "   ", id="name-blank"),
    pytest.param("name", None, id="name-null"),
    pytest.param("name", "N" * 201, id="name-too-long"),
    pytest.param("category", {"a": 1}, id="category-object"),
    pytest.param("par_level", "lots", id="par-level-text"),
    pytest.param("par_level", -3, id="par-level-negative"),
    pytest.param("par_level", 0.0001, id="par-level-four-decimals"),
    pytest.param("active", "maybe", id="active-maybe"),
]


@pytest.mark.parametrize(("field", "value"), BAD_PATCHES)
def test_item_patch_with_a_bad_field_is_a_400_naming_it_and_changes_nothing(
    api_client, item, field, value
):
    before = _items()

    response = api_client.patch("/api/items/SKU-1001", {field: value}, format="json")

    assert response.status_code == 400
    _assert_names_field(response.json(), field)
    assert _items() == before


def test_item_patch_answers_with_a_trailing_slash_too(api_client, item):
    response = api_client.patch("/api/items/SKU-1001/", {"uom": "g"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["uom"] == "g"


def test_item_patch_of_an_unknown_sku_is_404(api_client, item):
    response = api_client.patch("/api/items/SKU-NOPE", {"name": "Ghost"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"] == "Item not found"


# --- DELETE /api/items/{sku} -------------------------------------------------------------------


def test_item_delete_deactivates_the_item(api_client, item):
    response = api_client.delete("/api/items/SKU-1001")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Item deactivated"
    assert body["data"]["sku"] == "SKU-1001"
    assert body["data"]["active"] is False


def test_item_delete_keeps_the_item_readable(api_client, item):
    api_client.delete("/api/items/SKU-1001")

    response = api_client.get("/api/items/SKU-1001")

    assert response.status_code == 200
    assert response.json()["data"]["active"] is False
    assert Item.objects.filter(sku="SKU-1001").count() == 1


def test_item_delete_keeps_the_items_stock_and_ledger(api_client, stocked):
    api_client.delete("/api/items/SKU-1001")

    assert StockRecord.objects.get(pk=stocked.pk).quantity == Decimal(10)
    assert StockMovement.objects.filter(stock_record=stocked).count() == 1


def test_item_delete_answers_with_a_trailing_slash_too(api_client, item):
    response = api_client.delete("/api/items/SKU-1001/")

    assert response.status_code == 200
    assert Item.objects.get(sku="SKU-1001").active is False


def test_item_delete_of_an_unknown_sku_is_404(api_client, item):
    response = api_client.delete("/api/items/SKU-NOPE")

    assert response.status_code == 404
    assert response.json()["error"] == "Item not found"


def test_a_deleted_item_drops_out_of_the_active_list(api_client, item):
    ItemFactory(sku="SKU-STAYS")
    api_client.delete("/api/items/SKU-1001")

    response = api_client.get("/api/items?active=true")

    assert [row["sku"] for row in response.json()["data"]] == ["SKU-STAYS"]


def test_a_deleted_items_ledger_stays_readable(api_client, item, location):
    stock_receive(item=item, location=location, quantity=Decimal(1))
    api_client.delete("/api/items/SKU-1001")

    response = api_client.get("/api/inventory/movements?sku=SKU-1001")

    assert response.json()["count"] == 1


def test_staff_may_create_an_item_that_starts_inactive(staff_client):
    response = staff_client.post(
        "/api/items", {"sku": "SKU-4001", "name": "Saffron", "active": False}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["sku"] == "SKU-4001"
    assert Item.objects.get(sku="SKU-4001").active is False


def test_staff_changing_an_items_active_with_other_fields_is_refused_and_changes_nothing(
    staff_client, item
):
    before = _items()

    response = staff_client.patch(
        f"/api/items/{item.sku}", {"name": "Renamed", "active": False}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"] == "Insufficient permissions. Required roles: admin"
    assert _items() == before
