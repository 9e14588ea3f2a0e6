"""The item master's field lists, read once from the model: every source takes them from here.

`items.models.Item` declares the fields; their lengths, defaults and choices are the model
fields' own (`Item._meta`). From it, this module answers which fields a caller may change, which
the CSV carries, which a row of the API shows and which the database stamps. The services'
create and update, the CSV import and export (and the header the API docs show), the API's
serializers and list columns, the admin's form and fieldsets all read these lists, so a field
added to the model reaches all of them. The one thing the model cannot say is declared here:
which field is the item's identity.

How to add a field: README, "Adding a field to Item"; `tests/items/test_adding_a_field.py`
checks that every source has every field.
"""

from django.core.validators import MinValueValidator
from django.db import models

from items.models import Item

# The item's identity: given when an item is created and never changed (the API, the ledger and
# CSV files address items by it).
IDENTITY_FIELD = "sku"

_CONCRETE = Item._meta.concrete_fields


def _stamped(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def item_field(name: str) -> models.Field:
    """The model field `name` of `Item` (its max_length, default, choices...)."""
    return Item._meta.get_field(name)


# What a caller may set and change, in the model's order: every field of the model but the
# primary key, the identity and the fields the model keeps from edits (`editable=False`, which
# `auto_now` and `auto_now_add` imply).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in _CONCRETE if f.editable and not f.primary_key and f.name != IDENTITY_FIELD
)
# A row of the API (lists and single items alike): every column of the model.
OUTPUT_FIELDS: tuple[str, ...] = tuple(f.name for f in _CONCRETE)
# The columns of the items CSV, the import's and the export's: the identity, then the editable
# fields.
CSV_COLUMNS: tuple[str, ...] = (IDENTITY_FIELD, *EDITABLE_FIELDS)
# Set to the time of the save, never by a caller (`auto_now_add`, `auto_now`): on creation, and
# on every change.
STAMPED_ON_CREATE: tuple[str, ...] = tuple(f.name for f in _CONCRETE if _stamped(f))
STAMPED_ON_CHANGE: tuple[str, ...] = tuple(
    f.name for f in _CONCRETE if getattr(f, "auto_now", False)
)
# Editable fields without a default: a new item must be given them.
REQUIRED_FIELDS: tuple[str, ...] = tuple(
    name for name in EDITABLE_FIELDS if not item_field(name).has_default()
)
# Editable quantities (the reorder levels and par level), shown together in the admin.
QUANTITY_FIELDS: tuple[str, ...] = tuple(
    name for name in EDITABLE_FIELDS if isinstance(item_field(name), models.DecimalField)
)
# Fields that refuse a value below zero (a `MinValueValidator(0)` on the model field).
NON_NEGATIVE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in _CONCRETE
    if any(isinstance(v, MinValueValidator) and v.limit_value == 0 for v in f.validators)
)
_DEFAULTED = tuple(
    (name, item_field(name)) for name in EDITABLE_FIELDS if name not in REQUIRED_FIELDS
)
_CONSTANT_DEFAULTS = {name: f.get_default() for name, f in _DEFAULTED if not callable(f.default)}
_CALLED_DEFAULTS = tuple((name, f) for name, f in _DEFAULTED if callable(f.default))


def new_item_defaults() -> dict:
    """The value a new item takes for each editable field it is not given: the model's default."""
    defaults = dict(_CONSTANT_DEFAULTS)
    for name, field in _CALLED_DEFAULTS:
        defaults[name] = field.get_default()
    return defaults
