"""The ledger row of set-based writes has the shape of the ledger table."""

from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import MovementKind, MovementSource, StockMovement
from inventory.stock_csv import LedgerRow, StockCountImporter
from inventory_project.csvio import bulk
from tests.helpers import assert_ledger_balances

# Columns a count's ledger row leaves to the database (the id) or empty (a count is never a
# transfer leg and never puts back an issue). A new StockMovement column must be added to
# `LedgerRow` or named here, so a bulk write never silently leaves it out.
LEFT_TO_THE_DATABASE = {"id", "transfer_id", "reverses_id"}


def test_the_ledger_row_fills_every_stock_movement_column_but_the_id_and_the_links():
    columns = [field.attname for field in StockMovement._meta.concrete_fields]

    assert list(LedgerRow._fields) == [c for c in columns if c not in LEFT_TO_THE_DATABASE]
    assert set(columns) >= LEFT_TO_THE_DATABASE


def test_each_ledger_row_field_names_a_column_the_bulk_writer_can_fill():
    fields = [StockMovement._meta.get_field(name) for name in LedgerRow._fields]

    assert [field.column for field in fields] == list(LedgerRow._fields)


@pytest.mark.django_db
def test_a_count_ledger_row_puts_each_value_in_its_own_column(stocked, api_user):
    importer = StockCountImporter(performed_by=api_user, source=MovementSource.ADMIN, reason="R")
    now = timezone.now()
    key = (stocked.item_id, stocked.location_id, stocked.lot)

    row = importer._movement(stocked.pk, key, Decimal(-4), Decimal(6), now)
    bulk.insert_rows(StockMovement, LedgerRow._fields, [row])
    stocked.quantity = Decimal(6)
    stocked.save(update_fields=["quantity"])

    movement = StockMovement.objects.get(kind=MovementKind.COUNT)
    assert movement.stock_record_id == stocked.pk
    assert (movement.item_id, movement.location_id, movement.lot) == key
    assert (movement.quantity_delta, movement.quantity_after) == (Decimal(-4), Decimal(6))
    assert (movement.created_at, movement.created_by_id) == (now, api_user.pk)
    assert (movement.reason, movement.source) == ("R", "admin")
    assert (movement.transfer_id, movement.reverses_id) == (None, None)
    assert_ledger_balances()
