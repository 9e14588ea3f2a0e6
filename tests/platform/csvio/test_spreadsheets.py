"""Files as spreadsheets save them: BOM, CRLF, `;` or tab, quotes, blank lines, loose headers."""

from decimal import Decimal

import pytest

from inventory.models import StockRecord
from items.models import Item
from tests.platform.csvio.support import (
    ITEMS_IMPORT,
    STOCK_IMPORT,
    counts,
    post_csv,
    row_errors,
    upload_csv,
)

pytestmark = pytest.mark.django_db


def _import(client, url, body, **kwargs):
    response = post_csv(client, url, body, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def _quantities() -> dict:
    return dict(StockRecord.objects.values_list("lot", "quantity").filter(item__sku="SKU-1001"))


def test_a_utf8_bom_is_not_part_of_the_first_column(api_client, stocked):
    body = _import(api_client, STOCK_IMPORT, "\ufeffsku,location,quantity\nSKU-1001,WALK-IN,3\n")

    assert body["errors"] == []
    assert _quantities() == {"": Decimal(3)}


def test_crlf_line_ends_are_read(api_client, stocked):
    body = _import(
        api_client,
        STOCK_IMPORT,
        "sku,location,quantity,lot\r\nSKU-1001,WALK-IN,3,\r\nSKU-1001,WALK-IN,x,B\r\n",
    )

    assert row_errors(body) == [(3, "quantity", "quantity must be a number, not 'x'.")]
    assert _quantities() == {"": Decimal(3)}


@pytest.mark.parametrize(
    ("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")]
)
def test_the_delimiter_is_sniffed_from_the_header(api_client, stocked, delimiter, name):
    lines = [["sku", "location", "quantity", "lot"], ["SKU-1001", "WALK-IN", "2.5", "A"]]
    text = "".join(delimiter.join(cells) + "\r\n" for cells in lines)

    body = _import(api_client, STOCK_IMPORT, text)

    assert body["data"]["delimiter"] == delimiter
    assert body["errors"] == []
    assert _quantities() == {"": Decimal(10), "A": Decimal("2.5")}


def test_a_semicolon_file_with_commas_in_its_cells_keeps_them(api_client, item):
    body = _import(
        api_client, ITEMS_IMPORT, "SKU;Name;Category\r\nSKU-1001;Chicken, boneless;Meat, raw\r\n"
    )

    assert body["data"]["delimiter"] == ";"
    item.refresh_from_db()
    assert (item.name, item.category) == ("Chicken, boneless", "Meat, raw")


def test_quoted_cells_keep_commas_quotes_and_newlines_and_later_lines_stay_right(api_client, item):
    text = (
        "sku,name,category,par_level\n"
        '"SKU-1001","Chicken, breast ""free range""","Meat\nand poultry",4\n'
        'NEW-1,"Two\nline\nname",Dry,x\n'
        "NEW-2,Tea,Dry,oops\n"
    )

    body = _import(api_client, ITEMS_IMPORT, text)

    assert row_errors(body) == [
        (4, "par_level", "par_level must be a number, not 'x'."),
        (7, "par_level", "par_level must be a number, not 'oops'."),
    ]
    item.refresh_from_db()
    assert item.name == 'Chicken, breast "free range"'
    assert item.category == "Meat\nand poultry"


def test_blank_and_trailing_empty_lines_are_skipped_and_lines_still_counted(api_client, stocked):
    text = (
        "sku,location,quantity,lot\n"
        "\n"
        "SKU-1001,WALK-IN,1,A\n"
        ",,,\n"
        "   \n"
        "SKU-1001,WALK-IN,bad,B\n"
        "\r\n\r\n,,,\r\n\n"
    )

    body = _import(api_client, STOCK_IMPORT, text)

    assert body["data"]["total_rows"] == 2
    assert row_errors(body) == [(6, "quantity", "quantity must be a number, not 'bad'.")]
    assert _quantities() == {"": Decimal(10), "A": Decimal(1)}


def test_blank_lines_before_the_header_are_skipped_and_counted(api_client, stocked):
    body = _import(api_client, STOCK_IMPORT, "\n\nsku,location,quantity\nSKU-1001,WALK-IN,-1\n")

    assert row_errors(body) == [(4, "quantity", "quantity cannot be negative.")]


def test_header_names_are_read_in_any_case_and_spacing(api_client, item):
    body = _import(
        api_client,
        ITEMS_IMPORT,
        " SKU ,NAME,Reorder Min,reorder-max, Par  Level \nSKU-1001,Chicken thigh,3,30,12\n",
    )

    assert body["errors"] == []
    assert body["data"]["ignored_columns"] == []
    item.refresh_from_db()
    assert (item.name, item.reorder_min, item.reorder_max, item.par_level) == (
        "Chicken thigh",
        Decimal(3),
        Decimal(30),
        Decimal(12),
    )


def test_unknown_columns_are_reported_and_ignored(api_client, item):
    body = _import(
        api_client, ITEMS_IMPORT, "sku,name,Supplier Name,notes,\nSKU-1001,Chicken thigh,Acme,x,\n"
    )

    assert body["data"]["ignored_columns"] == ["supplier_name", "notes"]
    assert body["errors"] == []
    item.refresh_from_db()
    assert item.name == "Chicken thigh"


def test_a_column_without_a_header_name_is_not_read(api_client, item):
    body = _import(api_client, ITEMS_IMPORT, "sku,,name\nSKU-1001,x,Chicken thigh\n")

    assert body["errors"] == []
    assert body["data"]["ignored_columns"] == []
    item.refresh_from_db()
    assert item.name == "Chicken thigh"


def test_several_columns_without_a_header_name_are_not_read(api_client, item):
    body = _import(api_client, ITEMS_IMPORT, "sku,,name,,par_level\nSKU-1001,x,Chicken thigh,y,4\n")

    assert body["errors"] == []
    item.refresh_from_db()
    assert (item.name, item.par_level) == ("Chicken thigh", 4)


def test_a_short_row_is_read_with_blank_cells(api_client, item):
    body = _import(
        api_client, ITEMS_IMPORT, "sku,name,category,par_level\nSKU-1001,Chicken thigh\n"
    )

    assert counts(body)["updated"] == 1
    item.refresh_from_db()
    assert (item.name, item.category, item.par_level) == ("Chicken thigh", "Protein", 10)


def test_empty_cells_after_the_last_column_are_tolerated(api_client, stocked):
    body = _import(api_client, STOCK_IMPORT, "sku,location,quantity\nSKU-1001,WALK-IN,4,,\n")

    assert body["errors"] == []
    assert _quantities() == {"": Decimal(4)}


def test_cells_are_trimmed(api_client, stocked):
    body = _import(
        api_client, STOCK_IMPORT, "sku , location , quantity\n  SKU-1001 ,  WALK-IN , 4 \n"
    )

    assert body["errors"] == []
    assert _quantities() == {"": Decimal(4)}


def test_the_quote_a_spreadsheet_puts_before_a_formula_is_removed(api_client, db):
    _import(
        api_client,
        ITEMS_IMPORT,
        "sku,name,category\n'=SKU-1,'+plus,'-minus\n'@SKU-2,'@at,'=SUM(A1)\nSKU-3,'007,'x\n",
    )

    assert dict(Item.objects.values_list("sku", "name")) == {
        "=SKU-1": "+plus",
        "@SKU-2": "@at",
        "SKU-3": "'007",
    }
    assert dict(Item.objects.values_list("sku", "category")) == {
        "=SKU-1": "-minus",
        "@SKU-2": "=SUM(A1)",
        "SKU-3": "'x",
    }


def test_a_multipart_upload_of_a_spreadsheet_file_is_imported(api_client, stocked):
    content = (
        "\ufeffSKU;Location;Quantity;Lot\r\nSKU-1001;WALK-IN;2.5;\r\nSKU-1001;WALK-IN;1;B\r\n\r\n"
    )

    response = upload_csv(api_client, STOCK_IMPORT, content.encode("utf-8"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"]["delimiter"] == ";"
    assert (body["data"]["updated"], body["data"]["inserted"]) == (1, 1)
    assert _quantities() == {"": Decimal("2.5"), "B": Decimal(1)}


def test_a_multipart_upload_takes_the_query_options(api_client, stocked):
    response = upload_csv(
        api_client,
        STOCK_IMPORT,
        "sku,location,quantity\nSKU-1001,WALK-IN,1\n",
        query="dry_run=true",
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["dry_run"] is True
    assert _quantities() == {"": Decimal(10)}
