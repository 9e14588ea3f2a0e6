"""The three ways to run an import (default, dry run, atomic), error reporting and batching."""

from decimal import Decimal

import pytest
from django.db import transaction

from inventory.models import StockMovement, StockRecord
from inventory_project.csvio.engine import SeenKeys
from items.models import Item
from tests.helpers import assert_ledger_balances
from tests.platform.csvio.support import (
    ITEMS_IMPORT,
    STOCK_IMPORT,
    USAGE_IMPORT,
    counts,
    db_state,
    post_csv,
    row_errors,
)

pytestmark = pytest.mark.django_db

# Two good rows (one update, one insert) and one bad one.
MIXED_STOCK = (
    "sku,location,quantity,lot\nSKU-1001,WALK-IN,4,\nSKU-1001,FREEZER,2,L1\nNOPE,WALK-IN,1,\n"
)
GOOD_STOCK = "sku,location,quantity,lot\nSKU-1001,WALK-IN,4,\nSKU-1001,FREEZER,2,L1\n"


@pytest.fixture
def world(stocked, other_location):
    return stocked


def _stock() -> dict:
    return {
        (location, lot): quantity
        for location, lot, quantity in StockRecord.objects.values_list(
            "location__code", "lot", "quantity"
        )
    }


# --- dry run -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "text"),
    [
        (STOCK_IMPORT, MIXED_STOCK),
        (ITEMS_IMPORT, "sku,name\nSKU-1001,Chicken thigh\nNEW-1,Tea\nNEW-2,\n"),
        (
            USAGE_IMPORT,
            "date,sku,quantity\n2025-01-01,SKU-1001,3\n2025-01-02,SKU-1001,3\n2025-01-03,NOPE,1\n",
        ),
    ],
    ids=["stock", "items", "usage"],
)
def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(api_client, world, url, text):
    before = db_state()

    response = post_csv(api_client, url, text, query="dry_run=true")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["data"]["dry_run"] is True
    assert body["data"]["committed"] is False
    assert body["data"]["total_rows"] == 3
    assert body["data"]["errors"] == 1
    assert body["data"]["inserted"] + body["data"]["updated"] == 2
    assert body["message"].startswith("Dry run, nothing written: ")
    assert db_state() == before


def test_a_dry_run_reports_the_counts_the_real_import_then_makes(api_client, world):
    dry = post_csv(api_client, STOCK_IMPORT, MIXED_STOCK, query="dry_run=true").json()

    real = post_csv(api_client, STOCK_IMPORT, MIXED_STOCK).json()

    assert (
        counts(dry)
        == counts(real)
        == {
            "total_rows": 3,
            "inserted": 1,
            "updated": 1,
            "unchanged": 0,
            "errors": 1,
            "errors_omitted": 0,
        }
    )
    assert dry["errors"] == real["errors"]
    assert dry["message"] == (
        "Dry run, nothing written: 1 inserted, 1 updated, 0 unchanged, 1 row with errors."
    )


def test_a_dry_run_finds_duplicates_as_the_real_import_does(api_client, world):
    text = "sku,location,quantity\nSKU-1001,WALK-IN,4\nSKU-1001,WALK-IN,5\n"
    before = db_state()

    body = post_csv(api_client, STOCK_IMPORT, text, query="dry_run=1").json()

    assert row_errors(body) == [
        (3, None, "Duplicate of line 2: SKU-1001 at WALK-IN appears more than once in the file.")
    ]
    assert db_state() == before


# --- atomic ------------------------------------------------------------------------------------


def test_an_atomic_import_with_a_bad_row_is_refused_and_writes_nothing(api_client, world):
    before = db_state()

    response = post_csv(api_client, STOCK_IMPORT, MIXED_STOCK, query="atomic=true")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "import_rejected"
    assert body["error"] == "Nothing imported: 1 of 3 rows have errors."
    assert body["message"] == body["error"]
    assert counts(body) == {
        "total_rows": 3,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": 1,
        "errors_omitted": 0,
    }
    assert body["data"]["atomic"] is True
    assert body["data"]["committed"] is False
    assert row_errors(body) == [(4, "sku", "Unknown SKU NOPE.")]
    assert db_state() == before


def test_an_atomic_import_whose_bad_row_comes_after_written_batches_writes_nothing(
    api_client, world, settings
):
    settings.IMPORT_BATCH_SIZE = 2
    rows = "".join(f"SKU-1001,FREEZER,{n},L{n}\n" for n in range(1, 8))
    before = db_state()

    response = post_csv(
        api_client,
        STOCK_IMPORT,
        f"sku,location,quantity,lot\n{rows}SKU-1001,WALK-IN,-1,\n",
        query="atomic=true",
    )

    assert response.status_code == 400, response.content
    assert row_errors(response.json()) == [(9, "quantity", "quantity cannot be negative.")]
    assert db_state() == before


def test_an_atomic_import_of_good_rows_writes_them_all(api_client, world):
    response = post_csv(api_client, STOCK_IMPORT, GOOD_STOCK, query="atomic=true")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["data"]["committed"] is True
    assert (body["data"]["updated"], body["data"]["inserted"]) == (1, 1)
    assert _stock() == {("WALK-IN", ""): Decimal(4), ("FREEZER", "L1"): Decimal(2)}
    assert_ledger_balances()


def test_an_atomic_dry_run_with_bad_rows_reports_them_without_refusing(api_client, world):
    before = db_state()

    response = post_csv(api_client, STOCK_IMPORT, MIXED_STOCK, query="atomic=true&dry_run=true")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["data"]["committed"] is False
    assert row_errors(body) == [(4, "sku", "Unknown SKU NOPE.")]
    assert db_state() == before


# --- default mode: good rows in, bad rows reported ---------------------------------------------


def test_by_default_good_rows_are_written_and_bad_rows_reported(api_client, world):
    response = post_csv(api_client, STOCK_IMPORT, MIXED_STOCK)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["data"]["committed"] is True
    assert row_errors(body) == [(4, "sku", "Unknown SKU NOPE.")]
    assert body["errors"][0]["row"] == {
        "sku": "NOPE",
        "location": "WALK-IN",
        "quantity": "1",
        "lot": "",
    }
    assert (
        body["message"] == "Imported 3 rows: 1 inserted, 1 updated, 0 unchanged, 1 row with errors."
    )
    assert _stock() == {("WALK-IN", ""): Decimal(4), ("FREEZER", "L1"): Decimal(2)}
    assert_ledger_balances()


def test_the_error_list_is_capped_and_the_rest_counted(api_client, world, settings):
    settings.IMPORT_MAX_REPORTED_ERRORS = 3
    bad = "".join(f"SKU-1001,WALK-IN,x{n},L{n}\n" for n in range(10))

    body = post_csv(
        api_client, STOCK_IMPORT, f"sku,location,quantity,lot\n{bad}SKU-1001,WALK-IN,4,\n"
    ).json()

    assert body["data"]["errors"] == 10
    assert body["data"]["errors_omitted"] == 7
    assert [error["line"] for error in body["errors"]] == [2, 3, 4]
    assert _stock() == {("WALK-IN", ""): Decimal(4)}


def test_errors_found_in_the_database_and_in_the_file_are_listed_by_line(
    api_client, world, settings
):
    settings.IMPORT_BATCH_SIZE = 3
    settings.IMPORT_CREATE_LOCATIONS = False  # so that an unknown location is a bad row
    text = (
        "sku,location,quantity,lot\n"
        "NOPE,WALK-IN,1,\n"  # 2: unknown SKU, found when its batch is written
        "SKU-1001,WALK-IN,x,\n"  # 3: not a number, found when the row is read
        "SKU-1001,NOWHERE,1,\n"  # 4: unknown location, found with the batch
        "SKU-1001,WALK-IN,1,A\n"
        "SKU-1001,WALK-IN,-1,B\n"  # 6
        "SKU-1001,WALK-IN,2,A\n"  # 7: duplicate of 5, found with the next batch
        "SKU-1001,WALK-IN,3,\n"
    )

    body = post_csv(api_client, STOCK_IMPORT, text).json()

    assert row_errors(body) == [
        (2, "sku", "Unknown SKU NOPE."),
        (3, "quantity", "quantity must be a number, not 'x'."),
        (4, "location", "Unknown location NOWHERE."),
        (6, "quantity", "quantity cannot be negative."),
        (
            7,
            None,
            "Duplicate of line 5: SKU-1001 at WALK-IN lot A appears more than once in the file.",
        ),
    ]


def test_a_capped_error_list_holds_the_first_bad_lines(api_client, world, settings):
    settings.IMPORT_MAX_REPORTED_ERRORS = 2
    text = (
        "sku,location,quantity\n"
        "NOPE,WALK-IN,1\n"  # 2: unknown SKU
        "SKU-1001,WALK-IN,x\n"  # 3: not a number
        "SKU-1001,WALK-IN,y\n"  # 4: not a number
    )

    body = post_csv(api_client, STOCK_IMPORT, text).json()

    assert (body["data"]["errors"], body["data"]["errors_omitted"]) == (3, 1)
    assert [error["line"] for error in body["errors"]] == [2, 3]


# --- batching ----------------------------------------------------------------------------------

BATCHED_STOCK = (
    "sku,location,quantity,lot\n"
    "SKU-1001,WALK-IN,4,\n"
    "SKU-1001,FREEZER,1,A\n"
    "NOPE,FREEZER,1,B\n"
    "SKU-1001,FREEZER,2,C\n"
    "SKU-1001,WALK-IN,bad,D\n"
    "SKU-1001,FREEZER,3,D\n"
    "SKU-1001,FREEZER,5,A\n"
)


def _natural_state() -> tuple:
    """The stock and ledger without ids and times, comparable across rolled-back runs."""
    return (
        sorted(StockRecord.objects.values_list("item__sku", "location__code", "lot", "quantity")),
        sorted(
            StockMovement.objects.values_list(
                "item__sku", "location__code", "lot", "kind", "quantity_delta", "quantity_after"
            )
        ),
    )


def _run_and_roll_back(client, text) -> tuple[dict, tuple]:
    with transaction.atomic():
        body = post_csv(client, STOCK_IMPORT, text).json()
        state = _natural_state()
        transaction.set_rollback(True)
    data = {k: v for k, v in body["data"].items() if k != "seconds"}
    return {"data": data, "errors": body["errors"]}, state


def test_batches_of_two_give_the_same_result_as_one_batch(api_client, world, settings):
    settings.IMPORT_BATCH_SIZE = 5000
    whole = _run_and_roll_back(api_client, BATCHED_STOCK)
    settings.IMPORT_BATCH_SIZE = 2

    batched = _run_and_roll_back(api_client, BATCHED_STOCK)

    assert batched == whole
    assert whole[0]["data"]["total_rows"] == 7
    assert row_errors(whole[0]) == [
        (4, "sku", "Unknown SKU NOPE."),
        (6, "quantity", "quantity must be a number, not 'bad'."),
        (
            8,
            None,
            "Duplicate of line 3: SKU-1001 at FREEZER lot A appears more than once in the file.",
        ),
    ]


def test_a_duplicate_in_a_later_batch_is_found(api_client, world, settings):
    settings.IMPORT_BATCH_SIZE = 2
    text = "sku,name\n" + "".join(f"B-{n},Item {n}\n" for n in range(6)) + "B-0,Again\n"

    body = post_csv(api_client, ITEMS_IMPORT, text).json()

    assert row_errors(body) == [
        (8, None, "Duplicate of line 2: SKU B-0 appears more than once in the file.")
    ]
    assert Item.objects.get(sku="B-0").name == "Item 0"


def test_duplicates_are_found_after_the_seen_keys_are_merged(
    api_client, world, settings, monkeypatch
):
    monkeypatch.setattr(SeenKeys, "MERGE_AT", 3)
    settings.IMPORT_BATCH_SIZE = 2
    text = "sku,name\n" + "".join(f"M-{n},Item {n}\n" for n in range(9)) + "M-0,Again\nM-7,Again\n"

    body = post_csv(api_client, ITEMS_IMPORT, text).json()

    assert row_errors(body) == [
        (11, None, "Duplicate of line 2: SKU M-0 appears more than once in the file."),
        (12, None, "Duplicate of line 9: SKU M-7 appears more than once in the file."),
    ]
    assert Item.objects.filter(sku__startswith="M-").count() == 9


def test_seen_keys_answer_the_first_line_of_each_key_across_merges(monkeypatch):
    monkeypatch.setattr(SeenKeys, "MERGE_AT", 4)
    seen = SeenKeys()

    first = seen.first_lines([("a", 1), ("b", 1), ("a", 1), ("c", 1), ("d", 1)], [2, 3, 4, 5, 6])
    second = seen.first_lines([("e", 1), ("b", 1), ("d", 1), ("f", 1)], [7, 8, 9, 10])
    third = seen.first_lines([("a", 1), ("f", 1), ("g", 2), ("g", 1)], [11, 12, 13, 14])

    assert first == [None, None, 2, None, None]
    assert second == [None, 3, 6, None]
    assert third == [2, 10, None, None]
