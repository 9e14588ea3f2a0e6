"""GET /api/items/export and /api/inventory/export: streamed CSV that re-imports unchanged."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import StockMovement
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import assert_ledger_balances
from tests.platform.csvio.support import (
    ITEMS_EXPORT,
    ITEMS_HEADER,
    ITEMS_IMPORT,
    STOCK_EXPORT,
    STOCK_HEADER,
    STOCK_IMPORT,
    counts,
    db_state,
    export_text,
    post_csv,
)

pytestmark = pytest.mark.django_db

FORMULA_NAMES = ["=1+2", "+44 20 7946 0000", "-minus", "@SUM(A1)", "'=already quoted", "'plain"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _all_unchanged(body: dict, total: int) -> None:
    assert counts(body) == {
        "total_rows": total,
        "inserted": 0,
        "updated": 0,
        "unchanged": total,
        "errors": 0,
        "errors_omitted": 0,
    }, body["errors"]


@pytest.fixture
def formula_items(db):
    """Items whose text a spreadsheet would run as a formula, and one inactive item."""
    items = [
        ItemFactory(sku=f"F-{n}", name=name, category=name, uom="kg")
        for n, name in enumerate(FORMULA_NAMES)
    ]
    items.append(ItemFactory(sku="=SKU", name="Formula SKU", active=False, reorder_max=0))
    return items


@pytest.fixture
def stock_world(api_client, item):
    """Stock with lots, expiry dates and count times, in two locations."""
    walk_in = LocationFactory(code="WALK-IN")
    freezer = LocationFactory(code="-FREEZER")
    services.stock_receive(item=item, location=walk_in, quantity=Decimal("12.5"))
    services.stock_receive(
        item=item, location=freezer, quantity=Decimal(3), lot="L-1", expires_at=date(2027, 5, 1)
    )
    response = post_csv(
        api_client,
        STOCK_IMPORT,
        f"{STOCK_HEADER}\n"
        "SKU-1001,-FREEZER,0.125,'=LOT,2027-01-31,2026-02-03T04:05:06.789012+00:00\n"
        "SKU-1001,WALK-IN,7,B-2,,\n",
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["errors"] == 0, response.content
    return item


# --- round trips -------------------------------------------------------------------------------


def test_an_items_export_imports_back_unchanged(api_client, item, formula_items):
    exported = export_text(api_client.get(ITEMS_EXPORT))
    before = db_state()

    response = post_csv(api_client, ITEMS_IMPORT, exported)

    assert response.status_code == 200, response.content
    _all_unchanged(response.json(), total=len(formula_items) + 1)
    assert db_state() == before


def test_a_stock_export_imports_back_unchanged(api_client, stock_world):
    exported = export_text(api_client.get(STOCK_EXPORT))
    before = db_state()

    response = post_csv(api_client, STOCK_IMPORT, exported)

    assert response.status_code == 200, response.content
    _all_unchanged(response.json(), total=4)
    assert db_state() == before
    assert_ledger_balances()


def test_a_stock_export_edited_in_place_imports_only_the_change(api_client, stock_world):
    exported = export_text(api_client.get(STOCK_EXPORT))
    ledger_before = StockMovement.objects.count()
    edited = exported.replace("SKU-1001,WALK-IN,12.5,", "SKU-1001,WALK-IN,11,")
    assert edited != exported

    body = post_csv(api_client, STOCK_IMPORT, edited).json()

    assert (body["data"]["updated"], body["data"]["unchanged"]) == (1, 3)
    assert StockMovement.objects.count() == ledger_before + 1
    assert StockMovement.objects.latest("id").quantity_delta == Decimal("-1.5")
    assert_ledger_balances()


def test_a_stock_export_with_negative_stock_imports_back_unchanged(api_client, stocked):
    services.stock_issue(
        item=stocked.item, location=stocked.location, quantity=Decimal(15), allow_negative=True
    )
    exported = export_text(api_client.get(STOCK_EXPORT))
    before = db_state()

    body = post_csv(api_client, STOCK_IMPORT, exported).json()

    _all_unchanged(body, total=1)
    assert db_state() == before


# --- what the export writes --------------------------------------------------------------------


def test_the_items_export_writes_the_import_format(api_client, item):
    ItemFactory(
        sku="SKU-2002",
        name="Rice",
        category="",
        uom="each",
        reorder_min=Decimal("0.5"),
        reorder_max=0,
        par_level=Decimal("12.250"),
        active=False,
    )

    exported = export_text(api_client.get(ITEMS_EXPORT))

    assert exported == (
        f"{ITEMS_HEADER}\r\n"
        "SKU-1001,Chicken breast,Protein,kg,2,20,10,true\r\n"
        "SKU-2002,Rice,,each,0.5,0,12.25,false\r\n"
    )


def test_the_stock_export_writes_the_import_format(api_client, stock_world):
    rows = _rows(export_text(api_client.get(STOCK_EXPORT)))

    assert rows[0] == STOCK_HEADER.split(",")
    by_key = {(row[1], row[3]): row for row in rows[1:]}
    assert set(by_key) == {
        ("'-FREEZER", "L-1"),
        ("'-FREEZER", "'=LOT"),
        ("WALK-IN", ""),
        ("WALK-IN", "B-2"),
    }
    assert by_key[("'-FREEZER", "'=LOT")] == [
        "SKU-1001",
        "'-FREEZER",
        "0.125",
        "'=LOT",
        "2027-01-31",
        "2026-02-03T04:05:06.789012+00:00",
    ]
    assert by_key[("'-FREEZER", "L-1")][2:5] == ["3", "L-1", "2027-05-01"]
    assert by_key[("WALK-IN", "")][2] == "12.5"


def test_cells_a_spreadsheet_would_run_are_neutralised(api_client, formula_items):
    rows = _rows(export_text(api_client.get(ITEMS_EXPORT)))

    names = {row[0]: row[1] for row in rows[1:]}
    assert names == {
        "F-0": "'=1+2",
        "F-1": "'+44 20 7946 0000",
        "F-2": "'-minus",
        "F-3": "'@SUM(A1)",
        "F-4": "''=already quoted",
        "F-5": "'plain",
        "'=SKU": "Formula SKU",
    }
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row), (
        "no cell may start with a formula character"
    )


def test_an_export_is_a_dated_attachment_that_is_not_cached(api_client, item):
    response = api_client.get(ITEMS_EXPORT)

    today = timezone.localdate().isoformat()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="items-{today}.csv"'
    assert response["Cache-Control"] == "no-store"
    assert response.streaming
    export_text(response)

    stock = api_client.get(STOCK_EXPORT)
    assert stock["Content-Disposition"] == f'attachment; filename="inventory-{today}.csv"'
    export_text(stock)


# --- filters and ordering ----------------------------------------------------------------------


@pytest.fixture
def catalogue(item):
    ItemFactory(sku="SKU-2002", name="Apples", category="Fruit")
    ItemFactory(sku="SKU-3003", name="Old stock", category="Fruit", active=False)
    return item


def _skus(response) -> list[str]:
    return [row[0] for row in _rows(export_text(response))[1:]]


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("", ["SKU-2002", "SKU-1001", "SKU-3003"]),
        ("active=false", ["SKU-3003"]),
        ("active=true", ["SKU-2002", "SKU-1001"]),
        ("category=Fruit", ["SKU-2002", "SKU-3003"]),
        ("category=Fruit&active=true", ["SKU-2002"]),
        ("search=chicken", ["SKU-1001"]),
        ("ordering=-sku", ["SKU-3003", "SKU-2002", "SKU-1001"]),
        ("ordering=sku", ["SKU-1001", "SKU-2002", "SKU-3003"]),
    ],
)
def test_the_items_export_honours_the_list_filters_and_ordering(
    viewer_client, catalogue, query, skus
):
    assert _skus(viewer_client.get(f"{ITEMS_EXPORT}?{query}")) == skus


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("location=FREEZER", [("FREEZER", "")]),
        ("location=WALK-IN", [("WALK-IN", "")]),
        ("sku=SKU-2002", [("FREEZER", "")]),
        ("ordering=-location", [("WALK-IN", ""), ("FREEZER", "")]),
    ],
)
def test_the_stock_export_honours_the_list_filters_and_ordering(
    viewer_client, stocked, other_location, query, keys
):
    other = ItemFactory(sku="SKU-2002", name="Apples")
    services.stock_receive(item=other, location=other_location, quantity=Decimal(1))

    rows = _rows(export_text(viewer_client.get(f"{STOCK_EXPORT}?{query}")))[1:]

    assert [(row[1], row[3]) for row in rows] == keys


@pytest.mark.parametrize(
    ("url", "query", "error"),
    [
        (ITEMS_EXPORT, "active=maybe", "active: Must be true or false."),
        (STOCK_EXPORT, "expires_before=soon", "expires_before: Enter a valid date."),
    ],
)
def test_a_bad_export_filter_is_a_400_envelope(api_client, stocked, url, query, error):
    response = api_client.get(f"{url}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"] == error
    assert body["code"] == "invalid"


def test_a_bad_export_ordering_is_a_400_envelope(api_client, item):
    response = api_client.get(f"{ITEMS_EXPORT}?ordering=password")

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert "password" in response.json()["error"]


# --- who may export ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ITEMS_EXPORT, STOCK_EXPORT])
def test_a_viewer_may_export(viewer_client, stocked, url):
    rows = _rows(export_text(viewer_client.get(url)))

    assert rows[1][0] == "SKU-1001"


@pytest.mark.parametrize("url", [ITEMS_EXPORT, STOCK_EXPORT])
def test_an_anonymous_caller_may_not_export(anon_client, stocked, url):
    response = anon_client.get(url)

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Authentication required",
        "code": "not_authenticated",
    }
