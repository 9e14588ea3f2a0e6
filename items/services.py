"""Writes to the item master. The API, the admin, imports and commands all call these."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from inventory_project.codes import code_problem
from inventory_project.http import response_cache as cache
from inventory_project.service_errors import ConflictError, ServiceError
from inventory_project.text_length import check_length
from items.cached_responses import ITEMS_GROUP
from items.error_codes import ItemErrorCode
from items.models import SKU_MAX_LENGTH, Item

# Fields a caller may change after creation; the SKU is the item's identity and stays.
ITEM_EDITABLE_FIELDS = (
    "name",
    "category",
    "uom",
    "reorder_min",
    "reorder_max",
    "par_level",
    "active",
)


# /api/items/import, /api/items/export and /api/forecasts/runs are routes: no item may be
# addressed by these.
RESERVED_SKUS = frozenset({"import", "export", "runs"})


def normalize_sku(raw: str) -> str:
    """Strip surrounding blanks; refuse a blank SKU or one longer than the column.

    Enough to look an item up; a SKU for a new item must also pass `validate_new_sku`.
    """
    sku = (raw or "").strip()
    if not sku:
        raise ServiceError("SKU is required.", code=ItemErrorCode.INVALID_SKU, field="sku")
    if len(sku) > SKU_MAX_LENGTH:  # the test first: a CSV import runs this for every row
        check_length(
            sku, field="sku", limit=SKU_MAX_LENGTH, code=ItemErrorCode.INVALID_SKU, label="SKU"
        )
    return sku


def validate_new_sku(sku: str) -> None:
    """Refuse a SKU no new item may have: a route's name, or one that breaks the code rule.

    Items stored before the rule keep their SKUs (`inventory_project.codes`).
    """
    if sku in RESERVED_SKUS:
        raise ServiceError(
            f"{sku!r} is reserved (it names a route) and cannot be a SKU.",
            code=ItemErrorCode.INVALID_SKU,
            field="sku",
        )
    problem = code_problem(sku, label="SKU")
    if problem:
        raise ServiceError(problem, code=ItemErrorCode.INVALID_SKU, field="sku")


# Deactivating is the soft delete, and reactivating undoes it: both need the delete permission.
ACTIVATE_PERMISSION = "items.delete_item"

# Text fields and their limits, checked here so every door (API, admin, import, command) agrees.
TEXT_LIMITS = {"name": 200, "category": 100, "uom": 20}
LEVEL_FIELDS = ("reorder_min", "reorder_max", "par_level")


def _validate_fields(values: dict) -> None:
    if "name" in values and not (values["name"] or "").strip():
        raise ServiceError("name may not be blank.", code=ItemErrorCode.INVALID_FIELD, field="name")
    for field, limit in TEXT_LIMITS.items():
        check_length(
            values.get(field) or "", field=field, limit=limit, code=ItemErrorCode.INVALID_FIELD
        )
    for field in LEVEL_FIELDS:
        if field in values and values[field] < 0:
            raise ServiceError(
                f"{field} cannot be negative.", code=ItemErrorCode.INVALID_LEVELS, field=field
            )


def validate_reorder_levels(*, reorder_min: Decimal, reorder_max: Decimal) -> None:
    """`reorder_max` of 0 means "no maximum"; otherwise it may not be below `reorder_min`."""
    if reorder_max and reorder_min > reorder_max:
        raise ServiceError(
            "reorder_max must not be below reorder_min (0 means no maximum).",
            code=ItemErrorCode.INVALID_LEVELS,
            field="reorder_max",
        )


def item_create(
    *,
    sku: str,
    name: str,
    category: str = "",
    uom: str = "each",
    reorder_min: Decimal = Decimal(0),
    reorder_max: Decimal = Decimal(0),
    par_level: Decimal = Decimal(0),
    active: bool = True,
) -> Item:
    sku = normalize_sku(sku)
    validate_new_sku(sku)
    _validate_fields(
        {
            "name": name,
            "category": category,
            "uom": uom,
            "reorder_min": reorder_min,
            "reorder_max": reorder_max,
            "par_level": par_level,
        }
    )
    validate_reorder_levels(reorder_min=reorder_min, reorder_max=reorder_max)
    item = Item(
        sku=sku,
        name=name.strip(),
        category=category.strip(),
        uom=uom.strip() or "each",
        reorder_min=reorder_min,
        reorder_max=reorder_max,
        par_level=par_level,
        active=active,
    )
    try:
        # The unique index decides, not a lookup first: two concurrent creates cannot both win.
        with transaction.atomic():
            item.save(force_insert=True)
            cache.invalidate(groups=[ITEMS_GROUP])
    except IntegrityError:
        if Item.objects.filter(sku=sku).exists():
            raise ConflictError(
                f"Item with SKU {sku} already exists",
                code=ItemErrorCode.DUPLICATE_SKU,
                field="sku",
            ) from None
        raise
    return item


@transaction.atomic
def item_update(*, item: Item, data: dict) -> Item:
    """Change the given editable fields of an item; fields not in `data` keep their values."""
    unknown = set(data) - set(ITEM_EDITABLE_FIELDS) - {"sku"}
    if unknown:
        raise ServiceError(
            f"Unknown item field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    if "sku" in data and normalize_sku(data["sku"]) != item.sku:
        raise ServiceError(
            "The SKU of an existing item cannot be changed.",
            code=ItemErrorCode.SKU_IMMUTABLE,
            field="sku",
        )
    _validate_fields({k: v for k, v in data.items() if k in ITEM_EDITABLE_FIELDS})
    item = Item.objects.select_for_update().get(pk=item.pk)
    changed = []
    for field in ITEM_EDITABLE_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if isinstance(value, str):
            value = value.strip()
        if field == "uom" and not value:
            value = "each"
        if getattr(item, field) != value:
            setattr(item, field, value)
            changed.append(field)
    validate_reorder_levels(reorder_min=item.reorder_min, reorder_max=item.reorder_max)
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        cache.invalidate(groups=[ITEMS_GROUP])
    return item


def item_deactivate(*, item: Item) -> Item:
    """Soft delete: the item stays (the ledger refers to it) but is no longer active."""
    return item_update(item=item, data={"active": False})
