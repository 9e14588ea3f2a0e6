"""POST /api/items/import: upsert of the item master by SKU, row by row validation."""

from decimal import Decimal

import pytest

from items.models import Item
from tests.factories import ItemFactory
from tests.platform.csvio.support import (
    ITEMS_HEADER,
    ITEMS_IMPORT,
    counts,
    db_state,
    post_csv,
    row_errors,
)

pytestmark = pytest.mark.django_db


def _item_values(sku: str) -> dict:
    return Item.objects.filter(sku=sku).values().get()


def _import(client, text, **kwargs):
    response = post_csv(client, ITEMS_IMPORT, text, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


# --- inserting and updating ------------------------------------------------------------------


def test_a_new_item_takes_every_given_column(api_client):
    body = _import(api_client, f"{ITEMS_HEADER}\nFLR-1,Flour,Dry goods,kg,5,50,20.5,true\n")

    assert counts(body) == {
        "total_rows": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
        "errors_omitted": 0,
    }
    item = Item.objects.get(sku="FLR-1")
    assert (item.name, item.category, item.uom) == ("Flour", "Dry goods", "kg")
    assert (item.reorder_min, item.reorder_max, item.par_level) == (
        Decimal(5),
        Decimal(50),
        Decimal("20.5"),
    )
    assert item.active is True
    assert (
        body["message"]
        == "Imported 1 rows: 1 inserted, 0 updated, 0 unchanged, 0 rows with errors."
    )


def test_a_new_item_takes_the_defaults_for_columns_left_out(api_client):
    _import(api_client, "sku,name\nSLT-1,Salt\n")

    item = Item.objects.get(sku="SLT-1")
    assert (item.category, item.uom, item.active) == ("", "each", True)
    assert item.reorder_min == item.reorder_max == item.par_level == 0


def test_only_sku_is_required_to_update_an_item(api_client, item):
    before = _item_values("SKU-1001")

    body = _import(api_client, "sku,par_level\nSKU-1001,7\n")

    assert counts(body)["updated"] == 1
    after = _item_values("SKU-1001")
    assert after["par_level"] == Decimal(7)
    assert after["updated_at"] > before["updated_at"]
    unchanged = {k: v for k, v in before.items() if k not in ("par_level", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged  # the id included


def test_blank_cells_keep_the_items_values(api_client, item):
    before = _item_values("SKU-1001")

    body = _import(api_client, f"{ITEMS_HEADER}\nSKU-1001,,,,,,12,\n")

    assert counts(body)["updated"] == 1
    after = _item_values("SKU-1001")
    assert after["par_level"] == Decimal(12)
    for name in ("id", "name", "category", "uom", "reorder_min", "reorder_max", "active"):
        assert after[name] == before[name], name


def test_an_update_keeps_the_id_where_v20_replaced_the_row(api_client, item):
    other = ItemFactory(sku="SKU-2002", name="Rice")

    _import(api_client, "sku,name\nSKU-1001,Chicken thigh\nSKU-2002,Basmati rice\n")

    assert Item.objects.get(pk=item.pk).name == "Chicken thigh"
    assert Item.objects.get(pk=other.pk).name == "Basmati rice"
    assert Item.objects.count() == 2


def test_a_sku_with_surrounding_spaces_updates_the_item(api_client, item):
    body = _import(api_client, 'sku,name\n"  SKU-1001  ",Chicken thigh\n')

    assert counts(body)["updated"] == 1
    assert Item.objects.get(pk=item.pk).name == "Chicken thigh"
    assert Item.objects.count() == 1


def test_importing_the_same_file_twice_changes_nothing_the_second_time(api_client, item):
    text = f"{ITEMS_HEADER}\nSKU-1001,Chicken thigh,Protein,kg,3,30,12,true\nNEW-1,Tea,,,,,,\n"
    first = _import(api_client, text)
    assert (counts(first)["inserted"], counts(first)["updated"]) == (1, 1)
    after_first = db_state()

    second = _import(api_client, text)

    assert counts(second) == {
        "total_rows": 2,
        "inserted": 0,
        "updated": 0,
        "unchanged": 2,
        "errors": 0,
        "errors_omitted": 0,
    }
    assert db_state() == after_first  # not even updated_at moved


def test_a_row_equal_to_the_item_is_unchanged(api_client, item):
    before = db_state()

    body = _import(
        api_client, "sku,name,par_level,reorder_max\nSKU-1001,Chicken breast,10.000,20\n"
    )

    assert (counts(body)["unchanged"], counts(body)["updated"]) == (1, 0)
    assert db_state() == before


def test_the_cached_item_lists_show_an_import_at_once(api_client, item):
    assert api_client.get("/api/items").json()["data"][0]["name"] == "Chicken breast"
    assert api_client.get("/api/items/SKU-1001").json()["data"]["name"] == "Chicken breast"
    assert api_client.get("/api/items")["X-Cache"] == "HIT"

    _import(api_client, "sku,name\nSKU-1001,Chicken thigh\n")

    assert api_client.get("/api/items").json()["data"][0]["name"] == "Chicken thigh"
    assert api_client.get("/api/items/SKU-1001").json()["data"]["name"] == "Chicken thigh"


# --- bad rows ----------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param(
        "sku,name\nNEW-1,\n", "name", "name is required for a new item (SKU NEW-1).", id="no-name"
    ),
    pytest.param(
        "sku,par_level\nNEW-1,3\n",
        "name",
        "name is required for a new item (SKU NEW-1).",
        id="no-name-column",
    ),
    pytest.param(
        "sku,par_level\nSKU-1001,lots\n",
        "par_level",
        "par_level must be a number, not 'lots'.",
        id="level-not-a-number",
    ),
    pytest.param(
        "sku,reorder_min\nSKU-1001,-1\n",
        "reorder_min",
        "reorder_min cannot be negative.",
        id="negative-level",
    ),
    pytest.param(
        "sku,par_level\nSKU-1001,1.2345\n",
        "par_level",
        "par_level may have at most 3 decimal places.",
        id="too-many-decimals",
    ),
    pytest.param(
        "sku,par_level\nSKU-1001,100000000000\n",
        "par_level",
        "par_level is out of range (at most 99999999999.999).",
        id="out-of-range",
    ),
    pytest.param(
        "sku,par_level\nSKU-1001,NaN\n",
        "par_level",
        "par_level must be a finite number.",
        id="not-finite",
    ),
    pytest.param(
        "sku,active\nSKU-1001,maybe\n",
        "active",
        "active must be true or false, not 'maybe'.",
        id="bad-boolean",
    ),
    pytest.param(
        f"sku,name\nSKU-1001,{'n' * 201}\n",
        "name",
        "name is longer than 200 characters.",
        id="name-over-200",
    ),
    pytest.param(
        f"sku,category\nSKU-1001,{'c' * 101}\n",
        "category",
        "category is longer than 100 characters.",
        id="category-over-100",
    ),
    pytest.param(
        f"sku,uom\nSKU-1001,{'u' * 21}\n",
        "uom",
        "uom is longer than 20 characters.",
        id="uom-over-20",
    ),
    pytest.param(
        f"sku,name\n{'S' * 65},Long\n",
        "sku",
        "SKU is longer than 64 characters.",
        id="sku-over-64",
    ),
    pytest.param(
        "sku,name\nA/B,Slashed\n",
        "sku",
        "SKU may not contain '/' or control characters.",
        id="sku-with-slash",
    ),
    pytest.param("sku,name\n,Nameless\n", "sku", "SKU is required.", id="blank-sku"),
    pytest.param(
        "sku,name\nimport,Route\n",
        "sku",
        "'import' is reserved (it names a route) and cannot be a SKU.",
        id="reserved-import",
    ),
    pytest.param(
        "sku,name\nexport,Route\n",
        "sku",
        "'export' is reserved (it names a route) and cannot be a SKU.",
        id="reserved-export",
    ),
    pytest.param(
        "sku,reorder_min,reorder_max\nSKU-1001,30,25\n",
        "reorder_max",
        "reorder_max must not be below reorder_min (0 means no maximum).",
        id="max-below-min",
    ),
    pytest.param(
        "sku,reorder_min\nSKU-1001,21\n",
        "reorder_max",
        "reorder_max must not be below reorder_min (0 means no maximum).",
        id="min-above-the-items-max",
    ),
    pytest.param(
        "sku,name,reorder_min,reorder_max\nNEW-1,Tea,5,4\n",
        "reorder_max",
        "reorder_max must not be below reorder_min (0 means no maximum).",
        id="new-item-max-below-min",
    ),
]


@pytest.mark.parametrize(("text", "field", "error"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_field_and_not_written(
    api_client, item, text, field, error
):
    before = db_state()

    body = _import(api_client, text)

    assert row_errors(body) == [(2, field, error)]
    assert (body["data"]["errors"], body["data"]["inserted"], body["data"]["updated"]) == (1, 0, 0)
    assert db_state() == before


def test_the_reported_row_echoes_the_cells_as_read(api_client, item):
    body = _import(api_client, "SKU,Par Level,Note\nSKU-1001,lots,call Bob\n")

    assert body["errors"][0]["row"] == {"sku": "SKU-1001", "par_level": "lots", "note": "call Bob"}


def test_a_long_cell_is_cut_in_the_echoed_row(api_client, item):
    body = _import(api_client, f"sku,name\nSKU-1001,{'n' * 300}\n")

    assert body["errors"][0]["row"]["name"] == "n" * 200 + "…"


def test_a_name_of_exactly_200_characters_is_accepted(api_client, item):
    body = _import(api_client, f"sku,name\nSKU-1001,{'n' * 200}\n")

    assert counts(body)["updated"] == 1
    assert Item.objects.get(pk=item.pk).name == "n" * 200


def test_good_rows_around_a_bad_one_are_written(api_client, item):
    body = _import(api_client, "sku,name,par_level\nA-1,Apples,1\nB-2,Bananas,x\nC-3,Cherries,3\n")

    assert row_errors(body) == [(3, "par_level", "par_level must be a number, not 'x'.")]
    assert sorted(Item.objects.values_list("sku", flat=True)) == ["A-1", "C-3", "SKU-1001"]


def test_a_sku_twice_in_the_file_reports_the_second_with_the_line_of_the_first(api_client, item):
    before = _item_values("SKU-1001")

    body = _import(
        api_client, "sku,name\nSKU-1001,First\nNEW-1,Tea\n SKU-1001 ,Second\nNEW-1,Tea again\n"
    )

    assert row_errors(body) == [
        (4, None, "Duplicate of line 2: SKU SKU-1001 appears more than once in the file."),
        (5, None, "Duplicate of line 3: SKU NEW-1 appears more than once in the file."),
    ]
    assert (body["data"]["updated"], body["data"]["inserted"]) == (1, 1)
    assert _item_values("SKU-1001")["name"] == "First"
    assert _item_values("SKU-1001")["id"] == before["id"]
    assert Item.objects.get(sku="NEW-1").name == "Tea"


def test_a_row_with_more_cells_than_the_header_is_refused(api_client, item):
    before = db_state()

    body = _import(api_client, "sku,name\nSKU-1001,Chicken,thigh\n")

    assert row_errors(body) == [(2, None, "The row has 3 cells; the header has 2.")]
    assert body["errors"][0]["row"] == {"sku": "SKU-1001", "name": "Chicken", "…": "thigh"}
    assert db_state() == before
