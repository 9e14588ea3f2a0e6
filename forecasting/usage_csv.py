"""The usage-history CSV: historical daily usage per item (and optionally location) for forecasts.

Header `date,sku,quantity[,location]`. A row sets the usage of that item (at that location, or
of the item as a whole when the location is blank) on that day; importing the same file again
changes nothing. Usage history is not stock: it writes no ledger rows.
"""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from forecasting.models import DailyUsage
from inventory.models import LOCATION_CODE_MAX_LENGTH
from inventory.stock_csv import ItemLocationResolver
from inventory_project.csvio import bulk
from inventory_project.csvio.engine import BatchResult, CsvImporter, ImportReport, import_csv
from inventory_project.csvio.reader import (
    CsvRow,
    RowInvalid,
    parse_decimal,
    parse_iso_date,
)
from inventory_project.text_length import check_length
from items.models import MAX_QUANTITY, QUANTITY_PLACES, SKU_MAX_LENGTH

USAGE_CSV_COLUMNS = ("date", "sku", "quantity", "location")


class UsageRow(NamedTuple):
    date: date
    sku: str
    location: str  # "" for the item as a whole
    quantity: Decimal


class UsageImporter(CsvImporter):
    label = "usage history"
    written_models = (DailyUsage,)
    required_columns = ("date", "sku", "quantity")
    optional_columns = ("location",)

    def __init__(self) -> None:
        self._resolver = ItemLocationResolver(blank_location=(None, True))
        self._today = timezone.localdate()

    def clean_row(self, raw: dict[str, str]) -> UsageRow:
        if not raw["date"]:
            raise RowInvalid("date", "date is required.")
        day = parse_iso_date(raw["date"], field="date")
        if day > self._today:
            raise RowInvalid("date", f"date {day} is in the future; usage history is the past.")
        sku = check_length(raw["sku"], field="sku", limit=SKU_MAX_LENGTH)
        if not sku:
            raise RowInvalid("sku", "sku is required.")
        if not raw["quantity"]:
            raise RowInvalid("quantity", "quantity is required.")
        quantity = parse_decimal(
            raw["quantity"],
            field="quantity",
            places=QUANTITY_PLACES,
            max_value=MAX_QUANTITY,
            decimal_comma=self.decimal_comma,
        )
        location = check_length(
            raw.get("location", ""), field="location", limit=LOCATION_CODE_MAX_LENGTH
        )
        return UsageRow(day, sku, location, quantity)

    def row_key(self, values: UsageRow) -> tuple:
        return values.sku, values.location, values.date

    def describe_key(self, values: UsageRow) -> str:
        where = f" at {values.location}" if values.location else ""
        return f"{values.sku}{where} on {values.date}"

    def _existing(self, keys: set[tuple], *, lock: bool) -> dict[tuple, tuple[int, Decimal]]:
        if not keys:
            return {}
        queryset = DailyUsage.objects.filter(
            item_id__in={k[0] for k in keys}, date__in={k[2] for k in keys}
        )
        if lock:
            queryset = queryset.select_for_update().order_by("pk")
        found = {}
        rows = queryset.values_list("pk", "item_id", "location_id", "date", "quantity")
        for pk, *key, quantity in bulk.fetch_rows(rows):
            if tuple(key) in keys:
                found[tuple(key)] = (pk, quantity)
        return found

    def apply_batch(self, rows: list[CsvRow], *, write: bool) -> BatchResult:
        result = BatchResult()
        known = [
            (row, (item[0], location[0], row.values.date))
            for row, item, location in self._resolver.resolve(rows, result)
        ]
        existing = self._existing({key for _row, key in known}, lock=write)
        now = timezone.now()
        updates: list[tuple] = []
        missing: list[tuple[CsvRow, tuple]] = []

        def compare(row: CsvRow, record: tuple[int, Decimal]) -> None:
            if record[1] == row.values.quantity:
                result.unchanged += 1
            else:
                result.updated += 1
                updates.append((record[0], row.values.quantity, now))

        for row, key in known:
            if key in existing:
                compare(row, existing[key])
            else:
                missing.append((row, key))
        result.inserted = len(missing)
        if write:
            inserted = {
                tuple(key)
                for key in bulk.insert_returning(
                    DailyUsage,
                    ["item", "location", "date", "quantity", "created_at", "updated_at"],
                    [(*key, row.values.quantity, now, now) for row, key in missing],
                    returning=["item", "location", "date"],
                )
            }
            raced = [(row, key) for row, key in missing if key not in inserted]
            if raced:
                # Written by someone else since we looked: compare with it under lock instead.
                result.inserted -= len(raced)
                locked = self._existing({key for _row, key in raced}, lock=True)
                for row, key in raced:
                    compare(row, locked[key])
            bulk.update_rows(DailyUsage, ["quantity", "updated_at"], updates)
        return result


def import_usage_csv(
    *, csv_file, dry_run: bool = False, atomic: bool = False, **options
) -> ImportReport:
    """Load daily usage history from a CSV stream (see `inventory_project.csvio.engine`)."""
    return import_csv(UsageImporter(), csv_file, dry_run=dry_run, atomic=atomic, **options)
