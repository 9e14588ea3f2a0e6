"""Every change of stock on hand, one function per operation.

Forecast demand is read from `issue` rows only, so the kind of a row says whether it was demand:
goods thrown away are `stock_waste` (never an issue), and an issue booked by mistake is undone by
`stock_issue_reverse`, an `issue` row with a positive delta that nets the original's demand.

Each operation runs in one transaction, locks the stock rows it changes (in primary-key order),
computes the new quantity from the locked row, and writes one ledger row per changed record with
who, when, why, the source it came through and the request id. The API views, the admin, CSV
imports and management commands all call these functions, so every source leaves the same ledger.

On PostgreSQL a receipt, issue, write-off or adjustment of a record that exists is one
`UPDATE ... RETURNING` (which takes the row lock, adds in SQL and keeps the rules in its WHERE)
and the ledger row's INSERT; anything else (a new record, a refusal to word) takes the full
path. `stock_batch` applies many operations set-based, in a few statements for all of them.
"""

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory import rules
from inventory.cached_responses import STOCK_GROUP
from inventory.error_codes import StockErrorCode
from inventory.locks import lock_stock_records
from inventory.models import (
    LOCATION_CODE_MAX_LENGTH,
    LOT_MAX_LENGTH,
    Location,
    MovementKind,
    MovementSource,
    StockMovement,
    StockRecord,
)
from inventory.selectors import lots_on_hand
from inventory_project import audit
from inventory_project.codes import code_problem, storable_text
from inventory_project.csvio import bulk
from inventory_project.http import response_cache as cache
from inventory_project.http.request_context import get_request_id
from inventory_project.service_errors import ConflictError, NotFoundError, ServiceError
from inventory_project.text_length import check_length, max_length
from inventory_project.transactions import atomic_step
from items.error_codes import ItemErrorCode
from items.models import MAX_QUANTITY, Item

REASON_MAX_LENGTH = max_length(StockMovement, "reason")


@dataclass(frozen=True)
class Transfer:
    """The two ledger rows of a transfer: out of the source record, into the destination."""

    outgoing: StockMovement
    incoming: StockMovement


# --- validation shared by the operations ---------------------------------------------------


def _as_quantity(value, *, field: str) -> Decimal:
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError(
            f"{field} must be a number.", code=StockErrorCode.INVALID_QUANTITY, field=field
        ) from None
    refusal = rules.quantity_refusal(quantity, field=field)
    if refusal is not None:
        raise ServiceError(refusal.message, code=refusal.code, field=field)
    return quantity


def _positive_quantity(value, *, field: str = "quantity") -> Decimal:
    quantity = _as_quantity(value, field=field)
    if quantity <= 0:
        raise ServiceError(
            f"{field} must be greater than zero.", code=StockErrorCode.INVALID_QUANTITY, field=field
        )
    return quantity


def _clean_lot(lot: str | None) -> str:
    lot = (lot or "").strip()
    check_length(lot, field="lot", limit=LOT_MAX_LENGTH, code=StockErrorCode.INVALID_LOT)
    if problem := rules.lot_problem(lot):
        raise ServiceError(problem, code=StockErrorCode.INVALID_LOT, field="lot")
    return lot


def _clean_reason(reason: str | None, *, required: bool = False) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError(
            "A reason is required for this change.",
            code=StockErrorCode.REASON_REQUIRED,
            field="reason",
        )
    return check_length(
        reason, field="reason", limit=REASON_MAX_LENGTH, code=StockErrorCode.REASON_REQUIRED
    )


# --- the core: lock, change, write the ledger row -------------------------------------------


def _record_id(*, item: Item, location: Location, lot: str) -> int:
    """Id of the stock record for item+location+lot, created at zero if it does not exist yet.

    get_or_create relies on the unique constraint, so two first receipts racing each other end
    on one record instead of two.
    """
    record, _created = StockRecord.objects.get_or_create(item=item, location=location, lot=lot)
    return record.pk


def _apply_change(
    record: StockRecord,
    *,
    delta: Decimal,
    kind: MovementKind,
    performed_by,
    source: MovementSource,
    reason: str,
    allow_negative: bool,
    counted: bool = False,
    expires_at: date | None = None,
    transfer_id: uuid.UUID | None = None,
    reverses: StockMovement | None = None,
) -> StockMovement:
    """Change a locked record by `delta` and append its ledger row, in the caller's transaction."""
    new_quantity = _checked_quantity(
        location=record.location,
        on_hand=record.quantity,
        delta=delta,
        allow_negative=allow_negative,
        location_field="to_location" if transfer_id else "location",
        insufficient=lambda: _insufficient_stock_message(record, requested=-delta, kind=kind),
    )
    now = timezone.now()
    record.quantity = new_quantity
    update_fields = ["quantity", "updated_at"]
    if counted:
        record.last_counted_at = now
        update_fields.append("last_counted_at")
    if expires_at is not None and expires_at != record.expires_at:
        record.expires_at = expires_at
        update_fields.append("expires_at")
    record.save(update_fields=update_fields)
    return _ledger_row(
        record,
        kind=kind,
        delta=delta,
        now=now,
        performed_by=performed_by,
        source=source,
        reason=reason,
        transfer_id=transfer_id,
        reverses=reverses,
    )


def _checked_quantity(
    *,
    location: Location,
    on_hand: Decimal,
    delta: Decimal,
    allow_negative: bool,
    location_field: str,
    insufficient: Callable[[], str],
) -> Decimal:
    """The quantity a change of `delta` leaves, or the refusal of the rules it breaks."""
    if rules.enters_inactive_location(delta, location.active):
        raise ServiceError(
            f"{location_field}: {location.code} is inactive; stock can leave it but not enter it.",
            code=StockErrorCode.LOCATION_INACTIVE,
            field=location_field,
        )
    new_quantity = on_hand + delta
    if rules.goes_below_zero(new_quantity, allow_negative):
        raise ServiceError(
            insufficient(),
            code=StockErrorCode.INSUFFICIENT_STOCK,
            field="quantity",
            status_code=409,
        )
    if rules.out_of_range(new_quantity):
        raise ServiceError(
            f"The resulting quantity {format_quantity(new_quantity)} is out of range.",
            code=StockErrorCode.QUANTITY_OUT_OF_RANGE,
            field="quantity",
        )
    return new_quantity


def _ledger_row(
    record: StockRecord,
    *,
    kind: MovementKind,
    delta: Decimal,
    now,
    performed_by,
    source: MovementSource,
    reason: str,
    transfer_id: uuid.UUID | None = None,
    reverses: StockMovement | None = None,
) -> StockMovement:
    """The ledger row of a change just written to `record` (whose quantity is the new one)."""
    cache.invalidate(groups=[STOCK_GROUP])
    # The record's item and location go in as objects, not ids: the answer of the operation
    # is read from the row in memory (`selectors.change_rows`), without a query.
    return StockMovement.objects.create(
        stock_record=record,
        item=record.item,
        location=record.location,
        lot=record.lot,
        kind=kind,
        quantity_delta=delta,
        quantity_after=record.quantity,
        created_at=now,
        created_by=performed_by if getattr(performed_by, "is_authenticated", False) else None,
        reason=reason,
        request_id=get_request_id(),
        source=source,
        transfer_id=transfer_id,
        reverses=reverses,
    )


def _change_in_place(
    *,
    item: Item,
    location: Location,
    lot: str,
    kind: MovementKind,
    delta: Decimal,
    allow_negative: bool,
    expires_at: date | None,
    performed_by,
    source: MovementSource,
    reason: str,
) -> StockMovement | None:
    """The change as one `UPDATE ... RETURNING` of an existing record, on PostgreSQL.

    The statement takes the row lock, adds `delta` in SQL and keeps the rules in its WHERE
    (the range, and no stock below zero unless allowed), so a change that passes them costs
    that statement and the ledger row. None when it changed nothing (no such record yet, or a
    rule would refuse it): the caller then takes the full path, which locks, creates or words
    the refusal. A location that may not be filled is left to that path at once.
    """
    if connection.vendor != "postgresql" or rules.enters_inactive_location(delta, location.active):
        return None
    table = connection.ops.quote_name(StockRecord._meta.db_table)
    locations = connection.ops.quote_name(Location._meta.db_table)
    with connection.cursor() as cursor:
        # Stock going in needs the location still active when the statement runs, not only
        # when it was looked up.
        cursor.execute(
            f"UPDATE {table} SET quantity = quantity + %s, updated_at = %s, "  # noqa: S608
            "expires_at = COALESCE(%s, expires_at) "
            "WHERE item_id = %s AND location_id = %s AND lot = %s "
            "AND quantity + %s BETWEEN %s AND %s "
            f"AND (%s <= 0 OR EXISTS (SELECT 1 FROM {locations} WHERE id = %s AND active)) "
            "RETURNING id, quantity, expires_at, last_counted_at, created_at, updated_at",
            [
                delta,
                timezone.now(),
                expires_at,
                item.pk,
                location.pk,
                lot,
                delta,
                -MAX_QUANTITY if allow_negative else Decimal(0),
                MAX_QUANTITY,
                delta,
                location.pk,
            ],
        )
        changed = cursor.fetchone()
    if changed is None:
        return None
    # The ledger row's time is read once the row lock is held (as the full path reads it), so
    # the ledger's times follow the order the changes were made in.
    now = timezone.now()
    record_id, quantity, expires_at, last_counted_at, created_at, updated_at = changed
    record = StockRecord(
        id=record_id,
        item=item,
        location=location,
        lot=lot,
        quantity=quantity,
        expires_at=expires_at,
        last_counted_at=last_counted_at,
        created_at=created_at,
        updated_at=updated_at,
    )
    record._state.adding = False
    return _ledger_row(
        record,
        kind=kind,
        delta=delta,
        now=now,
        performed_by=performed_by,
        source=source,
        reason=reason,
    )


# What the caller does with a lot it names, for the refusal that asks it to name one.
_NAME_A_LOT_TO = {
    MovementKind.ISSUE: "issue from",
    MovementKind.TRANSFER: "transfer from",
    MovementKind.ADJUSTMENT: "adjust",
    MovementKind.WASTE: "write off from",
}


def _insufficient_stock_message(record: StockRecord, *, requested: Decimal, kind: str) -> str:
    """Why a change would take `record` below zero, and the lots to take from instead.

    Stock received with a lot is only on the records of those lots: a change that names no lot
    takes from the record without one, which may hold nothing while the lots hold plenty.
    """
    where = f"{record.item.sku} at {record.location.code}"
    on_hand, asked = format_quantity(record.quantity), format_quantity(requested)
    lots = []
    if not record.lot:
        lots = lots_on_hand(item_id=record.item_id, location_id=record.location_id)
    if not lots:
        lot = f" lot {record.lot}" if record.lot else ""
        return f"Insufficient stock of {where}{lot}: {on_hand} on hand, {asked} requested."
    in_lots = ", ".join(f"{lot} ({format_quantity(quantity)})" for lot, quantity in lots)
    return (
        f"Insufficient stock of {where}: only {on_hand} on hand without a lot, {asked} requested;"
        f" on hand in lots: {in_lots}. Name a lot to {_NAME_A_LOT_TO.get(kind, 'take from')}."
    )


def format_quantity(quantity: Decimal) -> str:
    """A quantity as people write it: 2.5, not 2.500; 10, not 1E+1."""
    return format(quantity.normalize(), "f")


def _change_one(
    *,
    item: Item,
    location: Location,
    lot: str,
    kind: MovementKind,
    performed_by,
    source: MovementSource,
    reason: str,
    allow_negative: bool = False,
    delta: Decimal | None = None,
    counted_quantity: Decimal | None = None,
    expires_at: date | None = None,
) -> StockMovement:
    with atomic_step():
        if delta is not None:
            movement = _change_in_place(
                item=item,
                location=location,
                lot=lot,
                kind=kind,
                delta=delta,
                allow_negative=allow_negative,
                expires_at=expires_at,
                performed_by=performed_by,
                source=source,
                reason=reason,
            )
            if movement is not None:
                return movement
        record_id = _record_id(item=item, location=location, lot=lot)
        record = lock_stock_records(record_id)[record_id]
        if counted_quantity is not None:
            # The delta of a count is taken against the locked row, never a stale read.
            delta = counted_quantity - record.quantity
        return _apply_change(
            record,
            delta=delta,
            kind=kind,
            performed_by=performed_by,
            source=source,
            reason=reason,
            allow_negative=allow_negative,
            counted=counted_quantity is not None,
            expires_at=expires_at,
        )


# --- the operations -------------------------------------------------------------------------


def stock_receive(
    *,
    item: Item,
    location: Location,
    quantity: Decimal,
    lot: str = "",
    expires_at: date | None = None,
    performed_by=None,
    source: MovementSource = MovementSource.API,
    reason: str = "",
) -> StockMovement:
    """Goods arrive: add `quantity` to item+location+lot (creating the record if new)."""
    return _change_one(
        item=item,
        location=location,
        lot=_clean_lot(lot),
        kind=MovementKind.RECEIPT,
        delta=_positive_quantity(quantity),
        expires_at=expires_at,
        performed_by=performed_by,
        source=source,
        reason=_clean_reason(reason),
    )


def stock_issue(
    *,
    item: Item,
    location: Location,
    quantity: Decimal,
    lot: str = "",
    allow_negative: bool = False,
    performed_by=None,
    source: MovementSource = MovementSource.API,
    reason: str = "",
) -> StockMovement:
    """Goods are used or sold: take `quantity` away; refused beyond what is on hand."""
    return _change_one(
        item=item,
        location=location,
        lot=_clean_lot(lot),
        kind=MovementKind.ISSUE,
        delta=-_positive_quantity(quantity),
        allow_negative=allow_negative,
        performed_by=performed_by,
        source=source,
        reason=_clean_reason(reason),
    )


def stock_count(
    *,
    item: Item,
    location: Location,
    counted_quantity: Decimal,
    lot: str = "",
    expires_at: date | None = None,
    performed_by=None,
    source: MovementSource = MovementSource.API,
    reason: str = "",
    kind: MovementKind = MovementKind.COUNT,
) -> StockMovement:
    """A physical count: set the quantity to what was counted; the ledger row holds the delta.

    A count that confirms the quantity still writes a row (delta 0): it is evidence of the count
    and moves `last_counted_at`.
    """
    counted_quantity = _as_quantity(counted_quantity, field="counted_quantity")
    if rules.negative_count_refused(counted_quantity):
        raise ServiceError(
            "counted_quantity cannot be negative.",
            code=StockErrorCode.INVALID_QUANTITY,
            field="counted_quantity",
        )
    return _change_one(
        item=item,
        location=location,
        lot=_clean_lot(lot),
        kind=kind,
        counted_quantity=counted_quantity,
        expires_at=expires_at,
        performed_by=performed_by,
        source=source,
        reason=_clean_reason(reason),
    )


def stock_adjust(
    *,
    item: Item,
    location: Location,
    quantity_delta: Decimal,
    reason: str,
    lot: str = "",
    allow_negative: bool = False,
    performed_by=None,
    source: MovementSource = MovementSource.API,
) -> StockMovement:
    """A correction by a signed amount (waste, breakage, found stock); a reason is required."""
    delta = _as_quantity(quantity_delta, field="quantity_delta")
    if delta == 0:
        raise ServiceError(
            "quantity_delta must not be zero.",
            code=StockErrorCode.INVALID_QUANTITY,
            field="quantity_delta",
        )
    return _change_one(
        item=item,
        location=location,
        lot=_clean_lot(lot),
        kind=MovementKind.ADJUSTMENT,
        delta=delta,
        allow_negative=allow_negative,
        performed_by=performed_by,
        source=source,
        reason=_clean_reason(reason, required=True),
    )


def stock_waste(
    *,
    item: Item,
    location: Location,
    quantity: Decimal,
    reason: str,
    lot: str = "",
    allow_negative: bool = False,
    performed_by=None,
    source: MovementSource = MovementSource.API,
) -> StockMovement:
    """Goods are thrown away (spoiled, broken, expired): take `quantity` away; never demand.

    A reason is required, as for an adjustment.
    """
    return _change_one(
        item=item,
        location=location,
        lot=_clean_lot(lot),
        kind=MovementKind.WASTE,
        delta=-_positive_quantity(quantity),
        allow_negative=allow_negative,
        performed_by=performed_by,
        source=source,
        reason=_clean_reason(reason, required=True),
    )


def stock_issue_reverse(
    *,
    movement: StockMovement,
    reason: str,
    quantity: Decimal | None = None,
    performed_by=None,
    source: MovementSource = MovementSource.API,
) -> StockMovement:
    """Undo an issue booked by mistake: put `quantity` (all of it by default) back on its record.

    The ledger row is an `issue` with a positive delta linked to the original (`reverses`), so
    forecast demand nets it on the original's day. An issue is reversed at most once, by no more
    than it took; the original row is never touched.
    """
    if movement.kind != MovementKind.ISSUE or movement.quantity_delta >= 0:  # or a reversal
        raise ServiceError(
            f"Movement {movement.pk} is not an issue; only an issue can be reversed.",
            code=StockErrorCode.NOT_AN_ISSUE,
            field="movement_id",
        )
    issued = -movement.quantity_delta
    quantity = issued if quantity is None else _positive_quantity(quantity)
    if quantity > issued:
        raise ServiceError(
            f"Movement {movement.pk} issued {format_quantity(issued)}; "
            f"{format_quantity(quantity)} cannot be put back.",
            code=StockErrorCode.REVERSAL_TOO_LARGE,
            field="quantity",
        )
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        record = lock_stock_records(movement.stock_record_id)[movement.stock_record_id]
        try:
            # The unique `reverses` column, not a read before the write, keeps it to one reversal.
            with transaction.atomic():
                return _apply_change(
                    record,
                    delta=quantity,
                    kind=MovementKind.ISSUE,
                    performed_by=performed_by,
                    source=source,
                    reason=reason,
                    allow_negative=False,
                    reverses=movement,
                )
        except IntegrityError:
            if not StockMovement.objects.filter(reverses=movement).exists():
                raise
    raise ConflictError(
        f"Movement {movement.pk} has already been reversed.",
        code=StockErrorCode.ALREADY_REVERSED,
        field="movement_id",
    )


def stock_transfer(
    *,
    item: Item,
    from_location: Location,
    to_location: Location,
    quantity: Decimal,
    lot: str = "",
    performed_by=None,
    source: MovementSource = MovementSource.API,
    reason: str = "",
) -> Transfer:
    """Move `quantity` of one lot between two locations: two ledger rows sharing a transfer id."""
    if from_location.pk == to_location.pk:
        raise ServiceError(
            "Source and destination locations must differ.",
            code=StockErrorCode.SAME_LOCATION,
            field="to_location",
        )
    quantity = _positive_quantity(quantity)
    lot = _clean_lot(lot)
    reason = _clean_reason(reason)
    transfer_id = uuid.uuid4()
    with transaction.atomic():
        source_id = _record_id(item=item, location=from_location, lot=lot)
        destination_id = _record_id(item=item, location=to_location, lot=lot)
        records = lock_stock_records(source_id, destination_id)
        source_record, destination_record = records[source_id], records[destination_id]
        common = {
            "kind": MovementKind.TRANSFER,
            "performed_by": performed_by,
            "source": source,
            "reason": reason,
            "transfer_id": transfer_id,
        }
        outgoing = _apply_change(source_record, delta=-quantity, allow_negative=False, **common)
        incoming = _apply_change(
            destination_record,
            delta=quantity,
            allow_negative=False,
            expires_at=source_record.expires_at,
            **common,
        )
    return Transfer(outgoing=outgoing, incoming=incoming)


# --- locations ------------------------------------------------------------------------------


# Creating a location, from any source (the admin, the API, a stock import naming a new code).
LOCATION_CREATE_PERMISSION = "inventory.add_location"


def validate_new_location_code(code: str) -> None:
    """Refuse a code no new location may have (locations stored before the rule keep theirs)."""
    if not code or len(code) > LOCATION_CODE_MAX_LENGTH:
        raise ServiceError(
            f"Location code is required, at most {LOCATION_CODE_MAX_LENGTH} characters, "
            "without '/' or control characters.",
            code=StockErrorCode.INVALID_LOCATION,
            field="code",
        )
    problem = code_problem(code, label="Location code")
    if problem:
        raise ServiceError(problem, code=StockErrorCode.INVALID_LOCATION, field="code")


def location_create(*, code: str, name: str = "", active: bool = True) -> Location:
    code = (code or "").strip()
    validate_new_location_code(code)
    location = Location(code=code, name=(name or "").strip(), active=active)
    try:
        with transaction.atomic():
            location.save(force_insert=True)
    except IntegrityError:
        if Location.objects.filter(code=code).exists():
            raise ConflictError(
                f"Location {code} already exists",
                code=StockErrorCode.DUPLICATE_LOCATION,
                field="code",
            ) from None
        raise
    return location


def locations_create_missing(
    *, codes: Collection[str]
) -> tuple[dict[str, tuple[int, bool]], list[str]]:
    """Make sure a location exists for each of `codes`, in the caller's transaction.

    `codes` have passed `validate_new_location_code`. Answers ({code: (id, active)}, the codes
    this call created, sorted). One INSERT ... ON CONFLICT DO NOTHING for all of them: a code
    another transaction creates at the same moment is not an error; it is read back, and not
    counted as created here. Created locations get their audit entries, as one made in the
    admin or the API would.
    """
    if not codes:
        return {}, []
    now = timezone.now()
    inserted = bulk.insert_returning(
        Location,
        ["code", "name", "active", "created_at"],
        [(code, "", True, now) for code in sorted(codes)],
        conflict=["code"],
        returning=["code", "pk"],
    )
    created = dict(inserted)
    audit.record_bulk_changes(
        Location,
        "create",
        (
            audit.BulkChange(
                pk,
                code,
                {
                    "id": (None, pk),
                    "code": (None, code),
                    "name": (None, ""),
                    "active": (None, True),
                },
            )
            for code, pk in created.items()
        ),
    )
    found = {code: (pk, True) for code, pk in created.items()}
    others = [code for code in codes if code not in created]
    if others:
        rows = Location.objects.filter(code__in=others).values_list("code", "pk", "active")
        found.update((code, (pk, active)) for code, pk, active in rows)
    return found, sorted(created)


@transaction.atomic
def location_update(
    *, location: Location, name: str | None = None, active: bool | None = None
) -> Location:
    """Rename or (de)activate a location; its code is its identity and never changes."""
    location = Location.objects.select_for_update().get(pk=location.pk)
    changed = []
    if name is not None and name.strip() != location.name:
        location.name = check_length(
            name.strip(),
            field="name",
            limit=max_length(Location, "name"),
            code=StockErrorCode.INVALID_LOCATION,
        )
        changed.append("name")
    if active is not None and active != location.active:
        location.active = active
        changed.append("active")
    if changed:
        location.save(update_fields=changed)
    return location


@transaction.atomic
def stock_record_set_expiry(*, record: StockRecord, expires_at: date | None) -> StockRecord:
    """Change the expiry date of a lot; quantities are untouched, so no ledger row."""
    record = lock_stock_records(record.pk)[record.pk]
    record.expires_at = expires_at
    record.save(update_fields=["expires_at", "updated_at"])
    cache.invalidate(groups=[STOCK_GROUP])
    return record


# --- many operations in one request ----------------------------------------------------------

BATCH_MAX_OPERATIONS = 1000
# What each operation of a batch does: the kind of its ledger row, and the sign of its quantity.
BATCH_KINDS = {
    "receive": (MovementKind.RECEIPT, 1),
    "issue": (MovementKind.ISSUE, -1),
    "waste": (MovementKind.WASTE, -1),
}


@dataclass(frozen=True)
class BatchOperation:
    """One line of a batch, its values as the caller sent them.

    The service checks each: a value of the wrong type is that line's refusal, not the batch's.
    """

    operation: object = None
    sku: object = None
    location: object = None
    quantity: object = None
    lot: object = ""
    expires_at: object = None
    reason: object = ""
    allow_negative: object = False


@dataclass
class BatchLine:
    """What became of one operation: its ledger row, or the refusal."""

    index: int
    movement: StockMovement | None = None
    refusal: ServiceError | None = None


class BatchRefused(ServiceError):
    """An all-or-nothing batch with a refused operation: nothing was done."""

    def __init__(self, lines: list[BatchLine]) -> None:
        refused = [line for line in lines if line.refusal is not None]
        first = refused[0]
        super().__init__(
            f"{len(refused)} of {len(lines)} operations refused, nothing done; operations"
            f"[{first.index}]: {first.refusal.message}",
            code="batch_refused",
            status_code=first.refusal.status_code,
            details={
                f"operations[{line.index}]"
                + (f".{line.refusal.field}" if line.refusal.field else ""): [line.refusal.message]
                for line in refused
            },
        )
        self.lines = lines


class _BatchValues(NamedTuple):
    kind: MovementKind
    delta: Decimal
    sku: str
    location: str
    lot: str
    reason: str
    expires_at: date | None
    allow_negative: bool


def _batch_text(value, field: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not storable_text(value) or (required and not value.strip()):
        wanted = "a non-empty text" if required else "a text"
        raise ServiceError(
            f"{field} must be {wanted} (without NUL or lone surrogates).", field=field
        )
    return value.strip()


def _batch_values(operation: BatchOperation) -> _BatchValues:
    """The checked values of a line, or the `ServiceError` refusing it."""
    if not isinstance(operation.operation, str) or operation.operation not in BATCH_KINDS:
        raise ServiceError(
            f"operation must be one of: {', '.join(BATCH_KINDS)}.",
            code="invalid_operation",
            field="operation",
        )
    kind, sign = BATCH_KINDS[operation.operation]
    if isinstance(operation.quantity, bool | dict | list):
        raise ServiceError(
            "quantity must be a number.", code=StockErrorCode.INVALID_QUANTITY, field="quantity"
        )
    expires_at = operation.expires_at
    if expires_at is not None and not isinstance(expires_at, date):
        try:
            expires_at = date.fromisoformat(expires_at) if isinstance(expires_at, str) else None
        except ValueError:
            expires_at = None
        if expires_at is None:
            raise ServiceError("expires_at must be a date (YYYY-MM-DD).", field="expires_at")
    if not isinstance(operation.allow_negative, bool):
        raise ServiceError("allow_negative must be true or false.", field="allow_negative")
    return _BatchValues(
        kind=kind,
        delta=sign * _positive_quantity(operation.quantity),
        sku=_batch_text(operation.sku, "sku", required=True),
        location=_batch_text(operation.location, "location", required=True),
        lot=_clean_lot(_batch_text(operation.lot, "lot", required=False)),
        reason=_clean_reason(
            _batch_text(operation.reason, "reason", required=False),
            required=kind == MovementKind.WASTE,
        ),
        expires_at=expires_at,
        allow_negative=operation.allow_negative,
    )


def stock_batch(
    *,
    operations: list[BatchOperation],
    atomic: bool = True,
    performed_by=None,
    source: MovementSource = MovementSource.API,
) -> list[BatchLine]:
    """Receipts, issues and write-offs, many at once, applied in order as one operation each.

    Each line follows the rules of its single operation (`stock_receive`, `stock_issue`,
    `stock_waste`) against the stock the lines before it left, and writes one ledger row. With
    `atomic` a refused line refuses the batch (`BatchRefused`, nothing written); without, the
    refused lines are reported and the others done. Set-based: the SKUs and location codes are
    read in two queries, the records locked in one (in primary-key order, as every operation
    locks), missing ones made in one, and the changes written with one UPDATE and one INSERT.
    """
    if len(operations) > BATCH_MAX_OPERATIONS:
        raise ServiceError(
            f"A batch takes at most {BATCH_MAX_OPERATIONS} operations.",
            code="batch_too_large",
            field="operations",
        )
    lines = [BatchLine(index) for index in range(len(operations))]
    cleaned: dict[int, _BatchValues] = {}
    for line, operation in zip(lines, operations, strict=True):
        try:
            cleaned[line.index] = _batch_values(operation)
        except ServiceError as refusal:
            line.refusal = refusal
    with atomic_step():
        items = Item.objects.in_bulk({v.sku for v in cleaned.values()}, field_name="sku")
        locations = Location.objects.in_bulk(
            {v.location for v in cleaned.values()}, field_name="code"
        )
        keys: dict[int, tuple[Item, Location, str]] = {}
        for index, values in cleaned.items():
            item, location = items.get(values.sku), locations.get(values.location)
            if item is None:
                lines[index].refusal = NotFoundError(
                    f"Unknown SKU {values.sku}.", code=ItemErrorCode.NOT_FOUND, field="sku"
                )
            elif location is None:
                lines[index].refusal = NotFoundError(
                    f"Unknown location {values.location}.",
                    code=StockErrorCode.LOCATION_NOT_FOUND,
                    field="location",
                )
            else:
                keys[index] = (item, location, values.lot)
        # Every line is looked at, also when the batch is already refused: the refusal then
        # names all that is wrong with it, not only the first.
        records = _batch_records(keys, cleaned)
        now = timezone.now()
        created_by = performed_by if getattr(performed_by, "is_authenticated", False) else None
        request_id = get_request_id()
        changed: dict[int, StockRecord] = {}
        for index, (item, location, lot) in keys.items():
            values = cleaned[index]
            record = records.get((item.pk, location.pk, lot))
            try:
                new_quantity = _batch_checked(record, item, location, values)
            except ServiceError as refusal:
                lines[index].refusal = refusal
                continue
            record.quantity = new_quantity
            if values.expires_at is not None and values.delta > 0:
                record.expires_at = values.expires_at
            record.updated_at = now
            changed[record.pk] = record
            lines[index].movement = StockMovement(
                stock_record=record,
                item=item,
                location=location,
                lot=lot,
                kind=values.kind,
                quantity_delta=values.delta,
                quantity_after=new_quantity,
                created_at=now,
                created_by=created_by,
                reason=values.reason,
                request_id=request_id,
                source=source,
            )
        if atomic and any(line.refusal for line in lines):
            raise BatchRefused(lines)
        bulk.update_rows(
            StockRecord,
            ["quantity", "expires_at", "updated_at"],
            [(r.pk, r.quantity, r.expires_at, r.updated_at) for r in changed.values()],
        )
        StockMovement.objects.bulk_create([line.movement for line in lines if line.movement])
        if changed:
            cache.invalidate(groups=[STOCK_GROUP])
    return lines


def _batch_records(
    keys: dict[int, tuple[Item, Location, str]], cleaned: dict[int, _BatchValues]
) -> dict[tuple[int, int, str], StockRecord]:
    """The batch's stock records, locked; made first (at zero) where a line may put stock in."""
    now = timezone.now()
    to_make = {
        (item.pk, location.pk, lot): (item.pk, location.pk, lot, Decimal(0), now, now)
        for index, (item, location, lot) in keys.items()
        if (cleaned[index].delta > 0 and location.active) or cleaned[index].allow_negative
    }
    # Made before the lock, skipping any that exist (or that another transaction just made).
    bulk.insert_returning(
        StockRecord,
        ["item", "location", "lot", "quantity", "created_at", "updated_at"],
        list(to_make.values()),
        conflict=["item", "location", "lot"],
        returning=["pk"],
    )
    wanted = set()
    items_by_id: dict[int, Item] = {}
    locations_by_id: dict[int, Location] = {}
    for item, location, lot in keys.values():
        wanted.add((item.pk, location.pk, lot))
        items_by_id[item.pk], locations_by_id[location.pk] = item, location
    if not wanted:
        return {}
    found = {}
    # Every record of those items, locations and lots (a few more than asked, at most), in the
    # order every writer locks in.
    for record in (
        StockRecord.objects.select_for_update(of=("self",))
        .filter(
            item_id__in=items_by_id,
            location_id__in=locations_by_id,
            lot__in={key[2] for key in wanted},
        )
        .order_by("pk")
    ):
        key = (record.item_id, record.location_id, record.lot)
        if key in wanted:
            record.item, record.location = items_by_id[key[0]], locations_by_id[key[1]]
            found[key] = record
    return found


def _batch_checked(
    record: StockRecord | None, item: Item, location: Location, values: _BatchValues
) -> Decimal:
    """The quantity a line leaves on its record, or the refusal its single operation gives.

    A line without a record takes stock away (a record is made for every line that may put
    some in): there is none to take.
    """
    on_hand = record.quantity if record is not None else Decimal(0)
    where = f"{item.sku} at {location.code}" + (f" lot {values.lot}" if values.lot else "")
    return _checked_quantity(
        location=location,
        on_hand=on_hand,
        delta=values.delta,
        allow_negative=values.allow_negative and record is not None,
        location_field="location",
        insufficient=lambda: (
            f"Insufficient stock of {where}: {format_quantity(on_hand)} on hand, "
            f"{format_quantity(-values.delta)} requested."
        ),
    )
