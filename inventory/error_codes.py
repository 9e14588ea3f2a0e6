"""Error codes of the stock domain."""

from enum import StrEnum


class StockErrorCode(StrEnum):
    INSUFFICIENT_STOCK = "insufficient_stock"
    INVALID_QUANTITY = "invalid_quantity"
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"
    REASON_REQUIRED = "reason_required"
    SAME_LOCATION = "same_location"
    DUPLICATE_LOCATION = "duplicate_location"
    INVALID_LOCATION = "invalid_location"
    LOCATION_NOT_FOUND = "location_not_found"
    LOCATION_INACTIVE = "location_inactive"
    INVALID_LOT = "invalid_lot"
    NOT_AN_ISSUE = "not_an_issue"
    ALREADY_REVERSED = "already_reversed"
    REVERSAL_TOO_LARGE = "reversal_too_large"
