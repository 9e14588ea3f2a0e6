"""The inventory routes: stock rows, the summary, the ledger, locations and the stock operations."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import services
from inventory.models import Location, MovementSource, StockMovement, StockRecord
from inventory_project.http.request_context import reset_request_id, set_request_id
from items.models import Item
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db

STOCK_FIELDS = {
    "id",
    "sku",
    "location",
    "quantity",
    "lot",
    "expires_at",
    "last_counted_at",
    "created_at",
    "updated_at",
    "item_name",
    "category",
    "uom",
    "par_level",
}
MOVEMENT_FIELDS = {
    "id",
    "sku",
    "location",
    "lot",
    "kind",
    "quantity_delta",
    "quantity_after",
    "created_at",
    "created_by",
    "reason",
    "source",
    "request_id",
    "transfer_id",
    "reverses",
}
LOCATION_FIELDS = {"id", "code", "name", "active", "created_at"}
# Authentication, the role's permissions, the rows (and the total when paged).
LIST_QUERY_BOUND = 5


def _state():
    """Everything a refused write must leave as it was."""
    return (
        list(Item.objects.order_by("pk").values_list("pk", "sku", "active")),
        list(Location.objects.order_by("pk").values_list("pk", "code")),
        list(
            StockRecord.objects.order_by("pk").values_list(
                "pk", "quantity", "lot", "expires_at", "last_counted_at"
            )
        ),
        StockMovement.objects.count(),
    )


def _assert_names_field(body, field):
    assert body["success"] is False
    assert field in body["details"]
    assert field in body["error"]


def _receive(item, location, quantity, **kwargs):
    return services.stock_receive(
        item=item, location=location, quantity=Decimal(quantity), **kwargs
    )


# --- GET /api/inventory ------------------------------------------------------------------------


def test_stock_list_rows_carry_the_item_name_category_and_par_level(api_client, stocked):
    response = api_client.get("/api/inventory")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "count"}
    assert body["count"] == 1
    row = body["data"][0]
    assert set(row) == STOCK_FIELDS
    assert row["sku"] == "SKU-1001"
    assert row["location"] == "WALK-IN"
    assert row["quantity"] == 10
    assert row["item_name"] == "Chicken breast"
    assert row["category"] == "Protein"
    assert row["par_level"] == 10
    assert row["lot"] == ""


def test_stock_list_renders_quantities_as_json_numbers(api_client, item, location):
    _receive(item, location, "2.5")

    response = api_client.get("/api/inventory")

    assert response.json()["data"][0]["quantity"] == 2.5
    assert b'"quantity":2.5' in response.content


def test_stock_list_is_ordered_by_item_name_then_location(api_client, location, other_location):
    carrots, apples = ItemFactory(name="Carrots"), ItemFactory(name="Apples")
    for item in (carrots, apples):
        for where in (location, other_location):
            _receive(item, where, 1)

    response = api_client.get("/api/inventory")

    assert [(row["item_name"], row["location"]) for row in response.json()["data"]] == [
        ("Apples", "FREEZER"),
        ("Apples", "WALK-IN"),
        ("Carrots", "FREEZER"),
        ("Carrots", "WALK-IN"),
    ]


def test_stock_list_answers_with_a_trailing_slash_too(api_client, stocked):
    response = api_client.get("/api/inventory/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.fixture
def two_items_two_places(location, other_location):
    milk = ItemFactory(sku="MILK", name="Whole milk", category="Dairy", active=True)
    flour = ItemFactory(sku="FLOUR", name="Bread flour", category="Dry", active=False)
    _receive(milk, location, 1)
    _receive(milk, other_location, 2, lot="L-2", expires_at=date(2030, 1, 1))
    _receive(flour, location, 3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sku=MILK", {("MILK", "WALK-IN"), ("MILK", "FREEZER")}),
        ("location=FREEZER", {("MILK", "FREEZER")}),
        ("category=Dry", {("FLOUR", "WALK-IN")}),
        ("active=true", {("MILK", "WALK-IN"), ("MILK", "FREEZER")}),
        ("active=false", {("FLOUR", "WALK-IN")}),
        ("lot=L-2", {("MILK", "FREEZER")}),
        ("expires_before=2030-06-30", {("MILK", "FREEZER")}),
        ("search=bread", {("FLOUR", "WALK-IN")}),
        ("search=mil", {("MILK", "WALK-IN"), ("MILK", "FREEZER")}),
        ("sku=MILK&location=WALK-IN", {("MILK", "WALK-IN")}),
    ],
)
def test_stock_list_filters(api_client, two_items_two_places, query, expected):
    response = api_client.get(f"/api/inventory?{query}")

    rows = response.json()["data"]
    assert {(row["sku"], row["location"]) for row in rows} == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", 3), ("sku=MILK", 2), ("category=Dry", 1), ("search=mil", 2), ("location=FREEZER", 1)],
)
def test_stock_page_counts_every_matching_row(api_client, two_items_two_places, query, expected):
    response = api_client.get(f"/api/inventory?{query}&limit=1")

    assert response.json()["count"] == expected
    assert len(response.json()["data"]) == 1


def test_stock_page_counts_rows_without_joining_the_columns_tables(api_client, stocked):
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get("/api/inventory?limit=1")

    assert response.json()["count"] == 1
    (count_sql,) = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert "items_item" not in count_sql
    assert "inventory_location" not in count_sql


@pytest.mark.parametrize(
    "query", ["active=maybe", "expires_before=notadate", "location=%00", "search=%00"]
)
def test_stock_list_with_an_invalid_filter_value_is_a_400_naming_it(api_client, stocked, query):
    response = api_client.get(f"/api/inventory?{query}")

    assert response.status_code == 400
    _assert_names_field(response.json(), query.split("=")[0])


@pytest.mark.parametrize("rows", [3, 30])
def test_stock_list_uses_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, location, rows
):
    for item in ItemFactory.create_batch(rows):
        _receive(item, location, 1)

    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = api_client.get("/api/inventory")

    assert response.json()["count"] == rows


# --- GET /api/inventory/summary ----------------------------------------------------------------


def test_summary_of_an_empty_inventory_is_all_zero(api_client):
    response = api_client.get("/api/inventory/summary")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    data = body["data"]
    assert set(data) == {
        "total_items",
        "total_quantity",
        "total_locations",
        "low_stock_count",
        "timestamp",
    }
    assert (data["total_items"], data["total_quantity"], data["total_locations"]) == (0, 0, 0)
    assert data["low_stock_count"] == 0


def test_summary_counts_active_items_only(api_client):
    ItemFactory.create_batch(3, active=True)
    ItemFactory(active=False)

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["total_items"] == 3


def test_summary_totals_the_quantity_of_every_stock_row_as_a_number(
    api_client, item, location, other_location
):
    _receive(item, location, "2.5")
    _receive(item, other_location, "0.125", lot="L1")
    _receive(ItemFactory(), location, 7)

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["total_quantity"] == 9.625
    assert b'"total_quantity":9.625' in response.content


def test_summary_counts_the_locations_that_hold_stock(api_client, item, location, other_location):
    LocationFactory(code="EMPTY-SHELF")
    _receive(item, location, 1)
    _receive(item, other_location, 1)
    _receive(ItemFactory(), location, 1)

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["total_locations"] == 2


def test_summary_timestamp_is_now(api_client):
    before = timezone.now()

    response = api_client.get("/api/inventory/summary")

    stamp = datetime.fromisoformat(response.json()["data"]["timestamp"].replace("Z", "+00:00"))
    assert before <= stamp <= timezone.now()


@pytest.mark.parametrize(
    ("par_level", "stocked_quantities", "active", "is_low"),
    [
        pytest.param("10", ["4"], True, True, id="below-par"),
        pytest.param("10", ["10"], True, False, id="at-par"),
        pytest.param("10", ["12.5"], True, False, id="above-par"),
        pytest.param("10", ["6", "4"], True, False, id="at-par-over-two-locations"),
        pytest.param("10", ["6", "3.999"], True, True, id="just-below-par-over-two-locations"),
        pytest.param("10", [], True, True, id="no-stock-at-all"),
        pytest.param("0", [], True, True, id="no-stock-and-no-par"),
        pytest.param("0", ["1"], True, False, id="stocked-without-par"),
        pytest.param("10", ["4"], False, False, id="inactive-below-par"),
        pytest.param("10", [], False, False, id="inactive-without-stock"),
    ],
)
def test_summary_low_stock_count_follows_the_rule(
    api_client, location, other_location, par_level, stocked_quantities, active, is_low
):
    item = ItemFactory(par_level=Decimal(par_level), active=active)
    for quantity, where in zip(stocked_quantities, (location, other_location), strict=False):
        _receive(item, where, quantity)

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["low_stock_count"] == (1 if is_low else 0)


def test_summary_low_stock_count_adds_up_over_many_items(api_client, location):
    _receive(ItemFactory(par_level=Decimal(5)), location, 1)  # below par
    ItemFactory(par_level=Decimal(5))  # no stock
    _receive(ItemFactory(par_level=Decimal(5)), location, 5)  # at par
    ItemFactory(par_level=Decimal(5), active=False)  # inactive: never counted
    negative = ItemFactory(par_level=Decimal(0))
    services.stock_issue(item=negative, location=location, quantity=Decimal(1), allow_negative=True)

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["low_stock_count"] == 3


def test_summary_answers_with_a_trailing_slash_too(api_client):
    response = api_client.get("/api/inventory/summary/")

    assert response.status_code == 200


# --- GET /api/inventory/movements ----------------------------------------------------------------


def test_movement_list_rows_carry_the_ledger_fields(api_client, stocked):
    response = api_client.get("/api/inventory/movements")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["count"] == 1
    row = body["data"][0]
    assert set(row) == MOVEMENT_FIELDS
    assert row["sku"] == "SKU-1001"
    assert row["location"] == "WALK-IN"
    assert row["kind"] == "receipt"
    assert row["quantity_delta"] == 10
    assert row["quantity_after"] == 10
    assert row["source"] == "api"
    assert row["transfer_id"] is None


def test_movement_list_is_newest_first(api_client, stocked):
    services.stock_issue(item=stocked.item, location=stocked.location, quantity=Decimal(1))
    services.stock_count(item=stocked.item, location=stocked.location, counted_quantity=Decimal(5))

    response = api_client.get("/api/inventory/movements")

    assert [row["kind"] for row in response.json()["data"]] == ["count", "issue", "receipt"]


def test_movement_list_answers_with_a_trailing_slash_too(api_client, stocked):
    response = api_client.get("/api/inventory/movements/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.fixture
def ledger(item, location, other_location):
    """Receipts, an issue and a transfer, from two sources and two requests."""
    _receive(item, location, 10, source=MovementSource.ADMIN)
    _receive(ItemFactory(sku="OTHER"), other_location, 5)
    token = set_request_id("req-issue")
    try:
        services.stock_issue(item=item, location=location, quantity=Decimal(2))
    finally:
        reset_request_id(token)
    services.stock_transfer(
        item=item, from_location=location, to_location=other_location, quantity=Decimal(1)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=receipt", 2),
        ("kind=issue", 1),
        ("kind=transfer", 2),
        ("sku=SKU-1001", 4),
        ("sku=OTHER", 1),
        ("location=FREEZER", 2),
        ("source=admin", 1),
        ("source=api", 4),
        ("request_id=req-issue", 1),
        ("sku=SKU-1001&kind=transfer&location=FREEZER", 1),
        ("created_after=2000-01-01T00:00:00Z", 5),
        ("created_before=2000-01-01T00:00:00Z", 0),
    ],
)
def test_movement_list_filters(api_client, ledger, query, expected):
    response = api_client.get(f"/api/inventory/movements?{query}")

    assert response.status_code == 200
    assert response.json()["count"] == expected
    assert len(response.json()["data"]) == expected


JANUARY_10 = datetime(2024, 1, 10, tzinfo=UTC)
FEBRUARY_10 = datetime(2024, 2, 10, tzinfo=UTC)


@pytest.fixture
def january_and_february_movements(item, location, monkeypatch):
    """A receipt written on 10 January and an issue written on 10 February."""
    monkeypatch.setattr(timezone, "now", lambda: JANUARY_10)
    _receive(item, location, 5)
    monkeypatch.setattr(timezone, "now", lambda: FEBRUARY_10)
    services.stock_issue(item=item, location=location, quantity=Decimal(1))
    monkeypatch.undo()


@pytest.mark.parametrize(
    ("query", "expected_kinds"),
    [
        ("created_after=2024-02-01T00:00:00Z", ["issue"]),
        ("created_before=2024-02-01T00:00:00Z", ["receipt"]),
        ("created_after=2024-01-10T00:00:00Z&created_before=2024-02-10T00:00:00Z", ["receipt"]),
        ("created_after=2024-02-10T00:00:00Z", ["issue"]),
        ("created_after=2024-02-10T00:00:00.000001Z", []),
    ],
)
def test_movement_list_created_after_and_before_select_a_time_window(
    api_client, january_and_february_movements, query, expected_kinds
):
    response = api_client.get(f"/api/inventory/movements?{query}")

    assert [row["kind"] for row in response.json()["data"]] == expected_kinds


@pytest.mark.parametrize(
    "query",
    [
        "kind=bogus",
        "source=bogus",
        "created_after=notadate",
        "created_before=yesterday",
        "request_id=%00",
    ],
)
def test_movement_list_with_an_invalid_filter_value_is_a_400_naming_it(api_client, stocked, query):
    response = api_client.get(f"/api/inventory/movements?{query}")

    assert response.status_code == 400
    _assert_names_field(response.json(), query.split("=")[0])


@pytest.mark.parametrize("rows", [3, 30])
def test_movement_list_uses_a_fixed_number_of_queries(
    api_client, api_user, django_assert_max_num_queries, item, location, rows
):
    for _ in range(rows):
        _receive(item, location, 1, performed_by=api_user)

    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = api_client.get("/api/inventory/movements")

    assert response.json()["count"] == rows
    assert response.json()["data"][0]["created_by"] == api_user.email


TRANSFER = {"sku": "SKU-1001", "from_location": "WALK-IN", "to_location": "FREEZER"}


# --- POST /api/inventory/receive -----------------------------------------------------------------


def test_receive_answers_201_with_the_ledger_row_and_the_stock_after_it(
    api_client, api_user, item, location
):
    response = api_client.post(
        "/api/inventory/receive",
        {
            "sku": "SKU-1001",
            "location": "WALK-IN",
            "quantity": 2.5,
            "lot": "LOT-9",
            "expires_at": "2030-12-31",
            "reason": "PO 77",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "data", "message"}
    assert body["message"] == "Stock received"
    movement, stock = body["data"]["movement"], body["data"]["stock"]
    assert set(movement) == MOVEMENT_FIELDS
    assert set(stock) == STOCK_FIELDS
    assert movement["kind"] == "receipt"
    assert movement["quantity_delta"] == 2.5
    assert movement["quantity_after"] == 2.5
    assert movement["created_by"] == api_user.email
    assert movement["source"] == "api"
    assert movement["reason"] == "PO 77"
    assert movement["lot"] == "LOT-9"
    assert stock["quantity"] == 2.5
    assert stock["expires_at"] == "2030-12-31"


def test_receive_stores_the_quantity_and_one_ledger_row(api_client, api_user, item, location):
    api_client.post(
        "/api/inventory/receive",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": "3.125"},
        format="json",
    )

    record = StockRecord.objects.get(item=item, location=location)
    assert record.quantity == Decimal("3.125")
    movement = StockMovement.objects.get()
    assert movement.stock_record == record
    assert movement.created_by == api_user
    assert movement.source == MovementSource.API


def test_receive_answers_with_a_trailing_slash_too(api_client, item, location):
    response = api_client.post(
        "/api/inventory/receive/",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 1},
        format="json",
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/inventory/issue/", {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 1}),
        ("/api/inventory/count/", {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 9}),
        (
            "/api/inventory/adjust/",
            {"sku": "SKU-1001", "location": "WALK-IN", "quantity_delta": -1, "reason": "Waste"},
        ),
        ("/api/inventory/transfer/", {**TRANSFER, "quantity": 1}),
    ],
)
def test_every_stock_operation_answers_with_a_trailing_slash_too(
    api_client, stocked, other_location, path, body
):
    response = api_client.post(path, body, format="json")

    assert response.status_code == 201
    assert StockMovement.objects.count() == (3 if "transfer" in path else 2)


def test_receive_of_the_largest_quantity_renders_it_exactly(api_client, item, location):
    response = api_client.post(
        "/api/inventory/receive",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 99999999999.999},
        format="json",
    )

    assert response.status_code == 201
    assert b'"quantity":99999999999.999' in response.content


def test_receive_beyond_the_storable_quantity_is_refused_and_changes_nothing(api_client, stocked):
    before = _state()

    response = api_client.post(
        "/api/inventory/receive",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 99999999999.999},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "quantity_out_of_range"
    assert _state() == before


# --- POST /api/inventory/issue -------------------------------------------------------------------


def test_issue_answers_201_and_takes_the_quantity_away(api_client, stocked):
    response = api_client.post(
        "/api/inventory/issue",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 2.5, "reason": "Dinner"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Stock issued"
    assert body["data"]["movement"]["kind"] == "issue"
    assert body["data"]["movement"]["quantity_delta"] == -2.5
    assert body["data"]["stock"]["quantity"] == 7.5
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7.5")


def test_issue_beyond_stock_is_409_insufficient_stock_and_changes_nothing(api_client, stocked):
    before = _state()

    response = api_client.post(
        "/api/inventory/issue",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 10.5},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "insufficient_stock"
    assert "quantity" in body["details"]
    assert "10 on hand" in body["error"]
    assert _state() == before


def test_issue_without_a_lot_from_stock_held_in_lots_is_409_naming_the_lots(
    api_client, item, location
):
    for lot, quantity in (("L1", 5), ("L2", 3)):
        api_client.post(
            "/api/inventory/receive",
            {"sku": "SKU-1001", "location": "WALK-IN", "lot": lot, "quantity": quantity},
            format="json",
        )
    before = _state()

    response = api_client.post(
        "/api/inventory/issue",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 2},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["error"] == (
        "Insufficient stock of SKU-1001 at WALK-IN: only 0 on hand without a lot, 2 requested;"
        " on hand in lots: L1 (5), L2 (3). Name a lot to issue from."
    )
    assert body["details"] == {"quantity": [body["error"]]}
    assert _state() == before


def test_issue_with_allow_negative_goes_below_zero(api_client, stocked):
    response = api_client.post(
        "/api/inventory/issue",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 12, "allow_negative": True},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["stock"]["quantity"] == -2
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal(-2)


# --- POST /api/inventory/count -------------------------------------------------------------------


def test_count_answers_201_and_sets_the_counted_quantity(api_client, stocked):
    response = api_client.post(
        "/api/inventory/count",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 7.25},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Stock counted"
    assert body["data"]["movement"]["kind"] == "count"
    assert body["data"]["movement"]["quantity_delta"] == -2.75
    assert body["data"]["stock"]["quantity"] == 7.25
    assert body["data"]["stock"]["last_counted_at"] is not None


def test_count_that_confirms_the_quantity_still_writes_a_ledger_row(api_client, stocked):
    response = api_client.post(
        "/api/inventory/count",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 10},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["movement"]["quantity_delta"] == 0
    assert StockMovement.objects.filter(kind="count").count() == 1
    stocked.refresh_from_db()
    assert stocked.last_counted_at is not None


def test_count_of_zero_empties_the_stock(api_client, stocked):
    response = api_client.post(
        "/api/inventory/count",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 0},
        format="json",
    )

    assert response.status_code == 201
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal(0)


# --- POST /api/inventory/adjust ------------------------------------------------------------------


def test_adjust_answers_201_and_applies_the_signed_delta(api_client, stocked):
    response = api_client.post(
        "/api/inventory/adjust",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity_delta": -1.5, "reason": "Spoiled"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Stock adjusted"
    assert body["data"]["movement"]["kind"] == "adjustment"
    assert body["data"]["movement"]["reason"] == "Spoiled"
    assert body["data"]["stock"]["quantity"] == 8.5


def test_adjust_below_zero_is_409_and_changes_nothing(api_client, stocked):
    before = _state()

    response = api_client.post(
        "/api/inventory/adjust",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity_delta": -11, "reason": "Spoiled"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert _state() == before


# --- POST /api/inventory/transfer ----------------------------------------------------------------


def test_transfer_answers_201_with_both_legs_and_both_stock_rows(
    api_client, stocked, other_location
):
    response = api_client.post(
        "/api/inventory/transfer", {**TRANSFER, "quantity": 4, "reason": "Freeze"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Stock transferred"
    data = body["data"]
    assert set(data) == {"movements", "from_stock", "to_stock"}
    outgoing, incoming = data["movements"]
    assert (outgoing["location"], outgoing["quantity_delta"]) == ("WALK-IN", -4)
    assert (incoming["location"], incoming["quantity_delta"]) == ("FREEZER", 4)
    assert outgoing["transfer_id"] == incoming["transfer_id"]
    assert uuid.UUID(outgoing["transfer_id"])
    assert data["from_stock"]["quantity"] == 6
    assert data["to_stock"]["quantity"] == 4


def test_transfer_writes_two_ledger_rows_and_balances(api_client, stocked, other_location):
    api_client.post("/api/inventory/transfer", {**TRANSFER, "quantity": 4}, format="json")

    legs = StockMovement.objects.filter(kind="transfer")
    assert legs.count() == 2
    assert len({leg.transfer_id for leg in legs}) == 1
    assert_ledger_balances()


def test_transfer_beyond_stock_is_409_and_writes_neither_leg(api_client, stocked, other_location):
    before = _state()

    response = api_client.post(
        "/api/inventory/transfer", {**TRANSFER, "quantity": 11}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert _state() == before


def test_transfer_to_the_same_location_is_a_400_and_changes_nothing(api_client, stocked):
    before = _state()

    response = api_client.post(
        "/api/inventory/transfer",
        {**TRANSFER, "to_location": "WALK-IN", "quantity": 1},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "same_location"
    assert "to_location" in body["details"]
    assert "location" in body["error"]
    assert _state() == before


# --- bad input on every stock operation ----------------------------------------------------------

STOCK_ROUTES = {
    "receive": ("/api/inventory/receive", {"sku": "SKU-1001", "location": "WALK-IN"}, "quantity"),
    "issue": ("/api/inventory/issue", {"sku": "SKU-1001", "location": "WALK-IN"}, "quantity"),
    "count": ("/api/inventory/count", {"sku": "SKU-1001", "location": "WALK-IN"}, "quantity"),
    "adjust": (
        "/api/inventory/adjust",
        {"sku": "SKU-1001", "location": "WALK-IN", "reason": "Test"},
        "quantity_delta",
    ),
    "transfer": ("/api/inventory/transfer", dict(TRANSFER), "quantity"),
}
MISSING = object()
# (field, value): the field is the quantity field when named "<quantity>".
BAD_STOCK_INPUT = {
    "quantity-missing": ("<quantity>", MISSING),
    "quantity-null": ("<quantity>", None),
    "quantity-text": ("<quantity>", "a few"),
    "quantity-list": ("<quantity>", [1]),
    "quantity-object": ("<quantity>", {"value": 1}),
    "quantity-boolean": ("<quantity>", True),
    "quantity-four-decimals": ("<quantity>", 1.2345),
    "quantity-too-large": ("<quantity>", 1e12),
    "quantity-nan-text": ("<quantity>", "NaN"),
    "quantity-infinity-text": ("<quantity>", "Infinity"),
    "quantity-negative": ("<quantity>", -1),
    "sku-missing": ("sku", MISSING),
    "sku-null": ("sku", None),
    "sku-unknown": ("sku", "SKU-NOPE"),
    "sku-list": ("sku", ["SKU-1001"]),
    "sku-object": ("sku", {"sku": "SKU-1001"}),
    "sku-blank": ("sku", "  "),
    "sku-nul": ("sku", "SKU\u00001001"),
    "sku-too-long": ("sku", "S" * 65),
    "lot-too-long": ("lot", "L" * 65),
    "lot-list": ("lot", ["L1"]),
    "lot-nul": ("lot", "L\u00001"),
    "reason-too-long": ("reason", "r" * 501),
    "reason-object": ("reason", {"why": "because"}),
    "reason-nul": ("reason", "because\u0000"),
}
BAD_LOCATION_INPUT = {
    "missing": MISSING,
    "unknown": "NOWHERE",
    "list": ["WALK-IN"],
    "object": {"code": "WALK-IN"},
    "nul": "WALK\u0000IN",
    "too-long": "W" * 65,
}
OPERATION_SPECIFIC_INPUT = {
    "receive": {"expires_at-text": ("expires_at", "notadate"), "quantity-zero": ("quantity", 0)},
    "issue": {
        "allow_negative-maybe": ("allow_negative", "maybe"),
        "quantity-zero": ("quantity", 0),
    },
    "count": {"expires_at-month": ("expires_at", "2030-13-01")},
    "adjust": {
        "reason-missing": ("reason", MISSING),
        "reason-blank": ("reason", "   "),
        "quantity_delta-zero": ("quantity_delta", 0),
        "allow_negative-list": ("allow_negative", [True]),
    },
    "transfer": {"quantity-zero": ("quantity", 0)},
}


def _bad_stock_cases():
    for operation, (path, base, quantity_field) in STOCK_ROUTES.items():
        cases = {**BAD_STOCK_INPUT, **OPERATION_SPECIFIC_INPUT[operation]}
        if operation == "adjust":  # a signed delta: negative is a valid adjustment
            del cases["quantity-negative"]
        for name, (field, value) in cases.items():
            field = quantity_field if field == "<quantity>" else field
            yield pytest.param(path, base, quantity_field, field, value, id=f"{operation}-{name}")
        location_fields = ("from_location", "to_location") if operation == "transfer" else ()
        for location_field in location_fields or ("location",):
            for name, value in BAD_LOCATION_INPUT.items():
                yield pytest.param(
                    path,
                    base,
                    quantity_field,
                    location_field,
                    value,
                    id=f"{operation}-{location_field}-{name}",
                )


@pytest.fixture
def stock_world(stocked, other_location):
    LocationFactory(code="CLOSED", active=False)


@pytest.mark.parametrize(("path", "base", "quantity_field", "field", "value"), _bad_stock_cases())
def test_a_stock_operation_with_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    api_client, stock_world, path, base, quantity_field, field, value
):
    body = {**base, quantity_field: 1}
    if value is MISSING:
        body.pop(field, None)
    else:
        body[field] = value
    before = _state()

    response = api_client.post(path, body, format="json")

    assert response.status_code == 400, response.content
    _assert_names_field(response.json(), field)
    assert _state() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/inventory/receive", {"location": "CLOSED", "quantity": 1}, "location"),
        ("/api/inventory/count", {"location": "CLOSED", "quantity": 1}, "location"),
        (
            "/api/inventory/adjust",
            {"location": "CLOSED", "quantity_delta": 1, "reason": "Found"},
            "location",
        ),
        (
            "/api/inventory/transfer",
            {"from_location": "WALK-IN", "to_location": "CLOSED", "quantity": 1},
            "to_location",
        ),
    ],
)
def test_stock_cannot_enter_an_inactive_location(api_client, stock_world, path, body, field):
    before = _state()

    response = api_client.post(path, {"sku": "SKU-1001", **body}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "location_inactive"
    assert field in response.json()["details"]
    assert _state() == before


def test_stock_can_be_moved_out_of_a_location_that_was_retired(
    api_client, stocked, location, other_location
):
    from inventory.services import location_update

    location_update(location=location, active=False)

    response = api_client.post(
        "/api/inventory/transfer",
        {"sku": "SKU-1001", "from_location": "WALK-IN", "to_location": "FREEZER", "quantity": 10},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["from_stock"]["quantity"] == 0


# --- /api/locations ------------------------------------------------------------------------------


def test_location_list_answers_every_location_ordered_by_code(api_client):
    for code in ["PANTRY", "BAR", "CELLAR"]:
        LocationFactory(code=code)

    response = api_client.get("/api/locations")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "count"}
    assert body["count"] == 3
    assert [row["code"] for row in body["data"]] == ["BAR", "CELLAR", "PANTRY"]
    assert set(body["data"][0]) == LOCATION_FIELDS


def test_location_list_answers_with_a_trailing_slash_too(api_client, location):
    response = api_client.get("/api/locations/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_location_list_uses_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, rows
):
    LocationFactory.create_batch(rows)

    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = api_client.get("/api/locations")

    assert response.json()["count"] == rows


def test_location_detail_answers_the_location(api_client, location):
    response = api_client.get("/api/locations/WALK-IN")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["data"]["code"] == "WALK-IN"
    assert body["data"]["name"] == "Walk-in cooler"
    assert set(body["data"]) == LOCATION_FIELDS


def test_location_detail_reads_the_location_in_one_query(
    api_client, location, django_assert_num_queries
):
    api_client.get("/api/locations/WALK-IN")  # the caller's state is cached from here on

    with django_assert_num_queries(1):
        response = api_client.get("/api/locations/WALK-IN")

    assert response.json()["data"]["code"] == "WALK-IN"


def test_location_detail_answers_with_a_trailing_slash_too(api_client, location):
    response = api_client.get("/api/locations/WALK-IN/")

    assert response.status_code == 200


@pytest.mark.parametrize("code", ["NOWHERE", "WALK%00IN"])
def test_location_detail_of_an_unknown_code_is_404(api_client, location, code):
    response = api_client.get(f"/api/locations/{code}")

    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "location_not_found"
    assert "not found" in body["error"]


def test_location_create_answers_201_with_the_location(api_client):
    response = api_client.post(
        "/api/locations", {"code": "BAR", "name": "Bar fridge"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Location created"
    assert set(body["data"]) == LOCATION_FIELDS
    assert (body["data"]["code"], body["data"]["name"], body["data"]["active"]) == (
        "BAR",
        "Bar fridge",
        True,
    )
    assert Location.objects.filter(code="BAR").exists()


def test_location_create_answers_with_a_trailing_slash_too(api_client):
    response = api_client.post("/api/locations/", {"code": "BAR"}, format="json")

    assert response.status_code == 201


def test_location_create_with_a_taken_code_is_409_and_changes_nothing(api_client, location):
    before = _state()

    response = api_client.post("/api/locations", {"code": "WALK-IN"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_location"
    assert "code" in body["details"]
    assert "WALK-IN" in body["error"]
    assert _state() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("code", MISSING, id="code-missing"),
        pytest.param("code", "", id="code-empty"),
        pytest.param("code", None, id="code-null"),
        pytest.param("code", ["BAR"], id="code-list"),
        pytest.param("code", {"code": "BAR"}, id="code-object"),
        pytest.param("code", "C" * 65, id="code-too-long"),
        pytest.param("code", "A/B", id="code-slash"),
        pytest.param("code", "A\u0000B", id="code-nul"),
        pytest.param("name", "N" * 201, id="name-too-long"),
        pytest.param("name", ["Bar"], id="name-list"),
        pytest.param("active", "maybe", id="active-maybe"),
    ],
)
def test_location_create_with_bad_input_is_a_400_naming_the_field_and_adds_nothing(
    api_client, location, field, value
):
    body = {"code": "BAR", "name": "Bar"}
    if value is MISSING:
        body.pop(field)
    else:
        body[field] = value
    before = _state()

    response = api_client.post("/api/locations", body, format="json")

    assert response.status_code == 400
    _assert_names_field(response.json(), field)
    assert _state() == before


def test_summary_total_is_exact_for_tenths(api_client, item, location):
    from inventory.services import stock_receive

    for _ in range(3):
        stock_receive(item=item, location=location, quantity=Decimal("0.1"))

    response = api_client.get("/api/inventory/summary")

    assert response.json()["data"]["total_quantity"] == 0.3
