"""Reads of stock on hand, the ledger and the inventory summary."""

import functools
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.error_codes import StockErrorCode
from inventory.models import Location, StockMovement, StockRecord
from inventory_project.api.columns import Columns
from inventory_project.service_errors import NotFoundError
from items.models import QUANTITY_PLACES, Item

QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_PLACES)

STOCK_COLUMNS = Columns(
    id="id",
    sku="item__sku",
    location="location__code",
    quantity="quantity",
    lot="lot",
    expires_at="expires_at",
    last_counted_at="last_counted_at",
    created_at="created_at",
    updated_at="updated_at",
    item_name="item__name",
    category="item__category",
    uom="item__uom",
    par_level="item__par_level",
)

MOVEMENT_COLUMNS = Columns(
    id="id",
    sku="item__sku",
    location="location__code",
    lot="lot",
    kind="kind",
    quantity_delta="quantity_delta",
    quantity_after="quantity_after",
    created_at="created_at",
    created_by="created_by__email",
    reason="reason",
    source="source",
    request_id="request_id",
    transfer_id="transfer_id",
    reverses="reverses_id",
)

LOCATION_COLUMNS = Columns(
    id="id", code="code", name="name", active="active", created_at="created_at"
)


def stock_queryset() -> QuerySet[StockRecord]:
    return StockRecord.objects.order_by("item__name", "location__code", "lot", "id")


def stock_row(*, record_id: int) -> dict:
    return STOCK_COLUMNS.one(StockRecord.objects.filter(pk=record_id))


def change_rows(movement: StockMovement) -> dict:
    """The answer of a stock operation: its ledger row and the record it changed.

    As the list routes show them, from the objects the operation wrote (no query).
    """
    return {
        "movement": MOVEMENT_COLUMNS.of(movement),
        "stock": STOCK_COLUMNS.of(movement.stock_record),
    }


def batch_result(lines, *, atomic: bool) -> dict:
    """The answer of a batch (`services.stock_batch`), from the rows it wrote (no query)."""
    results, stock = [], {}
    for line in lines:
        if line.movement is not None:
            results.append(
                {
                    "index": line.index,
                    "status": "applied",
                    "movement": change_rows(line.movement)["movement"],
                }
            )
            stock[line.movement.stock_record_id] = line.movement.stock_record
        else:
            refusal = line.refusal
            results.append(
                {
                    "index": line.index,
                    "status": "refused",
                    "code": refusal.code,
                    "error": refusal.message,
                    "field": refusal.field,
                }
            )
    return {
        "atomic": atomic,
        "applied": sum(1 for r in results if r["status"] == "applied"),
        "refused": sum(1 for r in results if r["status"] == "refused"),
        "results": results,
        "stock": [STOCK_COLUMNS.of(record) for record in stock.values()],
    }


def movement_queryset() -> QuerySet[StockMovement]:
    return StockMovement.objects.order_by("-created_at", "-id")


def movement_row(*, movement_id: int) -> dict:
    return MOVEMENT_COLUMNS.one(StockMovement.objects.filter(pk=movement_id))


def _columns_and_converters(model, alias: str) -> tuple[list[str], list]:
    """The SELECT list of `model`'s columns under `alias`, and each column's converters."""
    fields = model._meta.concrete_fields
    columns = [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
    converters = [
        (f, connection.ops.get_db_converters(f.get_col(alias)) + f.get_db_converters(connection))
        for f in fields
    ]
    return columns, converters


def _instance(model, converters, values):
    """A model instance from one row's values, converted as the ORM would convert them."""
    converted = []
    for (field, functions), value in zip(converters, values, strict=True):
        for convert in functions:
            value = convert(value, field.get_col(""), connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f, _ in converters], converted)


@functools.cache
def _item_and_location_query(vendor: str) -> tuple[str, list, list]:
    item_columns, item_converters = _columns_and_converters(Item, "i")
    location_columns, location_converters = _columns_and_converters(Location, "l")
    sql = (
        f"SELECT {', '.join(item_columns + location_columns)} "
        f"FROM {connection.ops.quote_name(Item._meta.db_table)} i "
        f"LEFT JOIN {connection.ops.quote_name(Location._meta.db_table)} l ON l.code = %s "
        "WHERE i.sku = %s"
    )
    return sql, item_converters, location_converters


def item_and_location(*, sku: str, code: str) -> tuple[Item | None, Location | None]:
    """The item of `sku` and the location of `code`, in one query (a stock operation's two).

    None for either that does not exist (when the item does not, neither is read). Plain SQL:
    the ORM's compilation of a join it has no relation for would cost more than the query.
    """
    sql, item_converters, location_converters = _item_and_location_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code, sku])
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = len(item_converters)
    item = _instance(Item, item_converters, row[:split])
    if row[split] is None:  # no location of that code
        return item, None
    return item, _instance(Location, location_converters, row[split:])


def location_queryset() -> QuerySet[Location]:
    return Location.objects.order_by("code", "id")


def _location_not_found(code: str) -> NotFoundError:
    return NotFoundError(f"Location {code} not found", code=StockErrorCode.LOCATION_NOT_FOUND)


def location_get(*, code: str) -> Location:
    try:
        if "\x00" in code:  # PostgreSQL refuses NUL in a query; no code can contain one.
            raise Location.DoesNotExist
        return Location.objects.get(code=code)
    except Location.DoesNotExist:
        raise _location_not_found(code) from None


def location_row(*, code: str) -> dict:
    """One location as the API shows it, in one query."""
    row = None if "\x00" in code else LOCATION_COLUMNS.one(location_queryset().filter(code=code))
    if row is None:
        raise _location_not_found(code)
    return row


def stock_take_records(*, location: Location) -> QuerySet[StockRecord]:
    """A location's stock records in the order of a count sheet, with their items: one query."""
    return (
        StockRecord.objects.filter(location=location)
        .select_related("item")
        .order_by("item__name", "item__sku", "lot", "pk")
    )


def lots_on_hand(*, item_id: int, location_id: int) -> list[tuple[str, Decimal]]:
    """The lots of an item at a location that have stock, as (lot, quantity), by lot."""
    return list(
        StockRecord.objects.filter(item_id=item_id, location_id=location_id, quantity__gt=0)
        .exclude(lot="")
        .order_by("lot")
        .values_list("lot", "quantity")
    )


def on_hand_by_item(item: str = "pk") -> Coalesce:
    """An item's total quantity on hand, over all its locations and lots; 0 without stock.

    An expression to annotate a queryset with, computed in that query (one correlated subquery,
    no query per row): `item` names the item's id in the outer query, "pk" on items and, for
    example, "item_id" on rows that point at an item.
    """
    total = (
        StockRecord.objects.filter(item=OuterRef(item))
        .order_by()
        .values("item")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(total), Decimal(0))


def out_of_stock_items() -> Q:
    """Items (annotated with `on_hand`) with nothing on hand: no record, or records adding to 0."""
    return Q(on_hand__lte=0)


def below_par_items() -> Q:
    """Items (annotated with `on_hand`) with some stock, but less than their par level."""
    return Q(on_hand__gt=0, on_hand__lt=F("par_level"))


def expired_lots(today: date) -> Q:
    """Stock records with stock on hand past its expiry date."""
    return Q(quantity__gt=0, expires_at__lt=today)


def expiring_lots(today: date, *, days: int | None = None) -> Q:
    """Stock records with stock on hand expiring from today to `days` (EXPIRY_WARNING_DAYS) on."""
    days = settings.EXPIRY_WARNING_DAYS if days is None else days
    return Q(quantity__gt=0, expires_at__gte=today, expires_at__lte=today + timedelta(days=days))


def low_stock_items() -> QuerySet[Item]:
    """Active items whose total on hand is below par, or that have no stock at all.

    "No stock at all" is nothing on hand: no stock record, or records that add up to zero or less.
    """
    return (
        Item.objects.filter(active=True)
        .annotate(on_hand=on_hand_by_item())
        .filter(out_of_stock_items() | Q(on_hand__lt=F("par_level")))
    )


def inventory_summary() -> dict:
    """The summary: counts over the whole inventory, and the moment they were taken."""
    totals = StockRecord.objects.aggregate(
        total_quantity=Coalesce(Sum("quantity"), Decimal(0)),
    )
    return {
        "total_items": Item.objects.filter(active=True).count(),
        # SQLite sums decimals as floats (46.4 comes back 46.3999...); PostgreSQL is exact.
        "total_quantity": totals["total_quantity"].quantize(QUANTITY_STEP),
        "total_locations": StockRecord.objects.values("location_id").distinct().count(),
        "low_stock_count": low_stock_items().count(),
        "timestamp": timezone.now(),
    }
