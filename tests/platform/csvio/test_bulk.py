"""The set-based writers store each row's own values, time stamps shared by many rows included."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from inventory_project.csvio import bulk
from items.models import Item

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOON + timedelta(hours=5, seconds=1)
# The same instant as NOON, written in another zone.
NOON_IN_PARIS = NOON.astimezone(timezone(timedelta(hours=1)))

COLUMNS = ["sku", "name", "category", "uom", "reorder_min", "reorder_max", "par_level", "active"]
STAMPS = ["created_at", "updated_at"]


def _item(n: int) -> tuple:
    return (f"BULK-{n}", f"Item {n}", "", "each", Decimal(0), Decimal(0), Decimal(n), True)


def _stamps(skus) -> dict[str, tuple]:
    return {
        sku: (created, updated)
        for sku, created, updated in Item.objects.filter(sku__in=skus).values_list("sku", *STAMPS)
    }


def test_rows_sharing_a_time_stamp_each_store_it_beside_rows_with_their_own():
    rows = [(*_item(n), NOON, LATER if n == 2 else NOON) for n in range(4)]

    bulk.insert_rows(Item, COLUMNS + STAMPS, rows)

    assert _stamps([f"BULK-{n}" for n in range(4)]) == {
        "BULK-0": (NOON, NOON),
        "BULK-1": (NOON, NOON),
        "BULK-2": (NOON, LATER),
        "BULK-3": (NOON, NOON),
    }


def test_a_time_stamp_written_in_another_zone_is_stored_as_the_same_instant():
    rows = [(*_item(0), NOON, NOON), (*_item(1), NOON_IN_PARIS, LATER)]

    bulk.insert_rows(Item, COLUMNS + STAMPS, rows)

    assert _stamps(["BULK-0", "BULK-1"]) == {"BULK-0": (NOON, NOON), "BULK-1": (NOON, LATER)}


def test_insert_returning_answers_the_inserted_rows_with_their_stored_values():
    rows = [(*_item(n), NOON, NOON) for n in range(3)]

    inserted = bulk.insert_returning(
        Item, COLUMNS + STAMPS, rows, conflict=["sku"], returning=["sku"]
    )

    assert sorted(inserted) == [("BULK-0",), ("BULK-1",), ("BULK-2",)]
    assert set(_stamps(["BULK-0", "BULK-1", "BULK-2"]).values()) == {(NOON, NOON)}


def test_update_rows_sets_each_row_by_its_own_primary_key():
    bulk.insert_rows(Item, COLUMNS + STAMPS, [(*_item(n), NOON, NOON) for n in range(3)])
    pks = dict(Item.objects.filter(sku__startswith="BULK-").values_list("sku", "pk"))

    updated = bulk.update_rows(
        Item,
        ["name", "updated_at"],
        [(pks["BULK-0"], "First", LATER), (pks["BULK-2"], "Third", NOON_IN_PARIS)],
    )

    assert updated == 2
    names = dict(Item.objects.filter(sku__startswith="BULK-").values_list("sku", "name"))
    assert names == {"BULK-0": "First", "BULK-1": "Item 1", "BULK-2": "Third"}
    assert _stamps(["BULK-0", "BULK-1", "BULK-2"]) == {
        "BULK-0": (NOON, LATER),
        "BULK-1": (NOON, NOON),
        "BULK-2": (NOON, NOON),
    }
