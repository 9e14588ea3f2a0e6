"""The items CSV: upsert the item master by SKU, and the export that re-imports unchanged.

Columns: `sku`, then the item's editable fields (`items.fields.CSV_COLUMNS`); only `sku` is
required. A row updates the item with its SKU or creates it. Columns the file leaves out, and
blank cells, keep the item's values (a new item takes the model's defaults); the id never
changes., since other rows point at it.

The rules are those of `items.services`, called here as a single create or update calls them:
each cell is read by its model field's kind and checked by its field's rule (`FIELD_RULES`); a
new item's fields come from `new_item_values`, an update's changes from `item_changes`. Only the
writes are set-based: one INSERT and one UPDATE a batch, with the audit entries a save would
have left.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import role_allows
from inventory_project.audit import BulkChange, record_bulk_changes
from inventory_project.csvio import bulk
from inventory_project.csvio.engine import BatchResult, CsvImporter, ImportReport, import_csv
from inventory_project.csvio.export import csv_lines
from inventory_project.csvio.reader import CsvRow, RowInvalid, parse_bool, parse_decimal
from inventory_project.http import response_cache as cache
from inventory_project.service_errors import ServiceError
from items.cached_responses import ITEMS_GROUP
from items.fields import (
    CSV_COLUMNS,
    EDITABLE_FIELDS,
    IDENTITY_FIELD,
    NON_NEGATIVE_FIELDS,
    STAMPED_ON_CHANGE,
    STAMPED_ON_CREATE,
    item_field,
)
from items.models import Item, item_label
from items.services import (
    ACTIVATE_PERMISSION,
    FIELD_RULES,
    item_changes,
    new_item_values,
    normalize_sku,
    validate_reorder_levels,
)


def _columns_by_kind() -> tuple[tuple, tuple, tuple]:
    """The editable columns, grouped by how a cell is read: texts, numbers, yes/no flags.

    Each comes with its field's rule (`FIELD_RULES`, None if it has none); a number with its
    model field's places, largest value and sign (`items.fields.NON_NEGATIVE_FIELDS`).
    """
    texts, numbers, flags = [], [], []
    for name in EDITABLE_FIELDS:
        field, rule = item_field(name), FIELD_RULES.get(name)
        if isinstance(field, models.CharField):
            texts.append((name, rule))
        elif isinstance(field, models.DecimalField):
            places = field.decimal_places
            quantum = Decimal(1).scaleb(-places)
            largest = Decimal(10) ** (field.max_digits - places) - quantum
            allow_negative = name not in NON_NEGATIVE_FIELDS
            numbers.append((name, places, largest, quantum, allow_negative, rule))
        elif isinstance(field, models.BooleanField):
            flags.append((name, rule))
        else:
            raise ImproperlyConfigured(
                f"items/item_csv.py reads no {type(field).__name__} cell (item field "
                f"{name!r}): teach _columns_by_kind and ItemImporter.clean_row that kind."
            )
    return tuple(texts), tuple(numbers), tuple(flags)


_TEXT_COLUMNS, _NUMBER_COLUMNS, _FLAG_COLUMNS = _columns_by_kind()


class ItemRow(NamedTuple):
    sku: str
    values: dict  # the given, non-blank editable fields, clean


def _refused(error: ServiceError) -> RowInvalid:
    return RowInvalid(error.field, error.message)


class ItemImporter(CsvImporter):
    label = "items"
    written_models = (Item,)
    required_columns = (IDENTITY_FIELD,)
    optional_columns = EDITABLE_FIELDS

    def __init__(self, *, may_change_active: bool) -> None:
        # Deactivating or reactivating an existing item needs the delete permission (see
        # ACTIVATE_PERMISSION); a new item may start inactive whoever creates it.
        self.may_change_active = may_change_active

    def clean_row(self, raw: dict[str, str]) -> ItemRow:
        # A rule's ServiceError refuses the row (see CsvImporter.clean_row).
        sku = normalize_sku(raw[IDENTITY_FIELD])
        values: dict = {}
        cell = raw.get
        for name, rule in _TEXT_COLUMNS:
            text = cell(name, "")
            if text:
                values[name] = rule(text)
        for name, places, largest, quantum, allow_negative, rule in _NUMBER_COLUMNS:
            text = cell(name, "")
            if text:
                # At the column's scale, as every other source stores and audits it ("7.000").
                number = parse_decimal(
                    text,
                    field=name,
                    places=places,
                    max_value=largest,
                    allow_negative=allow_negative,
                    decimal_comma=self.decimal_comma,
                ).quantize(quantum)
                values[name] = number if rule is None else rule(number)
        for name, rule in _FLAG_COLUMNS:
            text = cell(name, "")
            if text:
                flag = parse_bool(text, field=name)
                values[name] = flag if rule is None else rule(flag)
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
        existing = {
            item.sku: item for item in existing_qs.only("pk", IDENTITY_FIELD, *EDITABLE_FIELDS)
        }
        now = timezone.now()
        change_stamps = tuple(now for _ in STAMPED_ON_CHANGE)
        inserts: list[tuple[CsvRow, str, dict]] = []  # the row, the SKU, the editable fields
        updates: list[tuple] = []
        audited: list[BulkChange] = []
        for row in rows:
            sku, given = row.values
            item = existing.get(sku)
            try:
                if item is None:
                    inserts.append((row, sku, new_item_values(sku=sku, values=given)))
                    continue
                changes = item_changes(item, given)
                if "active" in changes and not self.may_change_active:
                    raise RowInvalid(
                        "active", "Changing whether an item is active needs the admin role."
                    )
                merged = {f: getattr(item, f) for f in EDITABLE_FIELDS}
                merged.update(given)
                validate_reorder_levels(
                    reorder_min=merged["reorder_min"], reorder_max=merged["reorder_max"]
                )
            except ServiceError as error:
                result.errors.append((row, _refused(error)))
                continue
            except RowInvalid as error:
                result.errors.append((row, error))
                continue
            if changes:
                updates.append((item.pk, *merged.values(), *change_stamps))
                audited.append(BulkChange(item.pk, item_label(sku, merged["name"]), changes))
            else:
                result.unchanged += 1
        result.updated = len(updates)
        if write:
            create_stamps = tuple(now for _ in STAMPED_ON_CREATE)
            created_pks = dict(
                bulk.insert_returning(
                    Item,
                    [*CSV_COLUMNS, *STAMPED_ON_CREATE],
                    [(sku, *values.values(), *create_stamps) for _row, sku, values in inserts],
                    conflict=[IDENTITY_FIELD],
                    returning=[IDENTITY_FIELD, "pk"],
                )
            )
            bulk.update_rows(Item, [*EDITABLE_FIELDS, *STAMPED_ON_CHANGE], updates)
            # The rows skip save() and its signals: the audit trail gets their entries here,
            # the fields a save would have recorded (`items.apps`: all but the stamps).
            record_bulk_changes(Item, "update", audited)
            record_bulk_changes(
                Item,
                "create",
                (
                    BulkChange(
                        pk,
                        item_label(sku, values["name"]),
                        {
                            "id": (None, pk),
                            IDENTITY_FIELD: (None, sku),
                            **{name: (None, value) for name, value in values.items()},
                        },
                    )
                    for _row, sku, values in inserts
                    if (pk := created_pks.get(sku)) is not None
                ),
            )
            for row, _sku, _values in inserts:
                if row.values.sku not in created_pks:
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
            result.inserted = len(created_pks)
        else:
            result.inserted = len(inserts)
        return result

    def finish(self) -> None:
        cache.invalidate(groups=[ITEMS_GROUP])


def export_item_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The rows of the items export of `queryset`, in `CSV_COLUMNS` order, a chunk at a time."""
    return queryset.values_list(*CSV_COLUMNS).iterator(chunk_size=2000)


def export_item_lines(queryset: QuerySet) -> Iterator[str]:
    """The items CSV of `queryset`, a line at a time, in the import format."""
    return csv_lines(CSV_COLUMNS, export_item_rows(queryset))


def import_items_csv(
    *, csv_file, performed_by=None, dry_run: bool = False, atomic: bool = False, **options
) -> ImportReport:
    """Upsert items from a CSV stream; see `inventory_project.csvio.engine.import_csv`.

    `performed_by` None is a trusted operator (a management command); an API or admin user may
    (de)activate existing items only if their role may (`ACTIVATE_PERMISSION`); new items may
    start inactive (a file's `active=false` rows for new SKUs).
    """
    may_change_active = performed_by is None or role_allows(performed_by, ACTIVATE_PERMISSION)
    importer = ItemImporter(may_change_active=may_change_active)
    return import_csv(importer, csv_file, dry_run=dry_run, atomic=atomic, **options)
