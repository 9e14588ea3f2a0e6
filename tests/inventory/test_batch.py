"""POST /api/inventory/movements/batch: many receipts, issues and write-offs in one request."""

import json
from decimal import Decimal

import pytest

from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from tests.conftest import client_for, user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances, postgres_only

pytestmark = pytest.mark.django_db

BATCH = "/api/inventory/movements/batch"


def post(client, operations, **body):
    return client.post(BATCH, {"operations": operations, **body}, format="json")


def on_hand(item, location, lot="") -> Decimal:
    record = StockRecord.objects.filter(item=item, location=location, lot=lot).first()
    return record.quantity if record else None


@pytest.fixture
def walk_in():
    return LocationFactory(code="WALK-IN")


@pytest.fixture
def rice(walk_in):
    return ItemFactory(sku="RICE")


@pytest.fixture
def oil(walk_in):
    return ItemFactory(sku="OIL")


def receive(sku, quantity, **fields):
    return {
        "operation": "receive",
        "sku": sku,
        "location": "WALK-IN",
        "quantity": quantity,
        **fields,
    }


def issue(sku, quantity, **fields):
    return {"operation": "issue", "sku": sku, "location": "WALK-IN", "quantity": quantity, **fields}


def test_the_operations_are_applied_in_order_each_with_its_ledger_row(
    staff_client, rice, oil, walk_in
):
    response = post(
        staff_client,
        [receive("RICE", 10), issue("RICE", "2.5"), receive("OIL", 4), issue("RICE", 7.5)],
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["applied"], data["refused"]) == (4, 0)
    assert [r["movement"]["quantity_after"] for r in data["results"]] == [10, 7.5, 4, 0]
    assert (on_hand(rice, walk_in), on_hand(oil, walk_in)) == (Decimal(0), Decimal(4))
    kinds = list(StockMovement.objects.order_by("id").values_list("kind", "quantity_delta"))
    assert kinds == [
        (MovementKind.RECEIPT, Decimal(10)),
        (MovementKind.ISSUE, Decimal("-2.5")),
        (MovementKind.RECEIPT, Decimal(4)),
        (MovementKind.ISSUE, Decimal("-7.5")),
    ]
    assert_ledger_balances()


def test_each_ledger_row_says_who_and_through_what(rice, walk_in):
    user = user_with_role("staff", email="pos@example.com")

    post(client_for(user), [receive("RICE", 3, reason="Delivery 17")])

    row = StockMovement.objects.get()
    assert (row.created_by, row.source, row.reason) == (user, MovementSource.API, "Delivery 17")


def test_the_answer_shows_each_changed_stock_row_as_the_list_does(staff_client, rice, walk_in):
    data = post(staff_client, [receive("RICE", 3), receive("RICE", 2)]).json()["data"]

    listed = staff_client.get("/api/inventory?sku=RICE").json()["data"]
    movements = staff_client.get("/api/inventory/movements?sku=RICE").json()["data"]
    assert data["stock"] == listed
    assert [r["movement"] for r in data["results"]] == movements[::-1]


def test_atomic_a_refused_operation_refuses_the_batch_and_writes_nothing(
    staff_client, rice, walk_in
):
    response = post(staff_client, [receive("RICE", 5), issue("RICE", 6), issue("NOPE", 1)])

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "batch_refused"
    assert body["details"] == {
        "operations[1].quantity": [
            "Insufficient stock of RICE at WALK-IN: 5 on hand, 6 requested."
        ],
        "operations[2].sku": ["Unknown SKU NOPE."],
    }
    assert not StockRecord.objects.exists()
    assert not StockMovement.objects.exists()


def test_line_by_line_the_refused_operations_are_reported_and_the_others_done(
    staff_client, rice, walk_in
):
    response = post(
        staff_client,
        [
            receive("RICE", 5),
            issue("RICE", 6),
            {"operation": "issue", "sku": "RICE"},
            issue("RICE", 1),
        ],
        atomic=False,
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["applied"], data["refused"]) == (2, 2)
    assert [r["status"] for r in data["results"]] == ["applied", "refused", "refused", "applied"]
    assert data["results"][1]["code"] == "insufficient_stock"
    assert (data["results"][2]["code"], data["results"][2]["field"]) == (
        "invalid_quantity",
        "quantity",
    )
    assert on_hand(rice, walk_in) == Decimal(4)
    assert StockMovement.objects.count() == 2
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"operation": "count", "sku": "RICE", "location": "WALK-IN", "quantity": 1}, "operation"),
        ({"operation": "receive", "sku": 7, "location": "WALK-IN", "quantity": 1}, "sku"),
        ({"operation": "receive", "sku": "RICE", "location": "", "quantity": 1}, "location"),
        ({"operation": "receive", "sku": "RICE", "location": "WALK-IN", "quantity": 0}, "quantity"),
        (
            {"operation": "receive", "sku": "RICE", "location": "WALK-IN", "quantity": "x"},
            "quantity",
        ),
        (
            {"operation": "receive", "sku": "RICE", "location": "WALK-IN", "quantity": True},
            "quantity",
        ),
        (
            {"operation": "receive", "sku": "RICE", "location": "WALK-IN", "quantity": 0.0001},
            "quantity",
        ),
        (
            {
                "operation": "receive",
                "sku": "RICE",
                "location": "WALK-IN",
                "quantity": 1,
                "lot": "L\x01",
            },
            "lot",
        ),
        (
            {
                "operation": "receive",
                "sku": "RICE",
                "location": "WALK-IN",
                "quantity": 1,
                "expires_at": "soon",
            },
            "expires_at",
        ),
        (
            {
                "operation": "issue",
                "sku": "RICE",
                "location": "WALK-IN",
                "quantity": 1,
                "allow_negative": "yes",
            },
            "allow_negative",
        ),
        ({"operation": "waste", "sku": "RICE", "location": "WALK-IN", "quantity": 1}, "reason"),
        ({"operation": "receive", "sku": "RICE", "location": "NOWHERE", "quantity": 1}, "location"),
        ({"operation": "receive", "sku": "RI\x00CE", "location": "WALK-IN", "quantity": 1}, "sku"),
    ],
)
def test_a_bad_line_is_refused_naming_its_field_and_nothing_is_written(
    staff_client, rice, walk_in, line, field
):
    response = post(staff_client, [receive("RICE", 1), line])

    assert response.status_code in (400, 404), response.content
    assert list(response.json()["details"]) == [f"operations[1].{field}"]
    assert not StockMovement.objects.exists()


def test_an_inactive_location_may_be_emptied_but_not_filled(staff_client, rice, walk_in):
    post(staff_client, [receive("RICE", 3)])
    walk_in.active = False
    walk_in.save()

    data = post(staff_client, [issue("RICE", 1), receive("RICE", 1)], atomic=False).json()["data"]

    assert [r["status"] for r in data["results"]] == ["applied", "refused"]
    assert data["results"][1]["code"] == "location_inactive"
    assert on_hand(rice, walk_in) == Decimal(2)


def test_an_issue_may_go_below_zero_when_allowed(staff_client, rice, walk_in):
    response = post(staff_client, [issue("RICE", 2, allow_negative=True)])

    assert response.status_code == 201
    assert on_hand(rice, walk_in) == Decimal(-2)


def test_a_receipt_into_a_lot_sets_its_expiry(staff_client, rice, walk_in):
    post(staff_client, [receive("RICE", 2, lot="L7", expires_at="2027-01-31")])

    record = StockRecord.objects.get(lot="L7")
    assert str(record.expires_at) == "2027-01-31"


def test_more_than_a_thousand_operations_is_a_400_and_nothing_is_done(staff_client, rice, walk_in):
    response = post(staff_client, [receive("RICE", 1)] * 1001)

    assert response.status_code == 400
    assert "operations" in response.json()["details"]
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("body", [{}, {"operations": []}, {"operations": "x"}, {"operations": [1]}])
def test_a_batch_without_operations_is_a_400(staff_client, body):
    response = staff_client.post(BATCH, body, format="json")

    assert response.status_code == 400
    assert response.json()["success"] is False


def test_a_viewer_cannot_post_a_batch_and_nothing_changes(rice, walk_in):
    viewer = client_for(user_with_role("viewer", email="batch-viewer@example.com"))

    response = post(viewer, [receive("RICE", 1)])

    assert response.status_code == 403
    assert not StockMovement.objects.exists()


def test_a_batch_retried_with_its_key_is_done_once(staff_client, rice, walk_in):
    operations = [receive("RICE", 2), issue("RICE", 1)]
    first = staff_client.post(
        BATCH, {"operations": operations}, format="json", HTTP_IDEMPOTENCY_KEY="pos-0042"
    )

    retry = staff_client.post(
        BATCH, {"operations": operations}, format="json", HTTP_IDEMPOTENCY_KEY="pos-0042"
    )

    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert StockMovement.objects.count() == 2
    assert on_hand(rice, walk_in) == Decimal(1)


@postgres_only
def test_a_thousand_operations_take_a_few_statements(
    staff_client, rice, oil, walk_in, django_assert_max_num_queries
):
    operations = [receive("RICE" if n % 2 else "OIL", 1) for n in range(1000)]
    staff_client.get("/api/items")  # the caller's state, now in the cache

    # The items, the locations, the missing records made (with its staging table), the lock,
    # the UPDATE (with its staging table), the INSERT, and the transaction.
    with django_assert_max_num_queries(14):
        response = post(staff_client, operations)

    assert response.status_code == 201
    assert StockMovement.objects.count() == 1000
    assert (on_hand(rice, walk_in), on_hand(oil, walk_in)) == (Decimal(500), Decimal(500))


def test_a_line_with_a_lone_surrogate_is_that_lines_refusal(staff_client, rice, walk_in):
    operations = [
        receive("RICE", 2),
        {
            "operation": "waste",
            "sku": "RICE",
            "location": "WALK-IN",
            "quantity": 1,
            "reason": "\udfff",
        },
        receive("\ud800", 1),
    ]
    # As JSON carries it: an escape (json.dumps writes one).
    response = staff_client.post(
        BATCH,
        json.dumps({"operations": operations, "atomic": False}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    results = response.json()["data"]["results"]
    assert [(r["status"], r.get("field")) for r in results] == [
        ("applied", None),
        ("refused", "reason"),
        ("refused", "sku"),
    ]
    assert on_hand(rice, walk_in) == Decimal(2)
