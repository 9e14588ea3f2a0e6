"""Inventory admin: quantities change only by counts via the service; the ledger is read only."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import Location, MovementKind, MovementSource, StockMovement, StockRecord
from inventory_project.http.request_context import reset_request_id, set_request_id
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db


def record_url(record: StockRecord, action: str = "change") -> str:
    return reverse(f"admin:inventory_stockrecord_{action}", args=[record.pk])


def movement_url(movement: StockMovement, action: str = "change") -> str:
    return reverse(f"admin:inventory_stockmovement_{action}", args=[movement.pk])


def edit(record: StockRecord, **changes) -> dict:
    """The change form as the admin renders it for `record`, with `changes` typed in."""
    data = {
        "quantity": str(record.quantity),
        "quantity_seen": str(record.quantity),
        "expires_at": record.expires_at.isoformat() if record.expires_at else "",
        "reason": "",
    }
    data.update({name: str(value) for name, value in changes.items()})
    return data


def client_for_role(client, role: str):
    client.force_login(user_with_role(role, email=f"{role}-admin@example.com"))
    return client


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- editing a stock record -----------------------------------------------------------------


def test_editing_the_quantity_writes_one_count_row_by_the_signed_in_user(
    admin_client, admin_user, stocked
):
    response = admin_client.post(record_url(stocked), edit(stocked, quantity="7.5"))

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("7.5")
    assert stocked.last_counted_at is not None
    movement = stocked.movements.get(kind=MovementKind.COUNT)
    assert movement.quantity_delta == Decimal("-2.5")
    assert movement.quantity_after == Decimal("7.5")
    assert movement.source == MovementSource.ADMIN
    assert movement.created_by == admin_user
    assert movement.reason == "Edited in admin"
    assert movement.request_id
    assert stocked.movements.count() == 2  # the fixture's receipt and this count
    assert_ledger_balances()


def test_the_reason_typed_in_the_admin_goes_to_the_ledger(admin_client, stocked):
    admin_client.post(record_url(stocked), edit(stocked, quantity="12", reason="Found a case"))

    movement = stocked.movements.get(kind=MovementKind.COUNT)
    assert movement.reason == "Found a case"
    assert movement.quantity_delta == Decimal("2")


def test_saving_without_changing_the_quantity_writes_no_ledger_row(admin_client, stocked):
    response = admin_client.post(record_url(stocked), edit(stocked))

    assert response.status_code == 302
    assert stocked.movements.count() == 1


def test_changing_the_expiry_date_sets_it_without_a_ledger_row(admin_client, stocked):
    response = admin_client.post(record_url(stocked), edit(stocked, expires_at="2031-05-01"))

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.expires_at == date(2031, 5, 1)
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


def test_a_negative_count_is_a_form_error_and_changes_nothing(admin_client, stocked):
    response = admin_client.post(record_url(stocked), edit(stocked, quantity="-1"))

    assert response.status_code == 200
    assert "quantity" in form_errors(response)
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


def test_an_edit_made_against_a_quantity_that_has_since_moved_is_refused(
    admin_client, stocked, item, location
):
    form = edit(stocked, quantity="10.5")  # the form showed 10
    services.stock_issue(item=item, location=location, quantity=Decimal("4"))  # meanwhile: 6

    response = admin_client.post(record_url(stocked), form)

    assert response.status_code == 200
    assert "changed from 10 to 6" in str(form_errors(response)["quantity"])
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("6")
    assert not stocked.movements.filter(kind=MovementKind.COUNT).exists()


def test_the_refused_form_expects_the_new_quantity_so_saving_again_counts(
    admin_client, stocked, item, location
):
    form = edit(stocked, quantity="10.5")
    services.stock_issue(item=item, location=location, quantity=Decimal("4"))
    refused = admin_client.post(record_url(stocked), form)
    form["quantity_seen"] = refused.context["adminform"].form["quantity_seen"].value()

    response = admin_client.post(record_url(stocked), form)

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10.5")
    assert stocked.movements.get(kind=MovementKind.COUNT).quantity_delta == Decimal("4.5")


def test_a_stock_move_since_the_form_opened_does_not_block_an_expiry_change(
    admin_client, stocked, item, location
):
    form = edit(stocked, expires_at="2031-01-31")
    services.stock_issue(item=item, location=location, quantity=Decimal("4"))

    response = admin_client.post(record_url(stocked), form)

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("6")  # the issue stands; the form did not count 10
    assert stocked.expires_at == date(2031, 1, 31)


def test_item_location_and_lot_cannot_be_changed_on_an_existing_record(
    admin_client, stocked, other_location
):
    data = edit(stocked, location=other_location.pk, lot="X-1")

    admin_client.post(record_url(stocked), data)

    stocked.refresh_from_db()
    assert stocked.location_id != other_location.pk
    assert stocked.lot == ""


def test_staff_can_count_stock_in_the_admin(client, stocked):
    staff_client = client_for_role(client, "staff")

    response = staff_client.post(record_url(stocked), edit(stocked, quantity="3"))

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("3")


def test_a_viewer_sees_a_stock_record_but_cannot_change_it(client, stocked):
    viewer_client = client_for_role(client, "viewer")

    page = viewer_client.get(record_url(stocked))
    response = viewer_client.post(record_url(stocked), edit(stocked, quantity="3"))

    assert page.status_code == 200
    assert response.status_code == 403
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


# --- adding a stock record ------------------------------------------------------------------


def test_adding_a_stock_record_counts_it_from_zero(admin_client, admin_user, item, location):
    data = {
        "item": item.pk,
        "location": location.pk,
        "lot": "L-0042",
        "quantity": "4.25",
        "expires_at": "2031-02-28",
        "reason": "",
    }

    response = admin_client.post(reverse("admin:inventory_stockrecord_add"), data)

    assert response.status_code == 302
    record = StockRecord.objects.get(item=item, location=location, lot="L-0042")
    assert record.quantity == Decimal("4.25")
    assert record.expires_at == date(2031, 2, 28)
    assert record.last_counted_at is not None
    movement = record.movements.get()
    assert movement.kind == MovementKind.COUNT
    assert movement.quantity_delta == Decimal("4.25")
    assert movement.quantity_after == Decimal("4.25")
    assert movement.source == MovementSource.ADMIN
    assert movement.created_by == admin_user
    assert movement.reason == "Added in admin"
    assert_ledger_balances()


def test_adding_a_record_that_exists_is_a_form_error_and_counts_nothing(admin_client, stocked):
    data = {
        "item": stocked.item_id,
        "location": stocked.location_id,
        "lot": "",
        "quantity": "99",
        "expires_at": "",
        "reason": "",
    }

    response = admin_client.post(reverse("admin:inventory_stockrecord_add"), data)

    assert response.status_code == 200
    assert form_errors(response)
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert StockMovement.objects.count() == 1


def test_a_viewer_cannot_add_stock_records(client):
    response = client_for_role(client, "viewer").get(reverse("admin:inventory_stockrecord_add"))

    assert response.status_code == 403


def test_stock_records_cannot_be_deleted_in_the_admin(admin_client, stocked):
    response = admin_client.post(record_url(stocked, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert StockRecord.objects.filter(pk=stocked.pk).exists()


# --- the stock record list ------------------------------------------------------------------


def _stock(count: int):
    location = LocationFactory()
    for _ in range(count):
        services.stock_receive(item=ItemFactory(), location=location, quantity=Decimal("5"))


def test_the_stock_list_filters_by_location_and_finds_by_sku(admin_client, stocked, item):
    _stock(3)
    url = reverse("admin:inventory_stockrecord_changelist")

    by_location = admin_client.get(url, {"location__id__exact": stocked.location_id})
    by_sku = admin_client.get(url, {"q": item.sku})

    assert list(by_location.context["cl"].result_list) == [stocked]
    assert list(by_sku.context["cl"].result_list) == [stocked]


def test_the_stock_list_filters_by_item_category(admin_client, location):
    produce = ItemFactory(category="Produce")
    services.stock_receive(item=produce, location=location, quantity=Decimal("1"))
    _stock(2)

    response = admin_client.get(
        reverse("admin:inventory_stockrecord_changelist"), {"item__category": "Produce"}
    )

    assert [record.item for record in response.context["cl"].result_list] == [produce]


@pytest.mark.parametrize("records", [3, 30])
def test_the_stock_list_takes_the_same_few_queries_for_any_number_of_records(
    admin_client, records, django_assert_max_num_queries
):
    _stock(records)

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:inventory_stockrecord_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == records


# --- the ledger -----------------------------------------------------------------------------


def test_the_ledger_lists_its_rows(admin_client, stocked, item):
    response = admin_client.get(reverse("admin:inventory_stockmovement_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(stocked.movements.all())
    assert item.sku in response.content.decode()


def test_the_ledger_cannot_be_added_to_in_the_admin(admin_client, stocked):
    response = admin_client.get(reverse("admin:inventory_stockmovement_add"))

    assert response.status_code == 403
    assert StockMovement.objects.count() == 1


def test_a_ledger_row_can_be_viewed_but_not_changed(admin_client, stocked):
    movement = stocked.movements.get()

    page = admin_client.get(movement_url(movement))
    response = admin_client.post(movement_url(movement), {"reason": "rewritten", "kind": "issue"})

    assert page.status_code == 200
    assert response.status_code == 403
    movement.refresh_from_db()
    assert movement.reason == ""
    assert movement.kind == MovementKind.RECEIPT


def test_a_ledger_row_cannot_be_deleted(admin_client, stocked):
    movement = stocked.movements.get()

    response = admin_client.post(movement_url(movement, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert StockMovement.objects.filter(pk=movement.pk).exists()


def test_the_ledger_offers_no_bulk_delete(admin_client, stocked):
    response = admin_client.get(reverse("admin:inventory_stockmovement_changelist"))

    assert "delete_selected" not in response.content.decode()


def test_the_ledger_finds_rows_by_request_id(admin_client, item, location):
    token = set_request_id("req-find-me")
    try:
        wanted = services.stock_receive(item=item, location=location, quantity=Decimal("1"))
    finally:
        reset_request_id(token)
    services.stock_receive(item=item, location=location, quantity=Decimal("2"))

    response = admin_client.get(
        reverse("admin:inventory_stockmovement_changelist"), {"q": "req-find-me"}
    )

    assert list(response.context["cl"].result_list) == [wanted]


def test_the_ledger_finds_rows_by_sku_and_filters_by_kind(admin_client, stocked, item, location):
    _stock(2)
    services.stock_issue(item=item, location=location, quantity=Decimal("1"))
    url = reverse("admin:inventory_stockmovement_changelist")

    by_sku = admin_client.get(url, {"q": item.sku.lower()})
    issues = admin_client.get(url, {"kind__exact": "issue"})

    assert {m.item_id for m in by_sku.context["cl"].result_list} == {item.pk}
    assert len(by_sku.context["cl"].result_list) == 2
    assert [m.kind for m in issues.context["cl"].result_list] == ["issue"]


def test_a_stock_record_links_to_its_ledger_rows(admin_client, stocked):
    _stock(2)

    page = admin_client.get(record_url(stocked))
    response = admin_client.get(
        reverse("admin:inventory_stockmovement_changelist"),
        {"stock_record__id__exact": stocked.pk},
    )

    assert f"stock_record__id__exact={stocked.pk}" in page.content.decode()
    assert list(response.context["cl"].result_list) == list(stocked.movements.all())


@pytest.mark.parametrize("movements", [3, 40])
def test_the_ledger_list_takes_the_same_few_queries_for_any_number_of_rows(
    admin_client, admin_user, movements, django_assert_max_num_queries
):
    location = LocationFactory()
    for index in range(movements):
        services.stock_receive(
            item=ItemFactory(),
            location=location,
            quantity=Decimal("1"),
            performed_by=admin_user,
            reason=f"delivery {index}",
        )

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:inventory_stockmovement_changelist"))

    assert len(response.context["cl"].result_list) == movements


# --- locations ------------------------------------------------------------------------------


def test_adding_a_location_creates_it_through_the_service(admin_client):
    response = admin_client.post(
        reverse("admin:inventory_location_add"),
        {"code": "  BAR-2 ", "name": "Upstairs bar", "active": "on"},
    )

    assert response.status_code == 302
    location = Location.objects.get(code="BAR-2")
    assert location.name == "Upstairs bar"


def test_a_location_code_the_service_refuses_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:inventory_location_add"), {"code": "A/B", "name": "", "active": "on"}
    )

    assert response.status_code == 200
    assert "code" in form_errors(response)
    assert not Location.objects.exists()


def test_a_location_is_renamed_but_keeps_its_code(admin_client, location):
    url = reverse("admin:inventory_location_change", args=[location.pk])

    admin_client.post(url, {"code": "OTHER", "name": "Cold room", "active": "on"})

    location.refresh_from_db()
    assert location.name == "Cold room"
    assert location.code == "WALK-IN"


def test_the_location_list_finds_by_name(admin_client, location, other_location):
    response = admin_client.get(reverse("admin:inventory_location_changelist"), {"q": "walk"})

    assert list(response.context["cl"].result_list) == [location]


def test_a_quantity_edited_in_the_admin_is_seen_by_the_cached_api_at_once(
    admin_client, api_client, stocked
):
    api_client.get("/api/inventory/summary")
    api_client.get("/api/inventory")

    admin_client.post(record_url(stocked), edit(stocked, quantity="3"))

    assert api_client.get("/api/inventory/summary").json()["data"]["total_quantity"] == 3
    assert api_client.get("/api/inventory").json()["data"][0]["quantity"] == 3


def test_an_item_renamed_in_the_admin_is_seen_by_the_cached_api_at_once(
    admin_client, api_client, item
):
    from tests.items.test_admin import change_url, changeform_data

    api_client.get("/api/items")
    data = changeform_data(admin_client.get(change_url(item)))
    data.update(name="Renamed in admin")

    admin_client.post(change_url(item), data)

    assert api_client.get("/api/items").json()["data"][0]["name"] == "Renamed in admin"


def test_the_ledger_offers_date_filters_without_scanning_for_year_links(
    admin_client, stocked, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = admin_client.get("/admin/inventory/stockmovement/")

    page = response.content.decode()
    assert "Past 7 days" in page
    assert "toplinks" not in page  # date_hierarchy's drill-down navigation is gone
