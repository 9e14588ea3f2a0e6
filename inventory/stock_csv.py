"""The inventory CSV: a stock count per row, and the export that re-imports unchanged.

Header `sku,location,quantity,lot,expires_at,last_counted_at`; the first three are required.
Each row sets the quantity of item+location+lot to what was counted and appends a ledger row
(kind `count`, source `import`) with the difference, in the same transaction. A row that matches
what is on record changes nothing and writes nothing, so importing a file twice is harmless.
A row naming an unknown SKU is an error. A location code not seen before is created with the
batch where allowed (see `import_stock_counts_csv`).

The writes are set-based (see `inventory_project.csvio.bulk`), but keep the ways of
`inventory.services`: records that change are locked in primary-key order and deltas are taken
against the locked rows, and a record created by someone else meanwhile is read again under lock
instead of overwritten. What a count may do (its quantity, a negative count, an inactive
location) is decided by the same functions as there, in `inventory.rules`; ledger rows are
`LedgerRow`s, whose fields are the columns they are written to.
"""

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import role_allows
from inventory.cached_responses import STOCK_GROUP
from inventory.models import (
    LOCATION_CODE_MAX_LENGTH,
    LOT_MAX_LENGTH,
    Location,
    MovementKind,
    MovementSource,
    StockMovement,
    StockRecord,
)
from inventory.rules import (
    enters_inactive_location,
    lot_problem,
    negative_count_refused,
    quantity_refusal,
)
from inventory.services import (
    LOCATION_CREATE_PERMISSION,
    locations_create_missing,
    validate_new_location_code,
)
from inventory_project.csvio import bulk
from inventory_project.csvio.engine import BatchResult, CsvImporter, ImportReport, import_csv
from inventory_project.csvio.export import csv_lines
from inventory_project.csvio.reader import (
    CsvRow,
    RowInvalid,
    decimal_text,
    parse_iso_date,
    parse_iso_datetime,
)
from inventory_project.http import response_cache as cache
from inventory_project.http.request_context import get_request_id
from inventory_project.service_errors import ServiceError
from inventory_project.text_length import check_length
from items.models import SKU_MAX_LENGTH, Item

STOCK_CSV_COLUMNS = ("sku", "location", "quantity", "lot", "expires_at", "last_counted_at")
CLOCK_SKEW = timedelta(minutes=5)
_COUNT_KIND = MovementKind.COUNT.value


class LedgerRow(NamedTuple):
    """A `StockMovement` as set-based writes append it: its fields name the columns it fills.

    The id is the database's; a count is never part of a transfer (`transfer_id`) and never puts
    back an issue (`reverses`), so those columns are left empty.
    """

    stock_record_id: int
    item_id: int
    location_id: int
    lot: str
    kind: str
    quantity_delta: Decimal
    quantity_after: Decimal
    created_at: datetime
    created_by_id: int | None
    reason: str
    request_id: str
    source: str


class StockCountRow(NamedTuple):
    sku: str
    location: str
    lot: str
    quantity: Decimal
    expires_at: date | None  # None: keep the record's
    last_counted_at: datetime | None  # None: now, if the quantity changes


class _Record(NamedTuple):
    pk: int
    quantity: Decimal
    expires_at: date | None
    last_counted_at: datetime | None


class ItemLocationResolver:
    """SKU and location code -> (id, active) for import rows, one query per batch for new ones."""

    def __init__(self, *, blank_location: tuple[int | None, bool] | None = None) -> None:
        self._items: dict[str, tuple[int, bool] | None] = {}
        # Usage rows may leave the location blank (the item as a whole); stock rows may not.
        self._locations: dict[str, tuple[int | None, bool] | None] = (
            {"": blank_location} if blank_location else {}
        )

    @staticmethod
    def _fill(model, field: str, values: set[str], known: dict) -> None:
        # Not `values - known.keys()`: that builds a set of every key known so far.
        wanted = {value for value in values if value not in known}
        if not wanted:
            return
        known.update(dict.fromkeys(wanted))
        found = model.objects.filter(**{f"{field}__in": wanted}).values_list(field, "pk", "active")
        for value, pk, active in bulk.fetch_rows(found):
            known[value] = (pk, active)

    def resolve(self, rows: list[CsvRow], result: BatchResult) -> list[tuple[CsvRow, tuple, tuple]]:
        """(row, item, location) for rows whose SKU and location exist; the rest become errors."""
        self._fill(Item, "sku", {row.values.sku for row in rows}, self._items)
        self._fill(Location, "code", {row.values.location for row in rows}, self._locations)
        resolved = []
        for row in rows:
            item = self._items[row.values.sku]
            location = self._locations[row.values.location]
            if item is None:
                result.errors.append((row, RowInvalid("sku", f"Unknown SKU {row.values.sku}.")))
            elif location is None:
                message = f"Unknown location {row.values.location}."
                result.errors.append((row, RowInvalid("location", message)))
            else:
                resolved.append((row, item, location))
        return resolved

    def location_active(self, code: str) -> bool:
        return self._locations[code][1]

    def unknown_locations(self, rows: list[CsvRow]) -> set[str]:
        """Location codes of `rows` with a known SKU that name no location (yet)."""
        self._fill(Item, "sku", {row.values.sku for row in rows}, self._items)
        self._fill(Location, "code", {row.values.location for row in rows}, self._locations)
        return {
            row.values.location
            for row in rows
            if self._locations[row.values.location] is None
            and self._items[row.values.sku] is not None
        }

    def add_locations(self, found: dict[str, tuple[int, bool]]) -> None:
        self._locations.update(found)


class StockCountImporter(CsvImporter):
    label = "stock counts"
    written_models = (StockRecord, StockMovement, Location)
    required_columns = ("sku", "location", "quantity")
    optional_columns = ("lot", "expires_at", "last_counted_at")

    def __init__(
        self,
        *,
        performed_by=None,
        source: MovementSource = MovementSource.IMPORT,
        reason: str = "CSV stock count import",
        create_locations: bool = False,
    ) -> None:
        self.create_locations = create_locations
        self.created_locations: set[str] = set()
        self.performed_by_id = (
            performed_by.pk if getattr(performed_by, "is_authenticated", False) else None
        )
        self.source = source
        self.reason = reason
        self.request_id = get_request_id()
        # What each ledger row stores for the source, worked out once instead of once a row.
        self._source_value = source.value if hasattr(source, "value") else source
        self._resolver = ItemLocationResolver()
        # A dry run creates no location: its new codes get negative stand-in ids, one counter for
        # the whole file so that codes first seen in different batches never share one.
        self._stand_in_ids = itertools.count(-1, -1)
        self._changed_share = 0.0  # of the rows of the last batch
        # Clocks of the devices that counted may run a little ahead of ours.
        self._latest_count = timezone.now() + CLOCK_SKEW

    def clean_row(self, raw: dict[str, str]) -> StockCountRow:
        sku, location, quantity = raw["sku"], raw["location"], raw["quantity"]
        lot = raw.get("lot", "")
        if not sku:
            raise RowInvalid("sku", "sku is required.")
        if not location:
            raise RowInvalid("location", "location is required.")
        if not quantity:
            raise RowInvalid("quantity", "quantity is required.")
        # Length checks are inlined: this runs once a row of files with a million rows.
        if len(sku) > SKU_MAX_LENGTH:
            check_length(sku, field="sku", limit=SKU_MAX_LENGTH)
        if len(location) > LOCATION_CODE_MAX_LENGTH:
            check_length(location, field="location", limit=LOCATION_CODE_MAX_LENGTH)
        if len(lot) > LOT_MAX_LENGTH:
            check_length(lot, field="lot", limit=LOT_MAX_LENGTH)
        if lot and (problem := lot_problem(lot)):
            raise RowInvalid("lot", problem)
        expires_at = raw.get("expires_at")
        counted_at = raw.get("last_counted_at")
        counted = None
        if counted_at:
            counted = parse_iso_datetime(counted_at, field="last_counted_at")
            if counted > self._latest_count:
                raise RowInvalid("last_counted_at", "last_counted_at is in the future.")
        if "," in quantity:
            quantity = decimal_text(quantity, decimal_comma=self.decimal_comma, field="quantity")
        try:
            counted_quantity = Decimal(quantity)
        except InvalidOperation:
            raise RowInvalid("quantity", f"quantity must be a number, not {quantity!r}.") from None
        # A negative quantity is refused later (`negative_count_refused`), against the record.
        refusal = quantity_refusal(counted_quantity, field="quantity")
        if refusal is not None:
            raise RowInvalid("quantity", refusal.message)
        return StockCountRow(
            sku,
            location,
            lot,
            counted_quantity,
            parse_iso_date(expires_at, field="expires_at") if expires_at else None,
            counted,
        )

    def row_key(self, values: StockCountRow) -> tuple:
        return values.sku, values.location, values.lot

    def describe_key(self, values: StockCountRow) -> str:
        lot = f" lot {values.lot}" if values.lot else ""
        return f"{values.sku} at {values.location}{lot}"

    def _existing(self, keys: set[tuple], *, lock: bool) -> dict[tuple, _Record]:
        if not keys:
            return {}
        queryset = StockRecord.objects.filter(
            item_id__in={k[0] for k in keys},
            location_id__in={k[1] for k in keys},
            lot__in={k[2] for k in keys},
        )
        if lock:
            queryset = queryset.select_for_update().order_by("pk")
        # Reading a timestamp costs more than the rest of the row: only when the file has them.
        with_counted = "last_counted_at" in self.columns
        columns = ["pk", "item_id", "location_id", "lot", "quantity", "expires_at"]
        found = {}
        rows = queryset.values_list(*columns, *(["last_counted_at"] if with_counted else []))
        for pk, item_id, location_id, lot, quantity, expires_at, *counted in bulk.fetch_rows(rows):
            key = (item_id, location_id, lot)
            if key in keys:
                found[key] = _Record(pk, quantity, expires_at, counted[0] if counted else None)
        return found

    def _add_new_locations(self, rows: list[CsvRow], result: BatchResult, *, write: bool):
        """Create the locations the rows name that do not exist yet.

        Only those a row would put stock in (a known SKU, a count that is not negative). A code
        no new location may have makes its rows errors; the other rows are returned.
        """
        unknown = self._resolver.unknown_locations(
            [r for r in rows if not negative_count_refused(r.values.quantity)]
        )
        if not unknown:
            return rows
        invalid: dict[str, RowInvalid] = {}
        for code in unknown:
            try:
                validate_new_location_code(code)
            except ServiceError as error:
                invalid[code] = RowInvalid("location", error.message)
        valid = unknown - invalid.keys()
        if write:
            found, created = locations_create_missing(codes=valid)
        else:
            found = {code: (next(self._stand_in_ids), True) for code in sorted(valid)}
            created = valid
        self._resolver.add_locations(found)
        self.created_locations.update(created)
        if not invalid:
            return rows
        kept = []
        for row in rows:
            if row.values.location in invalid:
                result.errors.append((row, invalid[row.values.location]))
            else:
                kept.append(row)
        return kept

    def apply_batch(self, rows: list[CsvRow], *, write: bool) -> BatchResult:
        result = BatchResult()
        if self.create_locations:
            rows = self._add_new_locations(rows, result, write=write)
        known = [
            (row, (item[0], location[0], row.values.lot), location[1])
            for row, item, location in self._resolver.resolve(rows, result)
        ]
        now = timezone.now()
        # Most rows of a recount match what is stored and need no lock (locking writes to
        # every row), so records are read without locks and those that differ are read again
        # under lock, in primary-key order, and compared with what is locked: no change is made
        # from an unlocked read, and an unchanged row changes nothing whenever it is read.
        # When the last batch mostly changed, this one is read under lock at once.
        lock_first = write and self._changed_share > 0.5
        existing = self._existing({key for _row, key, _active in known}, lock=lock_first)
        movements: list[LedgerRow] = []
        updates: list[tuple] = []
        missing: list[tuple[CsvRow, tuple, bool]] = []
        changing: list[tuple[CsvRow, tuple, bool]] = []
        for entry in known:
            record = existing.get(entry[1])
            if record is None:
                missing.append(entry)
            elif write and not lock_first and _differs(entry[0].values, record):
                changing.append(entry)
            else:
                self._compare(entry, record, now, result, updates, movements)
        if changing:
            locked = self._existing({key for _row, key, _active in changing}, lock=True)
            for entry in changing:
                self._compare(entry, locked[entry[1]], now, result, updates, movements)
        if known:
            self._changed_share = (result.updated + len(missing)) / len(known)
        insertable = []
        for row, key, location_active in missing:
            # A new record holds nothing yet: the count is its whole delta.
            if negative_count_refused(row.values.quantity):
                result.errors.append((row, _NEGATIVE_COUNT))
            elif enters_inactive_location(row.values.quantity, location_active):
                result.errors.append((row, _inactive(row.values.location)))
            else:
                insertable.append((row, key))
        result.inserted = len(insertable)
        if not write:
            return result
        # New records are inserted with their counted quantity; one that someone else created
        # since we looked is not ours to overwrite: it is read again under lock and compared.
        inserted = {
            tuple(key): pk
            for pk, *key in bulk.insert_returning(
                StockRecord,
                [
                    "item",
                    "location",
                    "lot",
                    "quantity",
                    "expires_at",
                    "last_counted_at",
                    "created_at",
                    "updated_at",
                ],
                [
                    (
                        *key,
                        row.values.quantity,
                        row.values.expires_at,
                        row.values.last_counted_at or now,
                        now,
                        now,
                    )
                    for row, key in insertable
                ],
                conflict=["item", "location", "lot"],
                returning=["pk", "item", "location", "lot"],
            )
        }
        raced = [(row, key) for row, key in insertable if key not in inserted]
        for row, key in insertable:
            if key in inserted:
                movements.append(
                    self._movement(
                        inserted[key], key, row.values.quantity, row.values.quantity, now
                    )
                )
        if raced:
            result.inserted -= len(raced)
            locked = self._existing({key for _row, key in raced}, lock=True)
            for row, key in raced:
                active = self._resolver.location_active(row.values.location)
                self._compare((row, key, active), locked[key], now, result, updates, movements)
        bulk.update_rows(
            StockRecord, ["quantity", "expires_at", "last_counted_at", "updated_at"], updates
        )
        bulk.insert_rows(StockMovement, LedgerRow._fields, movements)
        return result

    def _compare(self, entry, record: _Record, now, result, updates, movements) -> None:
        """Classify one row against its (locked) record; queue the writes it needs."""
        row, key, location_active = entry
        values: StockCountRow = row.values
        delta = values.quantity - record.quantity
        if negative_count_refused(values.quantity, record.quantity):
            result.errors.append((row, _NEGATIVE_COUNT))
            return
        if enters_inactive_location(delta, location_active):
            result.errors.append((row, _inactive(values.location)))
            return
        expires_at = record.expires_at if values.expires_at is None else values.expires_at
        counted = values.last_counted_at
        if (
            not delta
            and expires_at == record.expires_at
            and (counted is None or counted == record.last_counted_at)
        ):
            result.unchanged += 1
            return
        result.updated += 1
        updates.append((record.pk, values.quantity, expires_at, counted or now, now))
        if delta:
            movements.append(self._movement(record.pk, key, delta, values.quantity, now))

    def _movement(self, record_id: int, key: tuple, delta, after, now) -> LedgerRow:
        item_id, location_id, lot = key
        return LedgerRow(
            stock_record_id=record_id,
            item_id=item_id,
            location_id=location_id,
            lot=lot,
            kind=_COUNT_KIND,
            quantity_delta=delta,
            quantity_after=after,
            created_at=now,
            created_by_id=self.performed_by_id,
            reason=self.reason,
            request_id=self.request_id,
            source=self._source_value,
        )

    def finish(self) -> None:
        cache.invalidate(groups=[STOCK_GROUP])

    def report_extra(self, report: ImportReport) -> dict[str, list[str]]:
        # An atomic import with bad rows keeps nothing, the new locations included.
        kept = not (report.atomic and report.error_count)
        return {"created_locations": sorted(self.created_locations) if kept else []}


def _differs(values: StockCountRow, record: _Record) -> bool:
    return (
        values.quantity != record.quantity
        or (values.expires_at is not None and values.expires_at != record.expires_at)
        or (values.last_counted_at is not None and values.last_counted_at != record.last_counted_at)
    )


_NEGATIVE_COUNT = RowInvalid("quantity", "quantity cannot be negative.")


def _inactive(code: str) -> RowInvalid:
    return RowInvalid(
        "location", f"Location {code} is inactive; stock can leave it but not enter it."
    )


def export_stock_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The rows of the stock export of `queryset`, in `STOCK_CSV_COLUMNS` order."""
    return queryset.values_list(
        "item__sku", "location__code", "quantity", "lot", "expires_at", "last_counted_at"
    ).iterator(chunk_size=2000)


def export_stock_lines(queryset: QuerySet) -> Iterator[str]:
    """The inventory CSV of `queryset` (stock records), a line at a time, in the import format."""
    return csv_lines(STOCK_CSV_COLUMNS, export_stock_rows(queryset))


def import_stock_counts_csv(
    *,
    csv_file,
    performed_by=None,
    source: MovementSource = MovementSource.IMPORT,
    dry_run: bool = False,
    atomic: bool = False,
    **options,
) -> ImportReport:
    """Apply the stock counts of a CSV stream; see `inventory_project.csvio.engine.import_csv`.

    A location code the system has not seen is created (`data.created_locations`) when
    `IMPORT_CREATE_LOCATIONS` is on and the importer may create locations (a command's operator,
    or a role with `LOCATION_CREATE_PERMISSION`); otherwise its rows are refused.
    """
    create_locations = settings.IMPORT_CREATE_LOCATIONS and (
        performed_by is None or role_allows(performed_by, LOCATION_CREATE_PERMISSION)
    )
    importer = StockCountImporter(
        performed_by=performed_by, source=source, create_locations=create_locations
    )
    return import_csv(importer, csv_file, dry_run=dry_run, atomic=atomic, **options)
