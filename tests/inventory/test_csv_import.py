"""POST /api/inventory/import: a stock count per row, with its ledger row, re-importable."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import Location, MovementKind, MovementSource, StockMovement, StockRecord
from tests.helpers import assert_ledger_balances
from tests.platform.csvio.support import STOCK_IMPORT, counts, db_state, post_csv, row_errors

pytestmark = pytest.mark.django_db

HEADER = "sku,location,quantity"


def _import(client, text, **kwargs):
    response = post_csv(client, STOCK_IMPORT, text, **kwargs)
    assert response.status_code == 200, response.content
    return response


def _record(item, location, lot=""):
    return StockRecord.objects.get(item=item, location=location, lot=lot)


# --- counts and the ledger ---------------------------------------------------------------------


def test_a_count_sets_the_quantity_and_writes_the_delta_to_the_ledger(
    api_client, api_user, stocked
):
    ledger_before = StockMovement.objects.count()

    response = _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,7.5\n")

    assert counts(response.json())["updated"] == 1
    record = _record(stocked.item, stocked.location)
    assert record.quantity == Decimal("7.5")
    assert StockMovement.objects.count() == ledger_before + 1
    movement = StockMovement.objects.latest("id")
    assert movement.stock_record_id == record.pk
    assert (movement.item_id, movement.location_id, movement.lot) == (
        stocked.item_id,
        stocked.location_id,
        "",
    )
    assert movement.kind == MovementKind.COUNT
    assert movement.source == MovementSource.IMPORT
    assert movement.quantity_delta == Decimal("-2.5")
    assert movement.quantity_after == Decimal("7.5")
    assert movement.created_by == api_user
    assert movement.reason == "CSV stock count import"
    assert movement.request_id == response["X-Request-ID"]
    assert movement.request_id
    assert_ledger_balances()


def test_a_count_of_a_new_item_location_and_lot_creates_the_record(
    api_client, api_user, item, location
):
    response = _import(api_client, f"{HEADER},lot,expires_at\nSKU-1001,WALK-IN,4,L7,2027-03-31\n")

    assert counts(response.json())["inserted"] == 1
    record = _record(item, location, "L7")
    assert record.quantity == Decimal(4)
    assert record.expires_at == date(2027, 3, 31)
    assert record.last_counted_at is not None
    movement = StockMovement.objects.get(stock_record=record)
    assert (movement.kind, movement.source, movement.created_by) == (
        MovementKind.COUNT,
        MovementSource.IMPORT,
        api_user,
    )
    assert (movement.quantity_delta, movement.quantity_after) == (Decimal(4), Decimal(4))
    assert movement.request_id == response["X-Request-ID"]
    assert_ledger_balances()


def test_lots_of_the_same_item_and_location_are_separate_records(api_client, stocked):
    _import(
        api_client,
        f"{HEADER},lot\nSKU-1001,WALK-IN,1,A\nSKU-1001,WALK-IN,2,B\nSKU-1001,WALK-IN,3,\n",
    )

    assert dict(StockRecord.objects.filter(item=stocked.item).values_list("lot", "quantity")) == {
        "": Decimal(3),
        "A": Decimal(1),
        "B": Decimal(2),
    }
    assert_ledger_balances()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    api_client, stocked, other_location
):
    text = (
        "sku,location,quantity,lot,expires_at\n"
        "SKU-1001,WALK-IN,8,,2027-01-31\n"
        "SKU-1001,FREEZER,2.25,L1,\n"
        "SKU-1001,FREEZER,0,L2,\n"
    )
    first = _import(api_client, text).json()
    assert (counts(first)["updated"], counts(first)["inserted"]) == (1, 2)
    after_first = db_state()

    second = _import(api_client, text).json()

    assert counts(second) == {
        "total_rows": 3,
        "inserted": 0,
        "updated": 0,
        "unchanged": 3,
        "errors": 0,
        "errors_omitted": 0,
    }
    assert db_state() == after_first  # no ledger row, no timestamp moved
    assert_ledger_balances()


def test_counts_imported_again_never_duplicate_the_stock_row_as_v20_did(api_client, stocked):
    for quantity in ("4", "6", "6", "5"):
        _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,{quantity}\n")

    assert StockRecord.objects.filter(item=stocked.item, location=stocked.location).count() == 1
    assert _record(stocked.item, stocked.location).quantity == Decimal(5)
    deltas = list(
        StockMovement.objects.filter(kind=MovementKind.COUNT)
        .order_by("id")
        .values_list("quantity_delta", flat=True)
    )
    assert deltas == [Decimal(-6), Decimal(2), Decimal(-1)]
    assert_ledger_balances()


def test_a_new_expiry_with_the_same_quantity_updates_the_record_without_a_ledger_row(
    api_client, stocked
):
    ledger_before = StockMovement.objects.count()

    body = _import(api_client, f"{HEADER},expires_at\nSKU-1001,WALK-IN,10,2027-06-30\n").json()

    assert counts(body)["updated"] == 1
    record = _record(stocked.item, stocked.location)
    assert (record.quantity, record.expires_at) == (Decimal(10), date(2027, 6, 30))
    assert StockMovement.objects.count() == ledger_before


def test_a_blank_expiry_keeps_the_records_expiry(api_client, stocked):
    services.stock_record_set_expiry(record=stocked, expires_at=date(2027, 1, 1))

    _import(api_client, f"{HEADER},expires_at\nSKU-1001,WALK-IN,3,\n")

    record = _record(stocked.item, stocked.location)
    assert (record.quantity, record.expires_at) == (Decimal(3), date(2027, 1, 1))


def test_a_given_count_time_is_stored(api_client, stocked):
    _import(api_client, f"{HEADER},last_counted_at\nSKU-1001,WALK-IN,9,2026-01-15T08:30:00+00:00\n")

    record = _record(stocked.item, stocked.location)
    assert record.last_counted_at == datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


def test_a_changed_quantity_without_a_count_time_is_counted_now(api_client, stocked):
    started = timezone.now()

    _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,9\n")

    assert _record(stocked.item, stocked.location).last_counted_at >= started


def test_an_unchanged_quantity_keeps_the_last_count_time(api_client, stocked):
    _import(api_client, f"{HEADER},last_counted_at\nSKU-1001,WALK-IN,9,2026-01-15T08:30:00Z\n")
    before = db_state()

    body = _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,9\n").json()

    assert counts(body)["unchanged"] == 1
    assert db_state() == before


def test_a_count_time_a_little_ahead_of_the_server_clock_is_accepted(api_client, stocked):
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()

    body = _import(api_client, f"{HEADER},last_counted_at\nSKU-1001,WALK-IN,9,{ahead}\n").json()

    assert body["errors"] == []
    assert _record(stocked.item, stocked.location).quantity == 9


def test_the_cached_stock_list_shows_an_import_at_once(api_client, stocked):
    assert api_client.get("/api/inventory").json()["data"][0]["quantity"] == 10
    assert api_client.get("/api/inventory")["X-Cache"] == "HIT"

    _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,6\n")

    assert api_client.get("/api/inventory").json()["data"][0]["quantity"] == 6


# --- inactive locations ------------------------------------------------------------------------


@pytest.fixture
def retired(stocked):
    """The walk-in, holding 10, retired: stock may leave it, not enter it."""
    Location.objects.filter(pk=stocked.location_id).update(active=False)
    return stocked


def test_an_inactive_location_may_be_counted_down(api_client, retired):
    body = _import(api_client, f"{HEADER}\nSKU-1001,WALK-IN,4\n").json()

    assert body["errors"] == []
    assert _record(retired.item, retired.location).quantity == Decimal(4)
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("row", "line_field"),
    [("SKU-1001,WALK-IN,11,", (2, "location")), ("SKU-1001,WALK-IN,1,NEW-LOT", (2, "location"))],
    ids=["existing-record", "new-lot"],
)
def test_an_inactive_location_may_not_be_counted_up(api_client, retired, row, line_field):
    before = db_state()

    body = _import(api_client, f"{HEADER},lot\n{row}\n").json()

    assert row_errors(body) == [
        (*line_field, "Location WALK-IN is inactive; stock can leave it but not enter it.")
    ]
    assert db_state() == before


# --- bad rows ----------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param("NOPE,WALK-IN,1", "sku", "Unknown SKU NOPE.", id="unknown-sku"),
    pytest.param("sku-1001,WALK-IN,1", "sku", "Unknown SKU sku-1001.", id="sku-other-case"),
    pytest.param(
        "SKU-1001,NOWHERE,1", "location", "Unknown location NOWHERE.", id="unknown-location"
    ),
    pytest.param(
        "SKU-1001,WALK-IN,ten",
        "quantity",
        "quantity must be a number, not 'ten'.",
        id="not-a-number",
    ),
    pytest.param("SKU-1001,WALK-IN,-1", "quantity", "quantity cannot be negative.", id="negative"),
    pytest.param("SKU-1001,WALK-IN,", "quantity", "quantity is required.", id="blank-quantity"),
    pytest.param(",WALK-IN,1", "sku", "sku is required.", id="blank-sku"),
    pytest.param("SKU-1001,,1", "location", "location is required.", id="blank-location"),
    pytest.param(
        "SKU-1001,WALK-IN,1.0005",
        "quantity",
        "quantity may have at most 3 decimal places.",
        id="too-many-decimals",
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1e12",
        "quantity",
        "quantity is out of range (at most 99999999999.999).",
        id="out-of-range",
    ),
    pytest.param(
        "SKU-1001,WALK-IN,Infinity", "quantity", "quantity must be a finite number.", id="infinite"
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1,,31/12/2027",
        "expires_at",
        "expires_at must be an ISO date (YYYY-MM-DD), not '31/12/2027'.",
        id="expiry-not-iso",
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1,,2027-02-30",
        "expires_at",
        "expires_at must be an ISO date (YYYY-MM-DD), not '2027-02-30'.",
        id="expiry-no-such-day",
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1,,,yesterday",
        "last_counted_at",
        "last_counted_at must be an ISO date-time (YYYY-MM-DDTHH:MM[:SS][±HH:MM]), not "
        "'yesterday'.",
        id="count-time-not-iso",
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1,,,2999-01-01T00:00:00Z",
        "last_counted_at",
        "last_counted_at is in the future.",
        id="count-time-in-the-future",
    ),
    pytest.param(
        f"SKU-1001,WALK-IN,1,{'L' * 65}",
        "lot",
        "lot is longer than 64 characters.",
        id="lot-over-64",
    ),
    pytest.param(
        f"SKU-1001,{'W' * 65},1",
        "location",
        "location is longer than 64 characters.",
        id="location-over-64",
    ),
    pytest.param(
        f"{'S' * 65},WALK-IN,1", "sku", "sku is longer than 64 characters.", id="sku-over-64"
    ),
    pytest.param(
        "SKU-1001,WALK-IN,1,,,,extra",
        None,
        "The row has 7 cells; the header has 6.",
        id="more-cells-than-the-header",
    ),
]


@pytest.mark.parametrize(("row", "field", "error"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_field_and_not_written(
    api_client, stocked, other_location, row, field, error, settings
):
    settings.IMPORT_CREATE_LOCATIONS = False  # so that an unknown location is a bad row
    before = db_state()

    body = _import(
        api_client, f"sku,location,quantity,lot,expires_at,last_counted_at\n{row}\n"
    ).json()

    assert row_errors(body) == [(2, field, error)]
    assert body["data"]["errors"] == 1
    assert body["data"]["inserted"] == body["data"]["updated"] == 0
    assert db_state() == before


def test_a_stock_row_twice_in_the_file_reports_the_second_with_the_line_of_the_first(
    api_client, stocked, other_location
):
    text = (
        "sku,location,quantity,lot\n"
        "SKU-1001,WALK-IN,4,\n"
        "SKU-1001,FREEZER,1,L1\n"
        "SKU-1001,WALK-IN,1,L1\n"
        "SKU-1001,WALK-IN,5,\n"
        "SKU-1001,FREEZER,2,L1\n"
    )

    body = _import(api_client, text).json()

    assert row_errors(body) == [
        (5, None, "Duplicate of line 2: SKU-1001 at WALK-IN appears more than once in the file."),
        (
            6,
            None,
            "Duplicate of line 3: SKU-1001 at FREEZER lot L1 appears more than once in the file.",
        ),
    ]
    assert _record(stocked.item, stocked.location).quantity == Decimal(4)
    assert _record(stocked.item, other_location, "L1").quantity == Decimal(1)
    assert _record(stocked.item, stocked.location, "L1").quantity == Decimal(1)
    assert_ledger_balances()


def test_the_ledger_balances_after_a_mixed_import(api_client, stocked, other_location):
    text = (
        "sku,location,quantity,lot\n"
        "SKU-1001,WALK-IN,3,\n"
        "SKU-1001,FREEZER,6,\n"
        "NOPE,WALK-IN,1,\n"
        "SKU-1001,FREEZER,0.5,L9\n"
        "SKU-1001,WALK-IN,x,\n"
    )

    body = _import(api_client, text).json()

    assert counts(body)["errors"] == 2
    assert_ledger_balances()
    movements = StockMovement.objects.filter(kind=MovementKind.COUNT)
    assert movements.count() == 3
    assert set(movements.values_list("source", flat=True)) == {MovementSource.IMPORT}
