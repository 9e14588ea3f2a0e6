"""The admin's downloads: the rows a change list shows, as CSV or .xlsx, in the import's format."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory import services as stock_services
from inventory.models import StockMovement
from inventory.stock_csv import STOCK_CSV_COLUMNS, import_stock_counts_csv
from items.item_csv import CSV_COLUMNS, import_items_csv
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db


def signed_in(client, role: str):
    client.force_login(user_with_role(role, email=f"{role}-export@example.com"))
    return client


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return b"".join(response)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).decode("utf-8"))))


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content(response)), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def pantry():
    """Three items in two categories, two of them stocked in two locations."""
    walk_in, dry = LocationFactory(code="WALK-IN"), LocationFactory(code="DRY")
    rice = ItemFactory(sku="RICE", name="Basmati rice", category="Dry goods", par_level=5)
    oil = ItemFactory(sku="OIL", name="Olive oil", category="Oils")
    ItemFactory(sku="SALT", name="Sea salt", category="Dry goods")
    stock_services.stock_receive(item=rice, location=walk_in, quantity=Decimal("2.5"))
    stock_services.stock_receive(item=oil, location=dry, quantity=Decimal("4"))
    return walk_in, dry


def test_the_item_list_offers_both_downloads_with_its_filters(client, pantry):
    page = signed_in(client, "viewer").get(
        reverse("admin:items_item_changelist"), {"category": "Dry goods"}
    )

    html = page.content.decode()
    assert f"{reverse('admin:items_item_export_csv')}?category=Dry+goods" in html
    assert f"{reverse('admin:items_item_export_xlsx')}?category=Dry+goods" in html


def test_the_items_csv_download_holds_the_filtered_rows_in_the_list_order(client, pantry):
    response = signed_in(client, "viewer").get(
        reverse("admin:items_item_export_csv"), {"category": "Dry goods"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="items-')
    header, *rows = csv_rows(response)
    assert header == list(CSV_COLUMNS)
    # The list's order: by name.
    assert [row[0] for row in rows] == ["RICE", "SALT"]


def test_the_items_csv_download_reimports_unchanged(client, pantry):
    response = signed_in(client, "staff").get(reverse("admin:items_item_export_csv"))

    report = import_items_csv(csv_file=io.BytesIO(content(response)), dry_run=True)

    assert (report.total_rows, report.unchanged, report.error_count) == (3, 3, 0)


def test_the_items_xlsx_download_is_the_list_as_a_workbook(client, pantry):
    response = signed_in(client, "viewer").get(reverse("admin:items_item_export_xlsx"))

    assert response["Content-Disposition"].startswith('attachment; filename="items-')
    header, *rows = xlsx_rows(response)
    assert header == tuple(CSV_COLUMNS)
    assert [row[0] for row in rows] == ["RICE", "OIL", "SALT"]


def test_the_items_xlsx_download_reimports_unchanged(client, pantry):
    response = signed_in(client, "staff").get(reverse("admin:items_item_export_xlsx"))

    report = import_items_csv(csv_file=io.BytesIO(content(response)), dry_run=True)

    assert (report.total_rows, report.unchanged, report.error_count) == (3, 3, 0)


def test_the_stock_download_holds_the_records_of_the_filtered_location(client, pantry):
    walk_in, _ = pantry
    response = signed_in(client, "viewer").get(
        reverse("admin:inventory_stockrecord_export_xlsx"), {"location__id__exact": walk_in.pk}
    )

    header, *rows = xlsx_rows(response)
    assert header == tuple(STOCK_CSV_COLUMNS)
    assert [(row[0], row[1], row[2]) for row in rows] == [("RICE", "WALK-IN", 2.5)]


def test_the_stock_csv_download_reimports_without_a_ledger_row(client, pantry):
    response = signed_in(client, "staff").get(reverse("admin:inventory_stockrecord_export_csv"))
    movements = StockMovement.objects.count()

    report = import_stock_counts_csv(csv_file=io.BytesIO(content(response)))

    assert (report.total_rows, report.unchanged, report.error_count) == (2, 2, 0)
    assert StockMovement.objects.count() == movements


def test_a_download_with_a_filter_the_list_does_not_know_goes_back_to_the_list(client, pantry):
    response = signed_in(client, "viewer").get(
        reverse("admin:items_item_export_csv"), {"no_such_field__gt": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:items_item_changelist')}?e=1"


def test_a_signed_out_visitor_gets_the_login_page_not_the_rows(client, pantry):
    response = client.get(reverse("admin:items_item_export_csv"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert b"RICE" not in content(response)


def test_a_download_from_a_later_page_holds_every_page(client, pantry):
    response = signed_in(client, "viewer").get(reverse("admin:items_item_export_csv"), {"p": "999"})

    assert response.status_code == 200
    assert len(csv_rows(response)) == 1 + 3


def test_a_search_the_list_refuses_goes_back_to_the_list_instead_of_downloading_all(client, pantry):
    response = signed_in(client, "viewer").get(
        reverse("admin:items_item_export_csv"), {"q": "RI\x00CE"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:items_item_changelist')}?e=1"
