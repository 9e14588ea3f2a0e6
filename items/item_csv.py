"""The items CSV: upsert the item master by SKU, and the export that re-imports unchanged.

Header `sku,name,category,uom,reorder_min,reorder_max,par_level,active`; only `sku` is required.
A row updates the item with its SKU or creates it. Columns the file leaves out, and blank cells,
keep the item's values (a new item takes the defaults); the id never changes. (v20 replaced whole
rows: ids changed and omitted columns were reset.)
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import role_allows
from inventory_project.audit import BulkChange, record_bulk_changes
from inventory_project.csvio import bulk
from inventory_project.csvio.engine import BatchResult, CsvImporter, ImportReport, import_csv
from inventory_project.csvio.export import csv_lines
from inventory_project.csvio.reader import (
    CsvRow,
    RowInvalid,
    parse_bool,
    parse_decimal,
)
from inventory_project.http import response_cache as cache
from inventory_project.service_errors import ServiceError
from inventory_project.text_length import check_length
from items.cached_responses import ITEMS_GROUP
from items.models import MAX_QUANTITY, QUANTITY_PLACES, Item, item_label
from items.services import (
    ACTIVATE_PERMISSION,
    ITEM_EDITABLE_FIELDS,
    LEVEL_FIELDS,
    TEXT_LIMITS,
    normalize_sku,
    validate_new_sku,
    validate_reorder_levels,
)

ITEM_CSV_COLUMNS = ("sku", *ITEM_EDITABLE_FIELDS)
_DEFAULTS = {
    "category": "",
    "uom": "each",
    "reorder_min": Decimal(0),
    "reorder_max": Decimal(0),
    "par_level": Decimal(0),
    "active": True,
}


class ItemRow(NamedTuple):
    sku: str
    values: dict  # the given, non-blank editable fields


_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


class ItemImporter(CsvImporter):
    label = "items"
    required_columns = ("sku",)
    optional_columns = ITEM_EDITABLE_FIELDS

    def __init__(self, *, may_change_active: bool) -> None:
        # Deactivating or reactivating an existing item needs the delete permission (see
        # ACTIVATE_PERMISSION); a new item may start inactive whoever creates it.
        self.may_change_active = may_change_active

    def clean_row(self, raw: dict[str, str]) -> ItemRow:
        # A ServiceError of check_length refuses the row (see CsvImporter.clean_row).
        try:
            sku = normalize_sku(raw["sku"])
        except ServiceError as exc:
            raise RowInvalid("sku", exc.message) from None
        values: dict = {}
        for name, limit in TEXT_LIMITS.items():
            text = raw.get(name, "")
            if text:
                values[name] = check_length(text, field=name, limit=limit)
        for name in LEVEL_FIELDS:
            text = raw.get(name, "")
            if text:
                # At the column's scale, as every other door stores and audits it ("7.000").
                values[name] = parse_decimal(
                    text, field=name, places=QUANTITY_PLACES, max_value=MAX_QUANTITY
                ).quantize(_QUANTUM)
        if raw.get("active"):
            values["active"] = parse_bool(raw["active"], field="active")
        return ItemRow(sku, values)

    def row_key(self, values: ItemRow) -> str:
        return values.sku

    def describe_key(self, values: ItemRow) -> str:
        return f"SKU {values.sku}"

    def apply_batch(self, rows: list[CsvRow], *, write: bool) -> BatchResult:
        result = BatchResult()
        existing_qs = Item.objects.filter(sku__in=[row.values.sku for row in rows])
        if write:
            existing_qs = existing_qs.select_for_update().order_by("pk")
        existing = {item.sku: item for item in existing_qs.only("pk", "sku", *ITEM_EDITABLE_FIELDS)}
        now = timezone.now()
        inserts: list[tuple[CsvRow, tuple]] = []
        updates: list[tuple] = []
        audited: list[BulkChange] = []
        for row in rows:
            sku, given = row.values
            item = existing.get(sku)
            try:
                if item is None:
                    inserts.append((row, self._new_item(sku, given, now)))
                    continue
                changes = {f: v for f, v in given.items() if getattr(item, f) != v}
                if "active" in changes and not self.may_change_active:
                    raise RowInvalid(
                        "active", "Changing whether an item is active needs the admin role."
                    )
                merged = {f: changes.get(f, getattr(item, f)) for f in ITEM_EDITABLE_FIELDS}
                self._check_levels(merged)
            except RowInvalid as error:
                result.errors.append((row, error))
                continue
            if changes:
                updates.append((item.pk, *merged.values(), now))
                audited.append(
                    BulkChange(
                        item.pk,
                        item_label(sku, merged["name"]),
                        {f: (getattr(item, f), v) for f, v in changes.items()},
                    )
                )
            else:
                result.unchanged += 1
        result.updated = len(updates)
        if write:
            columns = ["sku", *ITEM_EDITABLE_FIELDS]
            created_pks = dict(
                bulk.insert_returning(
                    Item,
                    [*columns, "created_at", "updated_at"],
                    [values for _row, values in inserts],
                    conflict=["sku"],
                    returning=["sku", "pk"],
                )
            )
            created = set(created_pks)
            bulk.update_rows(Item, [*ITEM_EDITABLE_FIELDS, "updated_at"], updates)
            # The rows skip save() and its signals: the audit trail gets their entries here.
            record_bulk_changes(Item, "update", audited)
            record_bulk_changes(
                Item,
                "create",
                (
                    BulkChange(
                        created_pks[values[0]],
                        item_label(values[0], values[1]),
                        {
                            "id": (None, created_pks[values[0]]),
                            **{
                                c: (None, v)
                                for c, v in zip(columns, values[: len(columns)], strict=True)
                            },
                        },
                    )
                    for _row, values in inserts
                    if values[0] in created_pks
                ),
            )
            for row, _values in inserts:
                if row.values.sku not in created:
                    result.errors.append(
                        (
                            row,
                            RowInvalid(
                                "sku",
                                f"Item {row.values.sku} was created by someone else during the "
                                "import; import this row again to update it.",
                            ),
                        )
                    )
            result.inserted = len(created)
        else:
            result.inserted = len(inserts)
        return result

    def _new_item(self, sku: str, given: dict, now) -> tuple:
        if "name" not in given:
            raise RowInvalid("name", f"name is required for a new item (SKU {sku}).")
        try:
            validate_new_sku(sku)
        except ServiceError as exc:
            raise RowInvalid("sku", exc.message) from None
        values = {**_DEFAULTS, **given}
        self._check_levels(values)
        return (sku, *(values[f] for f in ITEM_EDITABLE_FIELDS), now, now)

    @staticmethod
    def _check_levels(values: dict) -> None:
        try:
            validate_reorder_levels(
                reorder_min=values["reorder_min"], reorder_max=values["reorder_max"]
            )
        except ServiceError as exc:
            raise RowInvalid(exc.field, exc.message) from None

    def finish(self) -> None:
        cache.invalidate(groups=[ITEMS_GROUP])


def export_item_lines(queryset: QuerySet) -> Iterator[str]:
    """The items CSV of `queryset`, a line at a time, in the import format."""
    rows = queryset.values_list(*ITEM_CSV_COLUMNS).iterator(chunk_size=2000)
    return csv_lines(ITEM_CSV_COLUMNS, rows)


def import_items_csv(
    *, csv_file, performed_by=None, dry_run: bool = False, atomic: bool = False, **options
) -> ImportReport:
    """Upsert items from a CSV stream; see `inventory_project.csvio.engine.import_csv`.

    `performed_by` None is a trusted operator (a management command); an API or admin user may
    (de)activate existing items only if their role may (`ACTIVATE_PERMISSION`); new items may
    start inactive (a v20 file's `active=false` rows).
    """
    may_change_active = performed_by is None or role_allows(performed_by, ACTIVATE_PERMISSION)
    importer = ItemImporter(may_change_active=may_change_active)
    return import_csv(importer, csv_file, dry_run=dry_run, atomic=atomic, **options)
