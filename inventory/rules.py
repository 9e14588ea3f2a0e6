"""The rules of stock on hand, as pure decisions: values in, a verdict out, no database.

The single-row operations (`inventory.services`) and the set-based stock-count import
(`inventory.stock_csv`) decide by these functions, so each rule is written once. Each caller
words a refusal its own way (a `ServiceError` with a code for the API, a row error for the
import), so most rules answer yes or no; `quantity_refusal`, which both callers word alike,
answers the words.
"""

from decimal import Decimal
from typing import NamedTuple

from inventory.error_codes import StockErrorCode
from inventory_project.codes import invisible_character_problem
from items.models import MAX_QUANTITY, QUANTITY_PLACES


class Refusal(NamedTuple):
    code: StockErrorCode
    message: str


def quantity_refusal(quantity: Decimal, *, field: str) -> Refusal | None:
    """Why `quantity` cannot be a quantity of stock, or None when it can.

    A quantity is finite, within +/- `MAX_QUANTITY` and has at most `QUANTITY_PLACES` decimal
    places; either sign passes here (whether a negative one may be is the operation's rule).
    """
    if not quantity.is_finite():
        return Refusal(StockErrorCode.INVALID_QUANTITY, f"{field} must be a finite number.")
    # Range first: rounding fails on numbers beyond the decimal context's precision.
    if out_of_range(quantity):
        return Refusal(
            StockErrorCode.QUANTITY_OUT_OF_RANGE,
            f"{field} is out of range (at most {MAX_QUANTITY}).",
        )
    # Only a number written with more places than allowed can need rounding.
    if quantity.as_tuple().exponent < -QUANTITY_PLACES and quantity != round(
        quantity, QUANTITY_PLACES
    ):
        return Refusal(
            StockErrorCode.INVALID_QUANTITY,
            f"{field} may have at most {QUANTITY_PLACES} decimal places.",
        )
    return None


def out_of_range(quantity: Decimal) -> bool:
    """Whether `quantity` is beyond what a quantity column holds (either sign)."""
    return abs(quantity) > MAX_QUANTITY


def enters_inactive_location(delta: Decimal, location_active: bool) -> bool:
    """Whether a change of `delta` is refused because its location is inactive.

    An inactive location may be emptied (counted down, issued from, transferred out of), never
    filled.
    """
    # The flag first: the import asks once a row, and comparing a Decimal costs more.
    return not location_active and delta > 0


def negative_count_refused(counted: Decimal, on_hand: Decimal | None = None) -> bool:
    """Whether a count of `counted` is refused because it is negative.

    A count never sets a quantity below zero. A negative count equal to `on_hand` sets nothing
    and is accepted: an export of stock issued below zero re-imports unchanged. Without
    `on_hand` (a count checked before its record is read, or one of a record that does not exist
    yet) every negative count is refused.
    """
    return counted != on_hand and counted < 0


def goes_below_zero(new_quantity: Decimal, allow_negative: bool) -> bool:
    """Whether a change that leaves `new_quantity` is refused for taking more than is on hand."""
    return new_quantity < 0 and not allow_negative


def lot_problem(lot: str) -> str | None:
    """Why `lot` cannot name a lot: a character that does not show (`inventory_project.codes`).

    A lot is matched by what it says, in the API, a file and a spreadsheet (which cannot hold
    control characters at all): one with an invisible character would be another lot than the
    one it looks like.
    """
    return invisible_character_problem(lot, label="lot")
