"""Stock operations on selected stock records: a quantity per record, applied all or nothing."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory import admin_stock_actions, services
from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:inventory_stockrecord_changelist"


def signed_in(client, role: str):
    user = user_with_role(role, email=f"{role}-actions@example.com")
    client.force_login(user)
    return client, user


@pytest.fixture
def records(location):
    """Three items with 10 kg each in the walk-in, received through the service."""
    found = []
    for n in range(3):
        item = ItemFactory(sku=f"ACT-{n}", name=f"Item {n}", uom="kg")
        services.stock_receive(item=item, location=location, quantity=Decimal("10"))
        found.append(item.stock_records.get())
    return found


def choose(client, action: str, records):
    """Pick the action for `records` in the change list: answers the sheet."""
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "index": "0", "_selected_action": [r.pk for r in records]},
    )


def send(client, action: str, records, typed: dict, **shared):
    """Choose the action, then send its sheet with `typed` quantities and the shared fields."""
    sheet = choose(client, action, records)
    key = re.search(rb'name="form_key" value="([0-9a-f-]+)"', sheet.content)[1].decode()
    data = {
        "action": action,
        "apply": "1",
        "_selected_action": [r.pk for r in records],
        "form_key": key,
        **{f"count-{record.pk}": value for record, value in typed.items()},
        **{name: str(value) for name, value in shared.items()},
    }
    return client.post(reverse(CHANGELIST), data), data


def quantities(records) -> list[Decimal]:
    return [StockRecord.objects.get(pk=r.pk).quantity for r in records]


def test_receiving_into_selected_records_adds_each_typed_quantity(client, records):
    staff, user = signed_in(client, "staff")
    first, second, third = records

    response, _data = send(
        staff, "receive_selected", records, {first: "5", second: "", third: "0,5"}, reason="Van"
    )

    assert response.status_code == 302
    assert quantities(records) == [Decimal("15"), Decimal("10"), Decimal("10.5")]
    receipts = StockMovement.objects.filter(kind=MovementKind.RECEIPT, reason="Van")
    assert sorted(r.stock_record_id for r in receipts) == [first.pk, third.pk]
    assert {(r.source, r.created_by) for r in receipts} == {(MovementSource.ADMIN, user)}
    assert_ledger_balances()


def test_a_refused_line_is_marked_and_nothing_of_the_sheet_is_written(client, records):
    staff, _user = signed_in(client, "staff")
    first, second, _third = records
    before = StockMovement.objects.count()

    response, _data = send(staff, "issue_selected", records, {first: "2", second: "11"})

    assert response.status_code == 200
    [marked] = [line for line in response.context["lines"] if line.error]
    assert marked.record == second
    assert "nothing was written" in response.context["error"]
    assert quantities(records) == [Decimal("10")] * 3
    assert StockMovement.objects.count() == before


def test_moving_selected_records_sends_each_quantity_to_the_one_destination(
    client, records, other_location
):
    staff, _user = signed_in(client, "staff")
    first, second, _third = records

    send(
        staff,
        "transfer_selected",
        records,
        {first: "1", second: "4"},
        to_location=other_location.pk,
    )

    assert quantities(records) == [Decimal("9"), Decimal("6"), Decimal("10")]
    moved = StockRecord.objects.filter(location=other_location).order_by("item__sku")
    assert [r.quantity for r in moved] == [Decimal("1"), Decimal("4")]
    assert_ledger_balances()


def test_adjusting_selected_records_takes_signed_changes_and_needs_a_reason(client, records):
    staff, _user = signed_in(client, "staff")
    first, second, _third = records

    refused, _data = send(staff, "adjust_selected", records, {first: "-2", second: "3"})
    done, _data = send(
        staff, "adjust_selected", records, {first: "-2", second: "3"}, reason="Recount"
    )

    assert "reason" in refused.context["form"].errors
    assert done.status_code == 302
    assert quantities(records) == [Decimal("8"), Decimal("13"), Decimal("10")]


def test_a_sheet_sent_twice_moves_the_stock_once(client, records):
    staff, _user = signed_in(client, "staff")
    first = records[0]

    _response, data = send(staff, "receive_selected", records, {first: "5"})
    again = staff.post(reverse(CHANGELIST), data)

    assert again.status_code == 302
    assert quantities([first]) == [Decimal("15")]


def test_a_sheet_with_nothing_typed_asks_for_a_quantity(client, records):
    staff, _user = signed_in(client, "staff")

    response, _data = send(staff, "receive_selected", records, {})

    assert response.status_code == 200
    assert "at least one" in response.context["error"]


def test_viewers_have_no_stock_actions_and_a_forced_sheet_changes_nothing(client, records):
    viewer, _user = signed_in(client, "viewer")
    before = StockMovement.objects.count()

    page = viewer.get(reverse(CHANGELIST))
    forced = viewer.post(
        reverse(CHANGELIST),
        {
            "action": "receive_selected",
            "apply": "1",
            "_selected_action": [records[0].pk],
            "form_key": "5d1c1a52-8f3e-4f0e-9a55-2f3b0b0a6f11",
            f"count-{records[0].pk}": "5",
        },
    )

    action_form = page.context["action_form"]  # None: no action at all is offered
    offered = [name for name, _label in action_form.fields["action"].choices] if action_form else []
    assert not any(name.endswith("_selected") for name in offered)
    assert forced.status_code in (200, 302, 403)
    assert quantities(records) == [Decimal("10")] * 3
    assert StockMovement.objects.count() == before


def test_staff_are_offered_every_stock_action(client, records):
    staff, _user = signed_in(client, "staff")

    page = staff.get(reverse(CHANGELIST))

    offered = {name for name, _label in page.context["action_form"].fields["action"].choices}
    assert {"receive_selected", "issue_selected", "transfer_selected", "adjust_selected"} <= offered


def test_selecting_too_many_records_is_refused_with_a_message(client, location, monkeypatch):
    staff, _user = signed_in(client, "staff")
    monkeypatch.setattr(admin_stock_actions, "MAX_SELECTED_RECORDS", 2)
    many = [
        StockRecord.objects.create(item=ItemFactory(sku=f"MANY-{n}"), location=location)
        for n in range(3)
    ]

    response = choose(staff, "receive_selected", many)

    assert response.status_code == 302
    assert "at most 2" in str(list(get_messages(response.wsgi_request))[0])
    assert not StockMovement.objects.exists()


def test_records_of_several_locations_are_listed_with_their_location(client, records):
    staff, _user = signed_in(client, "staff")
    elsewhere = LocationFactory(code="DRY")
    services.stock_receive(item=records[0].item, location=elsewhere, quantity=Decimal("1"))
    dry = StockRecord.objects.get(location=elsewhere)

    sheet = choose(staff, "issue_selected", [records[0], dry])

    assert sheet.status_code == 200
    assert b"DRY" in sheet.content
    assert len(sheet.context["lines"]) == 2
