"""Numbers as European spreadsheets write them: a decimal comma in files separated by `;`."""

import io
from decimal import Decimal

import pytest

from forecasting.models import DailyUsage
from forecasting.usage_csv import import_usage_csv
from inventory.models import StockRecord
from inventory.stock_csv import import_stock_counts_csv
from items.item_csv import import_items_csv
from items.models import Item
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def test_an_item_file_separated_by_semicolons_reads_decimal_commas():
    report = import_items_csv(
        csv_file=csv_file("sku;name;par_level;reorder_max\r\nSKU-1;Flour;1,5;1.234,25\r\n")
    )

    assert report.error_count == 0
    item = Item.objects.get(sku="SKU-1")
    assert (item.par_level, item.reorder_max) == (Decimal("1.5"), Decimal("1234.25"))


def test_a_stock_count_separated_by_semicolons_reads_decimal_commas():
    ItemFactory(sku="SKU-1")
    LocationFactory(code="WALK-IN")

    report = import_stock_counts_csv(
        csv_file=csv_file("sku;location;quantity\nSKU-1;WALK-IN;12,75\n")
    )

    assert (report.inserted, report.error_count) == (1, 0)
    assert StockRecord.objects.get().quantity == Decimal("12.75")


def test_a_usage_file_separated_by_semicolons_reads_decimal_commas():
    ItemFactory(sku="SKU-1")

    report = import_usage_csv(
        csv_file=csv_file("date;sku;quantity\n2024-01-02;SKU-1;-0,5\n2024-01-03;SKU-1;2,5\n")
    )

    assert report.error_count == 1  # a negative use is refused, comma or not
    assert DailyUsage.objects.get().quantity == Decimal("2.5")


def test_a_point_stays_a_decimal_point_in_a_semicolon_file():
    report = import_items_csv(csv_file=csv_file("sku;name;par_level\nSKU-1;Flour;1.5\n"))

    assert report.error_count == 0
    assert Item.objects.get(sku="SKU-1").par_level == Decimal("1.5")


def test_three_decimals_after_a_comma_are_decimals_in_a_semicolon_file():
    # Such files come from spreadsheets that write 1.500 for fifteen hundred, never 1,500.
    report = import_items_csv(csv_file=csv_file("sku;name;par_level\nSKU-1;Flour;1,500\n"))

    assert report.error_count == 0
    assert Item.objects.get(sku="SKU-1").par_level == Decimal("1.5")


@pytest.mark.parametrize("cell", ["1,5,0", "1.5,0", ",5", "1,", "1 000,5", "12.34,5"])
def test_a_comma_that_could_mean_two_numbers_is_refused_and_nothing_is_guessed(cell):
    report = import_items_csv(csv_file=csv_file(f"sku;name;par_level\nSKU-1;Flour;{cell}\n"))

    assert report.error_count == 1
    assert report.errors[0]["field"] == "par_level"
    assert not Item.objects.exists()


def test_in_a_comma_separated_file_a_quoted_decimal_comma_is_refused_with_the_reason():
    report = import_items_csv(csv_file=csv_file('sku,name,par_level\nSKU-1,Flour,"1,5"\n'))

    assert report.error_count == 1
    assert "separated by ;" in report.errors[0]["error"]
    assert not Item.objects.exists()
