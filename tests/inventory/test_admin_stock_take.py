"""Stock take by location in the admin: a sheet, a preview, then the changed lines counted."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.admin_stock_take import STOCK_TAKE_REASON
from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from inventory.stock_csv import import_stock_counts_csv
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances

pytestmark = pytest.mark.django_db


def sheet_url(location) -> str:
    return reverse("admin:inventory_location_stock_take", args=[location.pk])


def csv_url(location) -> str:
    return reverse("admin:inventory_location_stock_take_csv", args=[location.pk])


def signed_in(client, role: str):
    user = user_with_role(role, email=f"{role}-take@example.com")
    client.force_login(user)
    return client, user


def stock_lines(location, count: int, quantity: str = "10") -> list[StockRecord]:
    """`count` items with `quantity` each at `location`, received through the service."""
    records = []
    for n in range(count):
        item = ItemFactory(sku=f"TAKE-{location.code}-{n:03d}", name=f"Item {n:03d}", uom="kg")
        services.stock_receive(item=item, location=location, quantity=Decimal(quantity))
        records.append(item.stock_records.get(location=location))
    return records


def counts(typed: dict[StockRecord, str], **extra) -> dict:
    return {**{f"count-{record.pk}": value for record, value in typed.items()}, **extra}


def form_key(preview_page) -> str:
    return re.search(rb'name="form_key" value="([0-9a-f-]+)"', preview_page.content)[1].decode()


def confirm(client, location, typed: dict[StockRecord, str]):
    preview = client.post(sheet_url(location), counts(typed, step="preview"))
    return client.post(
        sheet_url(location), counts(typed, step="confirm", form_key=form_key(preview))
    )


def count_rows():
    return StockMovement.objects.filter(kind=MovementKind.COUNT)


@pytest.fixture
def walk_in():
    return LocationFactory(code="WALK-IN", name="Walk-in cooler")


def test_the_sheet_lists_every_record_of_the_location_and_no_other(client, walk_in):
    staff, _user = signed_in(client, "staff")
    here = stock_lines(walk_in, 3)
    elsewhere = stock_lines(LocationFactory(code="DRY"), 2)

    page = staff.get(sheet_url(walk_in))

    assert page.status_code == 200
    assert [line.record for line in page.context["lines"]] == here
    for record in elsewhere:
        assert f'name="count-{record.pk}"'.encode() not in page.content


def test_previewing_shows_old_and_new_of_the_changed_lines_and_writes_nothing(client, walk_in):
    staff, _user = signed_in(client, "staff")
    first, second, third = stock_lines(walk_in, 3)

    page = staff.post(
        sheet_url(walk_in), counts({first: "7", second: "10", third: ""}, step="preview")
    )

    assert page.status_code == 200
    assert [line.record for line in page.context["preview"]] == [first]
    assert b"Confirm 1 change" in page.content
    assert b"-3 kg" in page.content
    assert not count_rows().exists()
    first.refresh_from_db()
    assert first.quantity == Decimal("10")


def test_confirming_a_sheet_of_20_lines_writes_exactly_the_changed_lines(client, walk_in):
    staff, user = signed_in(client, "staff")
    records = stock_lines(walk_in, 20)
    typed = dict.fromkeys(records, "10")  # counted and found as on hand
    changed = {records[2]: "8", records[5]: "12.5", records[11]: "0", records[19]: "10,25"}
    typed.update(changed)
    del typed[records[7]]  # not counted

    response = confirm(staff, walk_in, typed)

    assert response.status_code == 302
    rows = count_rows()
    assert sorted(row.stock_record_id for row in rows) == sorted(r.pk for r in changed)
    assert {(row.source, row.created_by, row.reason) for row in rows} == {
        (MovementSource.ADMIN, user, STOCK_TAKE_REASON)
    }
    quantities = dict(StockRecord.objects.values_list("pk", "quantity"))
    assert quantities[records[2].pk] == Decimal("8")
    assert quantities[records[5].pk] == Decimal("12.5")
    assert quantities[records[11].pk] == Decimal("0")
    assert quantities[records[19].pk] == Decimal("10.25")
    assert quantities[records[7].pk] == Decimal("10")
    assert_ledger_balances()


def test_a_line_left_blank_is_not_counted(client, walk_in):
    staff, _user = signed_in(client, "staff")
    [record] = stock_lines(walk_in, 1)

    confirm(staff, walk_in, {record: "  "})

    record.refresh_from_db()
    assert record.quantity == Decimal("10")
    assert record.last_counted_at is None
    assert not count_rows().exists()


@pytest.mark.parametrize("typed", ["-1", "abc", "1,500", "1.5,0", "NaN", "1e400", "0.00001"])
def test_a_count_that_is_not_a_plain_quantity_marks_its_line_and_nothing_is_written(
    client, walk_in, typed
):
    staff, _user = signed_in(client, "staff")
    good, bad = stock_lines(walk_in, 2)

    preview = staff.post(sheet_url(walk_in), counts({good: "3", bad: typed}, step="preview"))
    forced = staff.post(
        sheet_url(walk_in), counts({good: "3", bad: typed}, step="confirm", form_key=str(bad.pk))
    )

    for page in (preview, forced):
        assert page.status_code == 200
        [marked] = [line for line in page.context["lines"] if line.error]
        assert marked.record == bad
        assert page.context["preview"] is None
    assert not count_rows().exists()


def test_a_refused_line_stops_the_whole_stock_take(client, walk_in):
    staff, _user = signed_in(client, "staff")
    down, up = stock_lines(walk_in, 2)
    services.location_update(location=walk_in, name=walk_in.name, active=False)

    response = confirm(staff, walk_in, {down: "4", up: "15"})

    assert response.status_code == 200
    assert "inactive" in response.context["error"]
    assert "Nothing was written" in response.context["error"]
    assert not count_rows().exists()
    down.refresh_from_db()
    assert down.quantity == Decimal("10")


def test_a_stock_take_confirmed_twice_counts_once(client, walk_in):
    staff, _user = signed_in(client, "staff")
    [record] = stock_lines(walk_in, 1)
    preview = staff.post(sheet_url(walk_in), counts({record: "4"}, step="preview"))
    data = counts({record: "4"}, step="confirm", form_key=form_key(preview))

    staff.post(sheet_url(walk_in), data)
    services.stock_receive(item=record.item, location=walk_in, quantity=Decimal("6"))
    again = staff.post(sheet_url(walk_in), data)

    assert again.status_code == 302
    record.refresh_from_db()
    assert record.quantity == Decimal("10")  # 4 counted, then 6 received; not counted to 4 again
    assert count_rows().count() == 1


def test_a_viewer_can_neither_open_nor_send_a_stock_take_and_nothing_changes(client, walk_in):
    viewer, _user = signed_in(client, "viewer")
    [record] = stock_lines(walk_in, 1)

    responses = [
        viewer.get(sheet_url(walk_in)),
        viewer.post(sheet_url(walk_in), counts({record: "1"}, step="confirm", form_key="x")),
        viewer.get(csv_url(walk_in)),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert (
        b"stock-take"
        not in viewer.get(reverse("admin:inventory_location_change", args=[walk_in.pk])).content
    )
    record.refresh_from_db()
    assert record.quantity == Decimal("10")
    assert not count_rows().exists()


def test_the_sheet_of_500_records_takes_as_many_queries_as_a_sheet_of_5(client, walk_in):
    staff, _user = signed_in(client, "staff")
    stock_lines(walk_in, 5)
    big = LocationFactory(code="BIG")
    records = stock_lines(big, 5)
    StockRecord.objects.bulk_create(
        StockRecord(item=ItemFactory(sku=f"BULK-{n:03d}"), location=big, quantity=Decimal(1))
        for n in range(495)
    )
    staff.get(sheet_url(walk_in))  # the session and the user, loaded once

    with CaptureQueriesContext(connection) as small_sheet:
        staff.get(sheet_url(walk_in))
    with CaptureQueriesContext(connection) as big_sheet:
        page = staff.get(sheet_url(big))
    with CaptureQueriesContext(connection) as big_preview:
        staff.post(sheet_url(big), counts({records[0]: "2"}, step="preview"))

    assert len(page.context["lines"]) == 500
    assert len(big_sheet) == len(small_sheet) == len(big_preview)
    assert len(big_sheet) <= 7


def test_the_downloaded_sheet_is_the_stock_count_format_and_imports_back(client, walk_in):
    staff, _user = signed_in(client, "staff")
    first, second = stock_lines(walk_in, 2)
    stock_lines(LocationFactory(code="DRY"), 1)

    response = staff.get(csv_url(walk_in))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["sku"] for row in rows] == [first.item.sku, second.item.sku]
    assert {row["location"] for row in rows} == {"WALK-IN"}
    rows[0]["quantity"] = "3"
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    report = import_stock_counts_csv(csv_file=io.BytesIO(filled.getvalue().encode()))

    assert (report.updated, report.unchanged, report.error_count) == (1, 1, 0)
    first.refresh_from_db()
    assert first.quantity == Decimal("3")


def test_a_location_with_1500_records_is_counted_in_one_sheet(client, walk_in):
    staff, _user = signed_in(client, "staff")
    [first] = stock_lines(walk_in, 1)
    StockRecord.objects.bulk_create(
        StockRecord(item=ItemFactory(sku=f"WIDE-{n:04d}"), location=walk_in, quantity=Decimal(1))
        for n in range(1499)
    )
    typed = dict.fromkeys(StockRecord.objects.filter(location=walk_in), "1")
    typed[first] = "4"

    response = confirm(staff, walk_in, typed)

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.quantity == Decimal("4")
    assert count_rows().count() == 1
