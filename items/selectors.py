"""Reads of the item master."""

from django.db.models import QuerySet

from inventory_project.api.columns import Columns
from inventory_project.service_errors import NotFoundError
from items.error_codes import ItemErrorCode
from items.fields import OUTPUT_FIELDS
from items.models import Item

# A row of the item routes: every column of the model, read straight from the database.
ITEM_COLUMNS = Columns(**{name: name for name in OUTPUT_FIELDS})


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
