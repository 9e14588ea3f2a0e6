"""Error codes of the item domain."""

from enum import StrEnum


class ItemErrorCode(StrEnum):
    NOT_FOUND = "item_not_found"
    DUPLICATE_SKU = "duplicate_sku"
    INVALID_SKU = "invalid_sku"
    INVALID_LEVELS = "invalid_levels"
    SKU_IMMUTABLE = "sku_immutable"
    INVALID_FIELD = "invalid_field"
