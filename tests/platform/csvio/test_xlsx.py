""".xlsx spreadsheets in and out: read as the CSV they would be saved as, written as the exports."""

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from inventory import services as stock_services
from inventory.models import StockRecord
from inventory_project.csvio.xlsx import XLSX_CONTENT_TYPE, cell_text
from items.models import Item
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory
from tests.platform.csvio.support import ITEMS_IMPORT, STOCK_IMPORT, db_state, post_csv

pytestmark = pytest.mark.django_db

ITEMS_XLSX = "/api/items/export.xlsx"
STOCK_XLSX = "/api/inventory/export.xlsx"


def workbook_bytes(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds `rows`, values typed as a spreadsheet types them."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    data = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].values)


def post_xlsx(client, url, data: bytes, **kwargs):
    return post_csv(client, url, data, content_type=XLSX_CONTENT_TYPE, **kwargs)


def test_an_items_spreadsheet_with_typed_cells_is_imported_like_its_csv(api_client):
    data = workbook_bytes(
        [
            ["SKU", "Name", "Category", "UoM", "Reorder Min", "Par Level", "Active"],
            ["SKU-1", "Flour", "Dry goods", "kg", 5, 12.5, True],
            ["SKU-2", "Salt", "Spices", "kg", 0.25, 1, False],
            [None, None, None, None, None, None, None],  # a blank row, as spreadsheets leave
        ]
    )

    response = post_xlsx(api_client, ITEMS_IMPORT, data)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["inserted"] == 2
    flour, salt = Item.objects.order_by("sku")
    assert (flour.name, flour.reorder_min, flour.par_level, flour.active) == (
        "Flour",
        Decimal("5"),
        Decimal("12.5"),
        True,
    )
    assert (salt.reorder_min, salt.active) == (Decimal("0.25"), False)


def test_a_bad_row_of_a_spreadsheet_is_reported_by_its_line_like_a_csv_row(api_client):
    data = workbook_bytes([["sku", "name", "par_level"], ["SKU-1", "Flour", "lots"]])

    response = post_xlsx(api_client, ITEMS_IMPORT, data)

    body = response.json()
    assert body["data"]["errors"] == 1
    assert (body["errors"][0]["line"], body["errors"][0]["field"]) == (2, "par_level")
    assert not Item.objects.exists()


def test_the_items_export_as_xlsx_reimports_unchanged(api_client):
    ItemFactory(sku="SKU-1", name="=1+1 trick", par_level=Decimal("2.125"))
    ItemFactory(sku="SKU-2", name="Oil", active=False)
    before = db_state()

    rows = sheet_rows(api_client.get(ITEMS_XLSX))
    response = post_xlsx(api_client, ITEMS_IMPORT, _workbook_of(rows))

    assert rows[1][1] == "=1+1 trick"  # text, never a formula
    assert response.json()["data"]["unchanged"] == 2
    assert db_state() == before


def _workbook_of(rows: list[tuple]) -> bytes:
    return workbook_bytes([list(row) for row in rows])


def test_the_stock_export_as_xlsx_has_numbers_and_dates_and_reimports_unchanged(api_client):
    item = ItemFactory(sku="SKU-1")
    walk_in = LocationFactory(code="WALK-IN")
    stock_services.stock_receive(
        item=item,
        location=walk_in,
        quantity=Decimal("7.125"),
        lot="L1",
        expires_at=date(2027, 1, 31),
    )
    before = db_state()

    rows = sheet_rows(api_client.get(STOCK_XLSX))
    response = post_xlsx(api_client, STOCK_IMPORT, _workbook_of(rows))

    assert rows[0] == ("sku", "location", "quantity", "lot", "expires_at", "last_counted_at")
    assert rows[1][2] == 7.125  # a number a spreadsheet adds up
    assert isinstance(rows[1][4], datetime)
    assert response.json()["data"]["unchanged"] == 1
    assert db_state() == before


def test_a_spreadsheet_uploaded_as_a_multipart_file_is_imported(api_client):
    data = workbook_bytes([["sku", "name"], ["SKU-9", "Yeast"]])
    upload = SimpleUploadedFile("items.xlsx", data, content_type=XLSX_CONTENT_TYPE)

    response = api_client.post(ITEMS_IMPORT, {"file": upload}, format="multipart")

    assert response.json()["data"]["inserted"] == 1


def test_a_spreadsheet_in_the_admin_is_previewed_then_imported(client, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    client.force_login(user_with_role("staff", email="xlsx-admin@example.com"))
    data = workbook_bytes([["sku", "name"], ["SKU-3", "Rice"]])
    url = reverse("admin:items_item_import")

    preview = client.post(
        url,
        {"step": "upload", "file": SimpleUploadedFile("items.xlsx", data, XLSX_CONTENT_TYPE)},
    )
    assert preview.status_code == 200
    assert preview.context["report"].total_rows == 1
    assert not Item.objects.exists()
    client.post(url, {"step": "confirm", "token": preview.context["pending"].token})

    assert Item.objects.get().name == "Rice"


def test_the_import_command_reads_a_spreadsheet_file(tmp_path):
    path = tmp_path / "items.xlsx"
    path.write_bytes(workbook_bytes([["sku", "name"], ["SKU-4", "Sugar"]]))

    call_command("import_items", str(path), no_progress=True, stdout=io.StringIO())

    assert Item.objects.get().sku == "SKU-4"


def test_a_stock_count_spreadsheet_is_applied_with_its_ledger_rows(api_client):
    ItemFactory(sku="SKU-1")
    LocationFactory(code="WALK-IN")
    data = workbook_bytes([["sku", "location", "quantity"], ["SKU-1", "WALK-IN", 4.5]])

    response = post_xlsx(api_client, STOCK_IMPORT, data)

    assert response.json()["data"]["inserted"] == 1
    record = StockRecord.objects.get()
    assert record.quantity == Decimal("4.5")
    assert record.movements.count() == 1


def test_a_spreadsheet_that_unpacks_too_large_is_refused_before_it_is_read(api_client, settings):
    settings.XLSX_MAX_UNPACKED_BYTES = 2_000
    before = db_state()
    data = workbook_bytes([["sku", "name"], *([f"SKU-{n}", "x" * 50] for n in range(100))])

    response = post_xlsx(api_client, ITEMS_IMPORT, data)

    assert response.status_code == 400
    assert response.json()["code"] == "xlsx_too_large"
    assert db_state() == before


def test_a_zip_bomb_is_refused_in_a_blink(api_client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024  # 600 MB unpacked, under 1 MB sent

    response = post_xlsx(api_client, ITEMS_IMPORT, bomb.getvalue())

    assert response.status_code == 400
    assert response.json()["code"] == "xlsx_too_large"


def test_a_damaged_spreadsheet_is_refused_with_a_clear_error(api_client):
    response = post_xlsx(api_client, ITEMS_IMPORT, b"PK\x03\x04" + b"not really a zip" * 10)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_xlsx"
    assert not Item.objects.exists()


def test_a_zip_that_is_no_workbook_is_refused(api_client):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "hello")

    response = post_xlsx(api_client, ITEMS_IMPORT, archive.getvalue())

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_xlsx"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (7.0, "7"),
        (0.1, "0.1"),
        (Decimal("2.500"), "2.5"),
        (datetime(2027, 1, 31), "2027-01-31"),
        (datetime(2027, 1, 31, 8, 30), "2027-01-31T08:30:00"),
        (date(2027, 1, 31), "2027-01-31"),
        ("Flour", "Flour"),
    ],
)
def test_a_cell_reads_as_the_csv_exports_write_it(value, text):
    assert cell_text(value) == text


def test_the_reorder_page_downloads_as_a_spreadsheet(client):
    client.force_login(user_with_role("staff", email="xlsx-reorder@example.com"))

    response = client.get(reverse("admin:forecasting_reorder"), {"format": "xlsx"})

    rows = sheet_rows(response)
    assert rows[0][:2] == ("sku", "name")
    assert response["Content-Disposition"].startswith('attachment; filename="reorder-')


def test_a_text_with_control_characters_is_exported_with_replacement_marks(api_client):
    ItemFactory(sku="SKU-1", name="Bad\x01name\x1f")

    rows = sheet_rows(api_client.get(ITEMS_XLSX))

    assert rows[1][1] == "Bad\ufffdname\ufffd"


def test_names_that_look_escaped_come_back_from_an_xlsx_export_unchanged(api_client):
    for n, name in enumerate(["'=quoted", "''+x", "'@home", "'plain", "-5 %"]):
        ItemFactory(sku=f"SKU-{n}", name=name)
    before = db_state()

    rows = sheet_rows(api_client.get(ITEMS_XLSX))
    response = post_xlsx(api_client, ITEMS_IMPORT, _workbook_of(rows))

    assert response.json()["data"]["unchanged"] == 5
    assert db_state() == before


def test_a_counted_record_comes_back_from_an_xlsx_export_to_the_microsecond(api_client):
    item, walk_in = ItemFactory(sku="SKU-1"), LocationFactory(code="WALK-IN")
    stock_services.stock_count(item=item, location=walk_in, counted_quantity=Decimal("3"))
    # As the clock stamps it: to the microsecond, finer than a workbook's milliseconds.
    StockRecord.objects.update(last_counted_at=datetime(2026, 12, 1, 9, 30, 5, 450268, tzinfo=UTC))
    record = StockRecord.objects.get()
    before = db_state()

    rows = sheet_rows(api_client.get(STOCK_XLSX))
    response = post_xlsx(api_client, STOCK_IMPORT, _workbook_of(rows))

    assert rows[1][5] == record.last_counted_at.isoformat()
    assert response.json()["data"]["unchanged"] == 1
    assert db_state() == before
