"""Stock services: every change of a quantity writes exactly one ledger row in its transaction."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from inventory import services
from inventory.error_codes import StockErrorCode
from inventory.models import (
    AppendOnlyError,
    MovementKind,
    MovementSource,
    StockMovement,
    StockRecord,
)
from inventory_project.http.request_context import reset_request_id, set_request_id
from inventory_project.service_errors import ServiceError
from items.models import MAX_QUANTITY
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db

REQUEST_ID = "req-services-0001"


@pytest.fixture
def request_id():
    """The request id the services stamp on ledger rows, as the middleware would set it."""
    token = set_request_id(REQUEST_ID)
    yield REQUEST_ID
    reset_request_id(token)


def _snapshot():
    """Everything a refused operation must leave untouched."""
    return (
        list(StockRecord.objects.order_by("pk").values_list("pk", "quantity", "last_counted_at")),
        StockMovement.objects.count(),
    )


# --- receive ---------------------------------------------------------------------------------


def test_receive_creates_the_stock_record_with_the_quantity(item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal("12.5"))

    record = StockRecord.objects.get(item=item, location=location, lot="")
    assert record.quantity == Decimal("12.5")


def test_receive_writes_one_ledger_row_with_who_why_where_and_the_request_id(
    item, location, user, request_id
):
    services.stock_receive(
        item=item,
        location=location,
        quantity=Decimal("3"),
        performed_by=user,
        source=MovementSource.ADMIN,
        reason="Delivery 4711",
    )

    movement = StockMovement.objects.get()
    assert movement.kind == MovementKind.RECEIPT
    assert movement.quantity_delta == Decimal("3")
    assert movement.quantity_after == Decimal("3")
    assert movement.created_by == user
    assert movement.reason == "Delivery 4711"
    assert movement.source == MovementSource.ADMIN
    assert movement.request_id == request_id
    assert movement.item == item
    assert movement.location == location
    assert movement.stock_record == StockRecord.objects.get()


def test_receive_into_existing_stock_adds_to_it(stocked):
    services.stock_receive(item=stocked.item, location=stocked.location, quantity=Decimal("2.5"))

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("12.5")
    assert stocked.movements.count() == 2
    assert stocked.movements.latest("id").quantity_after == Decimal("12.5")


def test_receive_of_a_lot_keeps_it_apart_from_unlotted_stock(stocked):
    services.stock_receive(
        item=stocked.item,
        location=stocked.location,
        quantity=Decimal("4"),
        lot="LOT-7",
        expires_at=date(2030, 1, 31),
    )

    lot_record = StockRecord.objects.get(lot="LOT-7")
    assert lot_record.quantity == Decimal("4")
    assert lot_record.expires_at == date(2030, 1, 31)
    assert StockMovement.objects.get(stock_record=lot_record).lot == "LOT-7"
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")


def test_receive_by_an_anonymous_caller_records_no_user(item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal("1"))

    assert StockMovement.objects.get().created_by is None


def test_a_change_outside_any_request_has_an_empty_request_id(item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal("1"))

    assert StockMovement.objects.get().request_id == ""


def test_receive_is_undone_when_its_ledger_row_cannot_be_written(stocked, monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(StockMovement.objects, "create", refuse)

    with pytest.raises(RuntimeError):
        services.stock_receive(item=stocked.item, location=stocked.location, quantity=Decimal(5))

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")


# --- issue -----------------------------------------------------------------------------------


def test_issue_takes_the_quantity_away_and_writes_one_ledger_row(stocked, user, request_id):
    services.stock_issue(
        item=stocked.item,
        location=stocked.location,
        quantity=Decimal("2.25"),
        performed_by=user,
        reason="Lunch service",
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7.75")
    movement = stocked.movements.latest("id")
    assert stocked.movements.count() == 2
    assert movement.kind == MovementKind.ISSUE
    assert movement.quantity_delta == Decimal("-2.25")
    assert movement.quantity_after == Decimal("7.75")
    assert movement.created_by == user
    assert movement.reason == "Lunch service"
    assert movement.source == MovementSource.API
    assert movement.request_id == request_id


def test_issue_of_everything_on_hand_leaves_zero(stocked):
    services.stock_issue(item=stocked.item, location=stocked.location, quantity=Decimal("10"))

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal(0)


def test_issue_beyond_stock_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue(
            item=stocked.item, location=stocked.location, quantity=Decimal("10.001")
        )

    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert refused.value.status_code == 409
    assert refused.value.field == "quantity"
    assert _snapshot() == before


def test_issue_where_nothing_was_ever_stocked_is_refused_and_creates_no_record(item, location):
    with pytest.raises(ServiceError) as refused:
        services.stock_issue(item=item, location=location, quantity=Decimal("1"))

    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert not StockRecord.objects.exists()
    assert not StockMovement.objects.exists()


def test_issue_with_allow_negative_goes_below_zero(stocked):
    services.stock_issue(
        item=stocked.item, location=stocked.location, quantity=Decimal("15"), allow_negative=True
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("-5")
    assert stocked.movements.latest("id").quantity_after == Decimal("-5")


@pytest.fixture
def in_lots(item, location):
    """The item received at the location in lots L1 (5) and L2 (3), an empty L0, none without."""
    for lot, quantity in (("L2", "3"), ("L1", "5"), ("L0", "1")):
        services.stock_receive(item=item, location=location, lot=lot, quantity=Decimal(quantity))
    services.stock_issue(item=item, location=location, lot="L0", quantity=Decimal("1"))
    return item


def test_issue_without_a_lot_from_stock_held_in_lots_names_the_lots_on_hand(in_lots, location):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue(item=in_lots, location=location, quantity=Decimal("2"))

    assert refused.value.message == (
        "Insufficient stock of SKU-1001 at WALK-IN: only 0 on hand without a lot, 2 requested;"
        " on hand in lots: L1 (5), L2 (3). Name a lot to issue from."
    )
    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert refused.value.status_code == 409
    assert _snapshot() == before


def test_transfer_without_a_lot_from_stock_held_in_lots_names_the_lots_on_hand(
    in_lots, location, other_location
):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_transfer(
            item=in_lots, from_location=location, to_location=other_location, quantity=Decimal("2")
        )

    assert "on hand in lots: L1 (5), L2 (3). Name a lot to transfer from." in refused.value.message
    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert _snapshot() == before


# --- count -----------------------------------------------------------------------------------


def test_count_sets_the_counted_quantity_and_records_the_delta(stocked, request_id):
    services.stock_count(
        item=stocked.item, location=stocked.location, counted_quantity=Decimal("8.5")
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("8.5")
    movement = stocked.movements.latest("id")
    assert movement.kind == MovementKind.COUNT
    assert movement.quantity_delta == Decimal("-1.5")
    assert movement.quantity_after == Decimal("8.5")
    assert movement.request_id == request_id


def test_count_sets_last_counted_at(stocked):
    assert stocked.last_counted_at is None

    services.stock_count(item=stocked.item, location=stocked.location, counted_quantity=Decimal(9))

    stocked.refresh_from_db()
    assert stocked.last_counted_at is not None


def test_count_that_confirms_the_quantity_still_writes_a_row_and_sets_last_counted_at(stocked):
    services.stock_count(
        item=stocked.item, location=stocked.location, counted_quantity=Decimal("10")
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.last_counted_at is not None
    movement = stocked.movements.latest("id")
    assert stocked.movements.count() == 2
    assert movement.kind == MovementKind.COUNT
    assert movement.quantity_delta == Decimal(0)


def test_count_of_a_new_location_creates_its_stock(item, location):
    services.stock_count(item=item, location=location, counted_quantity=Decimal("6"))

    assert StockRecord.objects.get(item=item, location=location).quantity == Decimal("6")
    assert StockMovement.objects.get().quantity_delta == Decimal("6")


def test_count_below_zero_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_count(
            item=stocked.item, location=stocked.location, counted_quantity=Decimal("-1")
        )

    assert refused.value.field == "counted_quantity"
    assert _snapshot() == before


# --- adjust ----------------------------------------------------------------------------------


def test_adjust_changes_by_the_signed_delta_and_keeps_the_reason(stocked, user, request_id):
    services.stock_adjust(
        item=stocked.item,
        location=stocked.location,
        quantity_delta=Decimal("-1.5"),
        reason="Dropped a tray",
        performed_by=user,
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("8.5")
    assert stocked.movements.count() == 2
    movement = stocked.movements.latest("id")
    assert movement.kind == MovementKind.ADJUSTMENT
    assert movement.quantity_delta == Decimal("-1.5")
    assert movement.quantity_after == Decimal("8.5")
    assert movement.reason == "Dropped a tray"
    assert movement.created_by == user
    assert movement.request_id == request_id


def test_adjust_upwards_adds_found_stock(stocked):
    services.stock_adjust(
        item=stocked.item, location=stocked.location, quantity_delta=Decimal("2"), reason="Found"
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("12")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_adjust_without_a_reason_is_refused_and_changes_nothing(stocked, reason):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_adjust(
            item=stocked.item,
            location=stocked.location,
            quantity_delta=Decimal("-1"),
            reason=reason,
        )

    assert refused.value.code == StockErrorCode.REASON_REQUIRED
    assert refused.value.field == "reason"
    assert _snapshot() == before


def test_adjust_by_zero_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_adjust(
            item=stocked.item,
            location=stocked.location,
            quantity_delta=Decimal(0),
            reason="Nothing",
        )

    assert refused.value.field == "quantity_delta"
    assert _snapshot() == before


def test_adjust_below_zero_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_adjust(
            item=stocked.item,
            location=stocked.location,
            quantity_delta=Decimal("-11"),
            reason="Spoiled",
        )

    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert _snapshot() == before


def test_adjust_with_allow_negative_goes_below_zero(stocked):
    services.stock_adjust(
        item=stocked.item,
        location=stocked.location,
        quantity_delta=Decimal("-11"),
        reason="Book error",
        allow_negative=True,
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("-1")


# --- transfer --------------------------------------------------------------------------------


def test_transfer_moves_the_quantity_between_locations(stocked, other_location):
    services.stock_transfer(
        item=stocked.item,
        from_location=stocked.location,
        to_location=other_location,
        quantity=Decimal("4"),
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("6")
    destination = StockRecord.objects.get(item=stocked.item, location=other_location)
    assert destination.quantity == Decimal("4")


def test_transfer_writes_two_ledger_rows_sharing_one_transfer_id(
    stocked, other_location, user, request_id
):
    transfer = services.stock_transfer(
        item=stocked.item,
        from_location=stocked.location,
        to_location=other_location,
        quantity=Decimal("4"),
        performed_by=user,
        reason="Restock freezer",
    )

    legs = list(StockMovement.objects.filter(kind=MovementKind.TRANSFER).order_by("id"))
    assert [leg.pk for leg in legs] == [transfer.outgoing.pk, transfer.incoming.pk]
    outgoing, incoming = legs
    assert outgoing.transfer_id is not None
    assert outgoing.transfer_id == incoming.transfer_id
    assert (outgoing.location, outgoing.quantity_delta, outgoing.quantity_after) == (
        stocked.location,
        Decimal("-4"),
        Decimal("6"),
    )
    assert (incoming.location, incoming.quantity_delta, incoming.quantity_after) == (
        other_location,
        Decimal("4"),
        Decimal("4"),
    )
    for leg in legs:
        assert leg.created_by == user
        assert leg.reason == "Restock freezer"
        assert leg.request_id == request_id
        assert leg.source == MovementSource.API


def test_transfer_carries_the_lot_and_its_expiry(item, location, other_location):
    services.stock_receive(
        item=item, location=location, quantity=Decimal(5), lot="L1", expires_at=date(2031, 5, 1)
    )

    services.stock_transfer(
        item=item,
        from_location=location,
        to_location=other_location,
        quantity=Decimal(2),
        lot="L1",
    )

    destination = StockRecord.objects.get(location=other_location)
    assert destination.lot == "L1"
    assert destination.expires_at == date(2031, 5, 1)


def test_transfer_is_undone_when_its_second_leg_cannot_be_written(
    stocked, other_location, monkeypatch
):
    write_leg = StockMovement.objects.create
    legs_written = []

    def fail_on_second_leg(**fields):
        if legs_written:
            raise RuntimeError("ledger unavailable")
        legs_written.append(write_leg(**fields))
        return legs_written[-1]

    monkeypatch.setattr(StockMovement.objects, "create", fail_on_second_leg)
    before = _snapshot()

    with pytest.raises(RuntimeError):
        services.stock_transfer(
            item=stocked.item,
            from_location=stocked.location,
            to_location=other_location,
            quantity=Decimal(3),
        )

    assert len(legs_written) == 1
    assert _snapshot() == before


def test_transfer_to_the_same_location_is_refused_and_changes_nothing(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_transfer(
            item=stocked.item,
            from_location=stocked.location,
            to_location=stocked.location,
            quantity=Decimal("1"),
        )

    assert refused.value.code == StockErrorCode.SAME_LOCATION
    assert _snapshot() == before


def test_transfer_beyond_stock_is_refused_and_writes_neither_leg(stocked, other_location):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_transfer(
            item=stocked.item,
            from_location=stocked.location,
            to_location=other_location,
            quantity=Decimal("10.5"),
        )

    assert refused.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert _snapshot() == before
    assert not StockRecord.objects.filter(location=other_location).exists()


def test_transfer_into_a_full_destination_is_refused_and_writes_neither_leg(
    item, location, other_location
):
    services.stock_receive(item=item, location=location, quantity=Decimal(5))
    services.stock_receive(item=item, location=other_location, quantity=MAX_QUANTITY)
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_transfer(
            item=item, from_location=location, to_location=other_location, quantity=Decimal(1)
        )

    assert refused.value.code == StockErrorCode.QUANTITY_OUT_OF_RANGE
    assert _snapshot() == before


# --- quantities that are not quantities -------------------------------------------------------


def _receive(stocked, value):
    services.stock_receive(item=stocked.item, location=stocked.location, quantity=value)


def _issue(stocked, value):
    services.stock_issue(item=stocked.item, location=stocked.location, quantity=value)


def _count(stocked, value):
    services.stock_count(item=stocked.item, location=stocked.location, counted_quantity=value)


def _adjust(stocked, value):
    services.stock_adjust(
        item=stocked.item, location=stocked.location, quantity_delta=value, reason="Test"
    )


def _transfer(stocked, value):
    services.stock_transfer(
        item=stocked.item,
        from_location=stocked.location,
        to_location=LocationFactory(code="ELSEWHERE"),
        quantity=value,
    )


OPERATIONS = {
    "receive": _receive,
    "issue": _issue,
    "count": _count,
    "adjust": _adjust,
    "transfer": _transfer,
}
NOT_QUANTITIES = {
    "four-decimals": Decimal("1.2345"),
    "nan": Decimal("NaN"),
    "float-nan": float("nan"),
    "infinity": Decimal("Infinity"),
    "minus-infinity": float("-inf"),
    "text": "a lot",
    "none": None,
    "too-large": Decimal("100000000000"),
    "too-small": Decimal("-100000000000"),
    "float-noise": 0.1 + 0.2,
}


@pytest.mark.parametrize("value", NOT_QUANTITIES.values(), ids=NOT_QUANTITIES.keys())
@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_an_invalid_quantity_is_refused_and_changes_nothing(stocked, operation, value):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        operation(stocked, value)

    assert refused.value.status_code == 400
    assert refused.value.code in (
        StockErrorCode.INVALID_QUANTITY,
        StockErrorCode.QUANTITY_OUT_OF_RANGE,
    )
    assert _snapshot() == before


@pytest.mark.parametrize("value", [Decimal("1E+30"), Decimal("1E+25")], ids=["1e30", "1e25"])
def test_a_quantity_beyond_decimal_precision_is_refused_as_out_of_range(stocked, value):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        _receive(stocked, value)

    assert refused.value.code == StockErrorCode.QUANTITY_OUT_OF_RANGE
    assert _snapshot() == before


@pytest.mark.parametrize("value", [Decimal(0), Decimal("-1")], ids=["zero", "negative"])
@pytest.mark.parametrize(
    "operation", [_receive, _issue, _transfer], ids=["receive", "issue", "transfer"]
)
def test_a_quantity_that_is_not_positive_is_refused_and_changes_nothing(stocked, operation, value):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        operation(stocked, value)

    assert refused.value.code == StockErrorCode.INVALID_QUANTITY
    assert _snapshot() == before


def test_the_largest_storable_quantity_is_accepted(item, location):
    services.stock_receive(item=item, location=location, quantity=MAX_QUANTITY)

    assert StockRecord.objects.get().quantity == Decimal("99999999999.999")


def test_a_receipt_that_would_overflow_the_stored_quantity_is_refused(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        _receive(stocked, MAX_QUANTITY)

    assert refused.value.code == StockErrorCode.QUANTITY_OUT_OF_RANGE
    assert _snapshot() == before


def test_a_lot_longer_than_64_characters_is_refused(item, location):
    with pytest.raises(ServiceError) as refused:
        services.stock_receive(item=item, location=location, quantity=Decimal(1), lot="L" * 65)

    assert refused.value.field == "lot"
    assert not StockRecord.objects.exists()


def test_a_reason_longer_than_500_characters_is_refused(stocked):
    before = _snapshot()

    with pytest.raises(ServiceError) as refused:
        services.stock_issue(
            item=stocked.item, location=stocked.location, quantity=Decimal(1), reason="x" * 501
        )

    assert refused.value.field == "reason"
    assert _snapshot() == before


# --- the ledger is append-only -----------------------------------------------------------------


def test_saving_an_existing_ledger_row_is_refused(stocked):
    movement = stocked.movements.get()
    movement.quantity_delta = Decimal("1000")

    with pytest.raises(AppendOnlyError):
        movement.save()

    assert StockMovement.objects.get().quantity_delta == Decimal("10")


def test_deleting_a_ledger_row_is_refused(stocked):
    movement = stocked.movements.get()

    with pytest.raises(AppendOnlyError):
        movement.delete()

    assert StockMovement.objects.count() == 1


def test_updating_the_ledger_through_a_queryset_is_refused(stocked):
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.filter(stock_record=stocked).update(quantity_delta=Decimal(0))

    assert StockMovement.objects.get().quantity_delta == Decimal("10")


def test_deleting_the_ledger_through_a_queryset_is_refused(stocked):
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.all().delete()

    assert StockMovement.objects.count() == 1


def test_deleting_the_ledger_through_a_related_manager_is_refused(stocked):
    with pytest.raises(AppendOnlyError):
        stocked.movements.all().delete()

    assert StockMovement.objects.count() == 1


def test_bulk_updating_the_ledger_is_refused(stocked):
    movement = stocked.movements.get()
    movement.reason = "Rewritten history"

    # bulk_update runs in the caller's transaction: a savepoint keeps the test's one usable.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        StockMovement.objects.bulk_update([movement], ["reason"])

    assert StockMovement.objects.get().reason == ""


# --- the ledger balances -------------------------------------------------------------------------


def test_after_a_mix_of_operations_every_quantity_equals_its_ledger(item, location, other_location):
    second_item = ItemFactory()
    services.stock_receive(item=item, location=location, quantity=Decimal("20"))
    services.stock_receive(item=item, location=location, quantity=Decimal("5"), lot="L9")
    services.stock_issue(item=item, location=location, quantity=Decimal("3.5"))
    services.stock_count(item=item, location=location, counted_quantity=Decimal("15"))
    services.stock_adjust(
        item=item, location=location, quantity_delta=Decimal("-0.25"), reason="Spill"
    )
    services.stock_transfer(
        item=item, from_location=location, to_location=other_location, quantity=Decimal("6")
    )
    services.stock_transfer(
        item=item, from_location=location, to_location=other_location, quantity=Decimal(2), lot="L9"
    )
    services.stock_receive(item=second_item, location=other_location, quantity=Decimal("1.125"))
    services.stock_issue(
        item=second_item, location=other_location, quantity=Decimal("3"), allow_negative=True
    )
    services.stock_count(item=second_item, location=location, counted_quantity=Decimal(0))

    assert_ledger_balances()
    assert StockRecord.objects.get(item=item, location=location, lot="").quantity == Decimal("8.75")
    assert StockMovement.objects.count() == 12


def test_location_update_renames_and_deactivates_but_keeps_the_code(location):
    services.location_update(location=location, name="  Big walk-in ", active=False)

    location.refresh_from_db()
    assert (location.code, location.name, location.active) == ("WALK-IN", "Big walk-in", False)


def test_location_update_refuses_an_over_long_name(location):
    with pytest.raises(ServiceError) as refused:
        services.location_update(location=location, name="x" * 201)

    assert refused.value.field == "name"


def test_location_codes_with_control_characters_are_refused():
    with pytest.raises(ServiceError) as refused:
        services.location_create(code="A\u0007B")

    assert refused.value.field == "code"


def test_an_item_whose_stock_adds_up_to_zero_counts_as_low_stock(item, location):
    from inventory.selectors import inventory_summary

    services.stock_receive(item=item, location=location, quantity=Decimal(2))
    services.stock_issue(item=item, location=location, quantity=Decimal(2))
    item.par_level = Decimal(0)
    item.save()

    assert inventory_summary()["low_stock_count"] == 1


def test_setting_an_expiry_date_writes_no_ledger_row(stocked):
    movements = StockMovement.objects.count()

    services.stock_record_set_expiry(record=stocked, expires_at=date(2031, 3, 1))

    stocked.refresh_from_db()
    assert stocked.expires_at == date(2031, 3, 1)
    assert StockMovement.objects.count() == movements
