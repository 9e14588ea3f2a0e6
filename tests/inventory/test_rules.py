"""The stock rules as pure functions: values in, a verdict out, no database."""

from decimal import Decimal

import pytest

from inventory import rules
from inventory.error_codes import StockErrorCode
from items.models import MAX_QUANTITY

# --- a quantity ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0", "2.5", "-4", "0.001", "1E+1", "1.0000", "99999999999.999"])
def test_a_finite_quantity_in_range_with_three_places_or_fewer_is_accepted(text):
    assert rules.quantity_refusal(Decimal(text), field="quantity") is None


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_a_quantity_that_is_not_finite_is_refused_as_invalid(text):
    refusal = rules.quantity_refusal(Decimal(text), field="quantity")

    assert refusal == (StockErrorCode.INVALID_QUANTITY, "quantity must be a finite number.")


@pytest.mark.parametrize("text", ["100000000000", "-100000000000", "1E+30"])
def test_a_quantity_beyond_the_largest_storable_is_refused_as_out_of_range(text):
    refusal = rules.quantity_refusal(Decimal(text), field="quantity_delta")

    assert refusal == (
        StockErrorCode.QUANTITY_OUT_OF_RANGE,
        "quantity_delta is out of range (at most 99999999999.999).",
    )


def test_a_huge_quantity_with_many_places_is_out_of_range_rather_than_a_rounding_error():
    # 34 digits: rounding it to three places would overflow the 28-digit decimal context.
    refusal = rules.quantity_refusal(Decimal("1" * 30 + ".0001"), field="quantity")

    assert refusal.code == StockErrorCode.QUANTITY_OUT_OF_RANGE


@pytest.mark.parametrize("text", ["1.0005", "-0.0001", "2.5001"])
def test_a_quantity_with_more_than_three_decimal_places_is_refused_as_invalid(text):
    refusal = rules.quantity_refusal(Decimal(text), field="counted_quantity")

    assert refusal == (
        StockErrorCode.INVALID_QUANTITY,
        "counted_quantity may have at most 3 decimal places.",
    )


def test_the_largest_storable_quantity_is_in_range_either_way():
    assert not rules.out_of_range(MAX_QUANTITY)
    assert not rules.out_of_range(-MAX_QUANTITY)


def test_a_thousandth_beyond_the_largest_storable_quantity_is_out_of_range():
    assert rules.out_of_range(MAX_QUANTITY + Decimal("0.001"))
    assert rules.out_of_range(-MAX_QUANTITY - Decimal("0.001"))


# --- an inactive location ------------------------------------------------------------------


def test_stock_may_not_enter_an_inactive_location():
    assert rules.enters_inactive_location(Decimal("0.001"), False)


@pytest.mark.parametrize("delta", ["-3", "0"])
def test_stock_may_leave_an_inactive_location_or_be_confirmed_there(delta):
    assert not rules.enters_inactive_location(Decimal(delta), False)


@pytest.mark.parametrize("delta", ["5", "-5", "0"])
def test_an_active_location_takes_any_change(delta):
    assert not rules.enters_inactive_location(Decimal(delta), True)


# --- a negative count ----------------------------------------------------------------------


def test_a_negative_count_is_refused_when_nothing_is_known_of_the_record():
    assert rules.negative_count_refused(Decimal("-1"))


def test_a_negative_count_that_changes_the_quantity_is_refused():
    assert rules.negative_count_refused(Decimal("-1"), Decimal("-3"))


def test_a_negative_count_that_confirms_the_quantity_on_hand_is_accepted():
    assert not rules.negative_count_refused(Decimal("-3"), Decimal("-3"))


@pytest.mark.parametrize("on_hand", [None, Decimal("-2"), Decimal(7)])
def test_a_count_of_zero_or_more_is_accepted_whatever_is_on_hand(on_hand):
    assert not rules.negative_count_refused(Decimal(0), on_hand)
    assert not rules.negative_count_refused(Decimal("4.5"), on_hand)


# --- going below zero ----------------------------------------------------------------------


def test_a_change_that_leaves_less_than_nothing_is_refused():
    assert rules.goes_below_zero(Decimal("-0.001"), False)


def test_a_change_that_leaves_less_than_nothing_is_accepted_when_negative_stock_is_allowed():
    assert not rules.goes_below_zero(Decimal("-5"), True)


def test_a_change_that_leaves_exactly_nothing_is_accepted():
    assert not rules.goes_below_zero(Decimal(0), False)
