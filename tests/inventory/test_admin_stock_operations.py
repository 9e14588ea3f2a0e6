"""Receive, issue, transfer and adjust as admin forms: each one service call, or nothing at all."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory import services
from inventory.models import Location, MovementKind, MovementSource, StockMovement, StockRecord
from tests.conftest import user_with_role
from tests.factories import LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db


def operation_url(record: StockRecord, operation: str) -> str:
    return reverse("admin:inventory_stockrecord_stock_operation", args=[record.pk, operation])


def item_receive_url(item) -> str:
    return reverse("admin:items_item_stock_operation", args=[item.pk, "receive"])


def signed_in(client, role: str):
    user = user_with_role(role, email=f"{role}-ops@example.com")
    client.force_login(user)
    return client, user


def form_data(**fields) -> dict:
    return {"form_key": str(uuid.uuid4()), **{name: str(value) for name, value in fields.items()}}


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_receiving_adds_the_quantity_and_writes_one_ledger_row_by_the_signed_in_user(
    client, stocked
):
    staff, user = signed_in(client, "staff")

    response = staff.post(operation_url(stocked, "receive"), form_data(quantity="2.5"))

    assert response.status_code == 302
    assert response.url == reverse("admin:inventory_stockrecord_change", args=[stocked.pk])
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("12.5")
    movement = stocked.movements.latest("id")
    assert movement.kind == MovementKind.RECEIPT
    assert movement.quantity_delta == Decimal("2.5")
    assert movement.source == MovementSource.ADMIN
    assert movement.created_by == user
    assert stocked.movements.count() == 2  # the fixture's receipt and this one
    assert "On hand at WALK-IN: 12.5 kg." in shown_messages(response)[0]
    assert_ledger_balances()


def test_receiving_with_an_expiry_date_sets_the_lots_expiry(client, stocked):
    staff, _user = signed_in(client, "staff")

    staff.post(operation_url(stocked, "receive"), form_data(quantity="1", expires_at="2027-03-01"))

    stocked.refresh_from_db()
    assert stocked.expires_at.isoformat() == "2027-03-01"


def test_issuing_takes_the_quantity_off_with_the_reason_typed(client, stocked):
    staff, _user = signed_in(client, "staff")

    staff.post(operation_url(stocked, "issue"), form_data(quantity="4", reason="Lunch prep"))

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("6")
    movement = stocked.movements.latest("id")
    assert (movement.kind, movement.quantity_delta, movement.reason) == (
        MovementKind.ISSUE,
        Decimal("-4"),
        "Lunch prep",
    )


def test_issuing_more_than_is_on_hand_is_refused_on_the_form_and_writes_nothing(client, stocked):
    staff, _user = signed_in(client, "staff")

    response = staff.post(operation_url(stocked, "issue"), form_data(quantity="11"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "quantity" in errors
    assert "10" in errors["quantity"][0]  # the quantity on hand, in the service's words
    assert b"nothing was written" in response.content
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


def test_a_refused_form_keeps_its_key_so_the_corrected_form_goes_through(client, stocked):
    staff, _user = signed_in(client, "staff")
    data = form_data(quantity="11")
    staff.post(operation_url(stocked, "issue"), data)

    response = staff.post(operation_url(stocked, "issue"), {**data, "quantity": "3"})

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7")


def test_transferring_moves_stock_between_locations_with_two_linked_ledger_rows(
    client, stocked, other_location
):
    staff, _user = signed_in(client, "staff")

    response = staff.post(
        operation_url(stocked, "transfer"),
        form_data(to_location=other_location.pk, quantity="3"),
    )

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7")
    destination = StockRecord.objects.get(item=stocked.item, location=other_location, lot="")
    assert destination.quantity == Decimal("3")
    rows = StockMovement.objects.filter(kind=MovementKind.TRANSFER)
    assert rows.count() == 2
    assert len({row.transfer_id for row in rows}) == 1
    assert {row.source for row in rows} == {MovementSource.ADMIN}
    assert_ledger_balances()


def test_an_inactive_location_is_not_offered_as_a_transfer_destination(client, stocked):
    staff, _user = signed_in(client, "staff")
    closed = LocationFactory(code="CLOSED", active=False)

    page = staff.get(operation_url(stocked, "transfer"))
    response = staff.post(
        operation_url(stocked, "transfer"), form_data(to_location=closed.pk, quantity="1")
    )

    choices = list(page.context["form"].fields["to_location"].queryset)
    assert closed not in choices
    assert stocked.location not in choices
    assert "to_location" in response.context["form"].errors
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")


def test_an_adjustment_needs_a_reason_and_writes_nothing_without_one(client, stocked):
    staff, _user = signed_in(client, "staff")

    response = staff.post(operation_url(stocked, "adjust"), form_data(quantity_delta="-2"))

    assert "reason" in response.context["form"].errors
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


def test_an_adjustment_with_a_reason_changes_the_stock_by_the_signed_change(client, stocked):
    staff, _user = signed_in(client, "staff")

    staff.post(
        operation_url(stocked, "adjust"), form_data(quantity_delta="-2", reason="Two broken")
    )

    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("8")
    movement = stocked.movements.latest("id")
    assert (movement.kind, movement.reason) == (MovementKind.ADJUSTMENT, "Two broken")


def test_the_same_form_sent_twice_moves_the_stock_once(client, stocked):
    staff, _user = signed_in(client, "staff")
    data = form_data(quantity="5")

    first = staff.post(operation_url(stocked, "receive"), data)
    second = staff.post(operation_url(stocked, "receive"), data)

    assert first.status_code == second.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("15")
    assert stocked.movements.count() == 2
    assert "already sent" in shown_messages(second)[-1]


def test_a_viewer_can_neither_open_nor_post_a_stock_operation_and_nothing_changes(client, stocked):
    viewer, _user = signed_in(client, "viewer")

    page = viewer.get(operation_url(stocked, "receive"))
    response = viewer.post(operation_url(stocked, "receive"), form_data(quantity="5"))
    item_page = viewer.post(
        item_receive_url(stocked.item), form_data(location=stocked.location.pk, quantity="5")
    )

    assert page.status_code == response.status_code == item_page.status_code == 403
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert StockMovement.objects.count() == 1


def test_only_those_who_may_move_stock_see_the_operation_buttons(client, stocked):
    record_page = reverse("admin:inventory_stockrecord_change", args=[stocked.pk])
    item_page = reverse("admin:items_item_change", args=[stocked.item.pk])
    receive = operation_url(stocked, "receive").encode()

    viewer, _user = signed_in(client, "viewer")
    viewer_pages = [viewer.get(record_page).content, viewer.get(item_page).content]
    staff, _user = signed_in(client, "staff")
    staff_pages = [staff.get(record_page).content, staff.get(item_page).content]

    assert all(receive not in page for page in viewer_pages)
    assert all(b"/move/" not in page and b"/stock/receive/" not in page for page in viewer_pages)
    assert receive in staff_pages[0]
    assert receive in staff_pages[1]  # the stock inline's links
    assert item_receive_url(stocked.item).encode() in staff_pages[1]


def test_receiving_from_the_item_page_creates_the_record_at_the_chosen_location_and_lot(
    client, item, location
):
    staff, user = signed_in(client, "staff")

    response = staff.post(
        item_receive_url(item), form_data(location=location.pk, lot=" B-7 ", quantity="6")
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:items_item_change", args=[item.pk])
    record = StockRecord.objects.get(item=item, location=location)
    assert (record.lot, record.quantity) == ("B-7", Decimal("6"))
    movement = record.movements.get()
    assert (movement.source, movement.created_by) == (MovementSource.ADMIN, user)


def test_an_unknown_operation_or_record_is_not_found(client, stocked):
    staff, _user = signed_in(client, "staff")

    unknown_operation = staff.get(operation_url(stocked, "steal"))
    unknown_record = staff.get(
        reverse("admin:inventory_stockrecord_stock_operation", args=[999999, "receive"])
    )
    item_issue = staff.get(
        reverse("admin:items_item_stock_operation", args=[stocked.item.pk, "issue"])
    )

    assert unknown_operation.status_code == unknown_record.status_code == 404
    assert item_issue.status_code == 404


def test_a_quantity_that_is_not_a_number_is_a_form_error(client, stocked):
    staff, _user = signed_in(client, "staff")

    response = staff.post(operation_url(stocked, "receive"), form_data(quantity="1,5x"))

    assert response.status_code == 200
    assert "quantity" in response.context["form"].errors
    assert Location.objects.count() == 1
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")


def test_the_form_shows_what_is_on_hand_as_staff_write_it(client, item, location):
    services.stock_receive(item=item, location=location, quantity=Decimal("100"))
    record = StockRecord.objects.get(item=item, location=location)
    staff, _user = signed_in(client, "staff")

    page = staff.get(operation_url(record, "issue"))

    assert page.status_code == 200
    assert b"100 kg on hand" in page.content
