"""Writes to the item master. The API, the admin, imports and commands all call these.

The rules of an item and its fields are written here once, as functions the set-based CSV
import (`items.item_csv`) calls too: `normalize_sku` and `validate_new_sku`, `FIELD_RULES` and
`clean_item_values` (each field's rule, read from its model field), `new_item_values` (the
fields of a new item, defaults filled in) and `item_changes` (what an update changes, which is
also what the audit trail records).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction

from inventory_project.codes import code_problem, control_character_problem
from inventory_project.http import response_cache as cache
from inventory_project.service_errors import ConflictError, ServiceError
from inventory_project.text_length import check_length
from items.cached_responses import ITEMS_GROUP
from items.error_codes import ItemErrorCode
from items.fields import (
    EDITABLE_FIELDS,
    IDENTITY_FIELD,
    NON_NEGATIVE_FIELDS,
    REQUIRED_FIELDS,
    STAMPED_ON_CHANGE,
    item_field,
    new_item_defaults,
)
from items.models import SKU_MAX_LENGTH, Item

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


# --- the rules of an item's fields, shared with the set-based CSV import (`items.item_csv`) ---


def _text_rule(field: models.CharField) -> Callable[[str], str]:
    name, limit = field.name, field.max_length
    required = not field.has_default()
    choices = frozenset(value for value, _label in field.flatchoices) if field.choices else None

    def clean(value: str) -> str:
        value = value or ""
        stripped = value.strip()
        if required and not stripped:
            raise ServiceError(
                f"{name} may not be blank.", code=ItemErrorCode.INVALID_FIELD, field=name
            )
        if len(value) > limit:  # the test first: a CSV import runs this for every cell
            check_length(value, field=name, limit=limit, code=ItemErrorCode.INVALID_FIELD)
        if problem := control_character_problem(value, label=name):
            raise ServiceError(problem, code=ItemErrorCode.INVALID_FIELD, field=name)
        # Blank takes the default: a unit of measure left empty is the model's "each".
        value = stripped or field.get_default()
        if choices is not None and value not in choices:
            raise ServiceError(
                f"{name} must be one of: {', '.join(sorted(map(str, choices)))}.",
                code=ItemErrorCode.INVALID_FIELD,
                field=name,
            )
        return value

    return clean


def _non_negative_rule(field: models.Field) -> Callable[[Decimal], Decimal]:
    name = field.name

    def clean(value: Decimal) -> Decimal:
        if value < 0:
            raise ServiceError(
                f"{name} cannot be negative.", code=ItemErrorCode.INVALID_LEVELS, field=name
            )
        return value

    return clean


def field_rule(field: models.Field) -> Callable[[Any], Any] | None:
    """How every source checks and stores a value of the item field `field`, from its model field.

    Text: not blank if the field has no default, at most its `max_length` (counted before blanks
    are stripped), stripped, blank taking the default, one of its `choices` if it has any.
    A field with a `MinValueValidator(0)`: not negative. None: the value is stored as given.
    """
    if isinstance(field, models.CharField):
        return _text_rule(field)
    if field.name in NON_NEGATIVE_FIELDS:
        return _non_negative_rule(field)
    return None


# The rule of each editable field that has one, in the model's field order.
FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    name: rule for name in EDITABLE_FIELDS if (rule := field_rule(item_field(name)))
}


def clean_item_values(values: dict) -> dict:
    """The editable fields among `values`, checked and as stored, in the model's field order."""
    clean = {}
    for name in EDITABLE_FIELDS:
        if name in values:
            rule = FIELD_RULES.get(name)
            clean[name] = values[name] if rule is None else rule(values[name])
    return clean


def validate_reorder_levels(*, reorder_min: Decimal, reorder_max: Decimal) -> None:
    """`reorder_max` of 0 means "no maximum"; otherwise it may not be below `reorder_min`."""
    if reorder_max and reorder_min > reorder_max:
        raise ServiceError(
            "reorder_max must not be below reorder_min (0 means no maximum).",
            code=ItemErrorCode.INVALID_LEVELS,
            field="reorder_max",
        )


def new_item_values(*, sku: str, values: dict) -> dict:
    """Every editable field of a new item with SKU `sku`, from the clean `values` it is given.

    Refuses a new item without a field that has no default (its name), a SKU no new item may
    have and reorder levels that contradict each other; the fields not given take the model's
    defaults. `sku` is normalized (`normalize_sku`) and `values` clean (`clean_item_values`).
    """
    for name in REQUIRED_FIELDS:
        if name not in values:
            raise ServiceError(
                f"{name} is required for a new item (SKU {sku}).",
                code=ItemErrorCode.INVALID_FIELD,
                field=name,
            )
    validate_new_sku(sku)
    merged = dict.fromkeys(EDITABLE_FIELDS)  # the model's field order
    merged.update(new_item_defaults())
    merged.update(values)
    validate_reorder_levels(reorder_min=merged["reorder_min"], reorder_max=merged["reorder_max"])
    return merged


def item_changes(item: Item, values: dict) -> dict[str, tuple[Any, Any]]:
    """(old, new) of each field the clean `values` change on `item`; the others are left out."""
    return {
        name: (old, value)
        for name, value in values.items()
        if (old := getattr(item, name)) != value
    }


def item_create(*, sku: str, **values: Any) -> Item:
    """Create an item from its SKU and editable fields (`items.fields.EDITABLE_FIELDS`).

    Fields not given take the model's defaults; the name has none, so it is required.
    """
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"item_create() got unexpected keyword arguments: {sorted(unknown)}")
    sku = normalize_sku(sku)
    item = Item(sku=sku, **new_item_values(sku=sku, values=clean_item_values(values)))
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
    unknown = set(data) - set(EDITABLE_FIELDS) - {IDENTITY_FIELD}
    if unknown:
        raise ServiceError(
            f"Unknown item field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    if IDENTITY_FIELD in data and normalize_sku(data[IDENTITY_FIELD]) != item.sku:
        raise ServiceError(
            "The SKU of an existing item cannot be changed.",
            code=ItemErrorCode.SKU_IMMUTABLE,
            field="sku",
        )
    values = clean_item_values(data)
    item = Item.objects.select_for_update().get(pk=item.pk)
    changes = item_changes(item, values)
    for name, (_old, value) in changes.items():
        setattr(item, name, value)
    validate_reorder_levels(reorder_min=item.reorder_min, reorder_max=item.reorder_max)
    if changes:
        item.save(update_fields=[*changes, *STAMPED_ON_CHANGE])
        cache.invalidate(groups=[ITEMS_GROUP])
    return item


def item_deactivate(*, item: Item) -> Item:
    """Soft delete: the item stays (the ledger refers to it) but is no longer active."""
    return item_update(item=item, data={"active": False})
