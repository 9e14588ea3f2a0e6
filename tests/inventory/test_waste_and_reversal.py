"""Waste and issue reversals: stock leaves or comes back without teaching forecast demand."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.error_codes import StockErrorCode
from inventory.models import MovementKind, StockMovement, StockRecord
from inventory_project.service_errors import ServiceError

pytestmark = pytest.mark.django_db


def _snapshot():
    """Everything a refused operation must leave untouched."""
    return (
        list(StockRecord.objects.order_by("pk").values_list("pk", "quantity")),
        list(StockMovement.objects.order_by("pk").values_list("pk", "quantity_delta")),
    )


@pytest.fixture
def issue(stocked):
    """4 kg issued from the 10 kg in the walk-in."""
    return services.stock_issue(item=stocked.item, location=stocked.location, quantity=Decimal(4))


# --- waste -----------------------------------------------------------------------------------


def test_waste_lowers_stock_and_writes_a_waste_row_with_the_reason(stocked, user):
    services.stock_waste(
        item=stocked.item,
        location=stocked.location,
        quantity=Decimal("1.5"),
        reason="Spoiled",
        performed_by=user,
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("8.5")
    movement = StockMovement.objects.filter(kind=MovementKind.WASTE).get()
    assert movement.quantity_delta == Decimal("-1.5")
    assert movement.reason == "Spoiled"
    assert movement.created_by == user


def test_waste_without_a_reason_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_waste(
            item=stocked.item, location=stocked.location, quantity=Decimal(1), reason=" "
        )

    assert refused.value.code == StockErrorCode.REASON_REQUIRED
    assert _snapshot() == before


def test_waste_route_answers_201_with_the_waste_row(staff_client, stocked):
    response = staff_client.post(
        "/api/inventory/waste",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 2, "reason": "Dropped tray"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Waste written off"
    assert body["data"]["movement"]["kind"] == "waste"
    assert body["data"]["movement"]["reason"] == "Dropped tray"
    assert body["data"]["stock"]["quantity"] == 8


def test_a_viewer_cannot_record_waste_and_nothing_changes(viewer_client, stocked):
    before = _snapshot()

    response = viewer_client.post(
        "/api/inventory/waste",
        {"sku": "SKU-1001", "location": "WALK-IN", "quantity": 2, "reason": "Spoiled"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["success"] is False
    assert _snapshot() == before


# --- reversing an issue ----------------------------------------------------------------------


def test_reversal_puts_the_issue_back_with_a_linked_positive_issue_row(issue):
    reversal = services.stock_issue_reverse(movement=issue, reason="Wrong item")

    assert reversal.kind == MovementKind.ISSUE
    assert reversal.quantity_delta == Decimal(4)
    assert reversal.reverses == issue
    assert StockRecord.objects.get(pk=issue.stock_record_id).quantity == Decimal(10)


def test_partial_reversal_puts_back_only_its_quantity(issue):
    services.stock_issue_reverse(movement=issue, quantity=Decimal("1.5"), reason="Miscounted")

    assert StockRecord.objects.get(pk=issue.stock_record_id).quantity == Decimal("7.5")


def test_reversing_an_issue_twice_is_409_and_changes_nothing(issue):
    services.stock_issue_reverse(movement=issue, quantity=Decimal(1), reason="Miscounted")
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue_reverse(movement=issue, quantity=Decimal(1), reason="Again")

    assert refused.value.code == StockErrorCode.ALREADY_REVERSED
    assert refused.value.status_code == 409
    assert _snapshot() == before


def test_reversing_more_than_was_issued_is_refused_and_changes_nothing(issue):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue_reverse(movement=issue, quantity=Decimal("4.001"), reason="Oops")

    assert refused.value.code == StockErrorCode.REVERSAL_TOO_LARGE
    assert _snapshot() == before


def test_reversing_a_movement_that_is_not_an_issue_is_refused_and_changes_nothing(stocked):
    receipt = StockMovement.objects.get(kind=MovementKind.RECEIPT)
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue_reverse(movement=receipt, reason="Not an issue")

    assert refused.value.code == StockErrorCode.NOT_AN_ISSUE
    assert _snapshot() == before


def test_reversing_a_reversal_is_refused(issue):
    reversal = services.stock_issue_reverse(movement=issue, reason="Wrong item")

    with pytest.raises(ServiceError) as refused:
        services.stock_issue_reverse(movement=reversal, reason="Undo the undo")

    assert refused.value.code == StockErrorCode.NOT_AN_ISSUE


def test_reverse_route_answers_201_with_the_row_naming_the_original(staff_client, issue):
    response = staff_client.post(
        "/api/inventory/issue/reverse",
        {"movement_id": issue.pk, "quantity": 1, "reason": "Wrong quantity"},
        format="json",
    )

    assert response.status_code == 201
    movement = response.json()["data"]["movement"]
    assert movement["kind"] == "issue"
    assert movement["quantity_delta"] == 1
    assert movement["reverses"] == issue.pk


def test_reverse_route_answers_409_in_the_envelope_for_a_second_reversal(staff_client, issue):
    body = {"movement_id": issue.pk, "reason": "Wrong item"}
    staff_client.post("/api/inventory/issue/reverse", body, format="json")
    before = _snapshot()

    response = staff_client.post("/api/inventory/issue/reverse", body, format="json")

    assert response.status_code == 409
    assert response.json()["success"] is False
    assert "already been reversed" in response.json()["error"]
    assert _snapshot() == before


@pytest.mark.parametrize("movement_id", [999_999, 10**30, "x", None])
def test_reverse_route_answers_400_for_an_unknown_or_malformed_movement(
    staff_client, issue, movement_id
):
    before = _snapshot()

    response = staff_client.post(
        "/api/inventory/issue/reverse",
        {"movement_id": movement_id, "reason": "Wrong item"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert _snapshot() == before
