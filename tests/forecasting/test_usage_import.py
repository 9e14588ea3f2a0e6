"""POST /api/usage/import: daily usage history for forecasts, by item and optional location."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.models import DailyUsage
from inventory.models import StockMovement
from tests.platform.csvio.support import USAGE_IMPORT, counts, db_state, post_csv, row_errors

pytestmark = pytest.mark.django_db

HEADER = "date,sku,quantity,location"


@pytest.fixture
def world(stocked, other_location):
    return stocked


def _import(client, text, **kwargs):
    response = post_csv(client, USAGE_IMPORT, text, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def _usage() -> dict:
    return {
        (sku, location, day): quantity
        for sku, location, day, quantity in DailyUsage.objects.values_list(
            "item__sku", "location__code", "date", "quantity"
        )
    }


def test_usage_rows_are_stored_per_item_location_and_day(api_client, world):
    ledger_before = StockMovement.objects.count()

    body = _import(
        api_client,
        f"{HEADER}\n2025-03-01,SKU-1001,4.5,\n2025-03-01,SKU-1001,2,WALK-IN\n"
        "2025-03-02,SKU-1001,1.25,FREEZER\n",
    )

    assert counts(body) == {
        "total_rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
        "errors_omitted": 0,
    }
    assert _usage() == {
        ("SKU-1001", None, date(2025, 3, 1)): Decimal("4.5"),
        ("SKU-1001", "WALK-IN", date(2025, 3, 1)): Decimal(2),
        ("SKU-1001", "FREEZER", date(2025, 3, 2)): Decimal("1.25"),
    }
    assert StockMovement.objects.count() == ledger_before  # usage history is not stock


def test_the_location_column_may_be_left_out(api_client, world):
    body = _import(api_client, "date,sku,quantity\n2025-03-01,SKU-1001,3\n")

    assert counts(body)["inserted"] == 1
    assert _usage() == {("SKU-1001", None, date(2025, 3, 1)): Decimal(3)}


def test_importing_the_same_file_twice_changes_nothing_the_second_time(api_client, world):
    text = f"{HEADER}\n2025-03-01,SKU-1001,4.5,\n2025-03-01,SKU-1001,2,WALK-IN\n"
    _import(api_client, text)
    after_first = db_state()

    body = _import(api_client, text)

    assert (counts(body)["unchanged"], counts(body)["inserted"], counts(body)["updated"]) == (
        2,
        0,
        0,
    )
    assert db_state() == after_first
    assert DailyUsage.objects.count() == 2


def test_a_new_quantity_for_a_day_replaces_the_old_one(api_client, world):
    _import(api_client, f"{HEADER}\n2025-03-01,SKU-1001,4.5,\n2025-03-01,SKU-1001,2,WALK-IN\n")

    body = _import(api_client, f"{HEADER}\n2025-03-01,SKU-1001,6,\n")

    assert counts(body)["updated"] == 1
    assert _usage() == {
        ("SKU-1001", None, date(2025, 3, 1)): Decimal(6),
        ("SKU-1001", "WALK-IN", date(2025, 3, 1)): Decimal(2),
    }


def test_usage_of_today_is_accepted(api_client, world):
    today = timezone.localdate()

    body = _import(api_client, f"{HEADER}\n{today.isoformat()},SKU-1001,1,\n")

    assert body["errors"] == []
    assert _usage() == {("SKU-1001", None, today): Decimal(1)}


BAD_ROWS = [
    pytest.param("2025-03-01,NOPE,1,", "sku", "Unknown SKU NOPE.", id="unknown-sku"),
    pytest.param(
        "2025-03-01,SKU-1001,1,NOWHERE",
        "location",
        "Unknown location NOWHERE.",
        id="unknown-location",
    ),
    pytest.param(
        "03/01/2025,SKU-1001,1,",
        "date",
        "date must be an ISO date (YYYY-MM-DD), not '03/01/2025'.",
        id="date-not-iso",
    ),
    pytest.param(
        "1 March 2025,SKU-1001,1,",
        "date",
        "date must be an ISO date (YYYY-MM-DD), not '1 March 2025'.",
        id="date-in-words",
    ),
    pytest.param(",SKU-1001,1,", "date", "date is required.", id="blank-date"),
    pytest.param("2025-03-01,,1,", "sku", "sku is required.", id="blank-sku"),
    pytest.param("2025-03-01,SKU-1001,,", "quantity", "quantity is required.", id="blank-quantity"),
    pytest.param(
        "2025-03-01,SKU-1001,some,",
        "quantity",
        "quantity must be a number, not 'some'.",
        id="not-a-number",
    ),
    pytest.param(
        "2025-03-01,SKU-1001,-2,", "quantity", "quantity cannot be negative.", id="negative"
    ),
    pytest.param(
        "2025-03-01,SKU-1001,0.0001,",
        "quantity",
        "quantity may have at most 3 decimal places.",
        id="too-many-decimals",
    ),
    pytest.param(
        "2025-03-01,SKU-1001,123456789012,",
        "quantity",
        "quantity is out of range (at most 99999999999.999).",
        id="out-of-range",
    ),
    pytest.param(
        f"2025-03-01,{'S' * 65},1,", "sku", "sku is longer than 64 characters.", id="sku-over-64"
    ),
    pytest.param(
        f"2025-03-01,SKU-1001,1,{'W' * 65}",
        "location",
        "location is longer than 64 characters.",
        id="location-over-64",
    ),
]


@pytest.mark.parametrize(("row", "field", "error"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_field_and_not_written(
    api_client, world, row, field, error
):
    before = db_state()

    body = _import(api_client, f"{HEADER}\n{row}\n")

    assert row_errors(body) == [(2, field, error)]
    assert body["data"]["inserted"] == 0
    assert db_state() == before


def test_a_day_in_the_future_is_refused(api_client, world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    before = db_state()

    body = _import(api_client, f"{HEADER}\n{tomorrow.isoformat()},SKU-1001,1,\n")

    assert row_errors(body) == [
        (2, "date", f"date {tomorrow.isoformat()} is in the future; usage history is the past.")
    ]
    assert db_state() == before


def test_a_day_twice_in_the_file_reports_the_second_with_the_line_of_the_first(api_client, world):
    body = _import(
        api_client,
        f"{HEADER}\n2025-03-01,SKU-1001,1,\n2025-03-01,SKU-1001,2,WALK-IN\n"
        "2025-03-01,SKU-1001,3,\n2025-03-01,SKU-1001,4,WALK-IN\n",
    )

    assert row_errors(body) == [
        (
            4,
            None,
            "Duplicate of line 2: SKU-1001 on 2025-03-01 appears more than once in the file.",
        ),
        (
            5,
            None,
            "Duplicate of line 3: SKU-1001 at WALK-IN on 2025-03-01 appears more than once in "
            "the file.",
        ),
    ]
    assert _usage() == {
        ("SKU-1001", None, date(2025, 3, 1)): Decimal(1),
        ("SKU-1001", "WALK-IN", date(2025, 3, 1)): Decimal(2),
    }
