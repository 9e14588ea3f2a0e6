"""Reads of the item master."""

from django.db.models import QuerySet

from inventory_project.api.columns import Columns
from inventory_project.service_errors import NotFoundError
from items.error_codes import ItemErrorCode
from items.models import Item

ITEM_COLUMNS = Columns(
    id="id",
    sku="sku",
    name="name",
    category="category",
    uom="uom",
    reorder_min="reorder_min",
    reorder_max="reorder_max",
    par_level="par_level",
    active="active",
    created_at="created_at",
    updated_at="updated_at",
)


def item_queryset() -> QuerySet[Item]:
    """All items, ordered by name (the wire contract's order), with the id as tie-break."""
    return Item.objects.order_by("name", "id")


def item_get(*, sku: str) -> Item:
    if "\x00" in sku:  # PostgreSQL refuses NUL in a query; no SKU can contain one anyway.
        raise NotFoundError("Item not found", code=ItemErrorCode.NOT_FOUND)
    try:
        return Item.objects.get(sku=sku)
    except Item.DoesNotExist:
        raise NotFoundError("Item not found", code=ItemErrorCode.NOT_FOUND) from None


def item_row(*, item_id: int) -> dict:
    return ITEM_COLUMNS.one(Item.objects.filter(pk=item_id))
