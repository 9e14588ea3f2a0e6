"""An item's stock on hand as one expression, shared by low stock, the admin and reorder."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.models import StockMovement
from inventory.selectors import on_hand_by_item
from items.models import Item
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _on_hand() -> dict[str, Decimal]:
    return dict(Item.objects.annotate(on_hand=on_hand_by_item()).values_list("sku", "on_hand"))


def test_on_hand_is_the_sum_over_locations_and_lots():
    item = ItemFactory(sku="SUM-1")
    store, bar = LocationFactory(code="STORE"), LocationFactory(code="BAR")
    services.stock_receive(item=item, location=store, quantity=Decimal("2.5"))
    services.stock_receive(item=item, location=store, quantity=Decimal("4"), lot="L1")
    services.stock_receive(item=item, location=bar, quantity=Decimal("0.125"), lot="L2")

    assert _on_hand() == {"SUM-1": Decimal("6.625")}


def test_an_item_without_stock_has_zero_on_hand():
    ItemFactory(sku="NONE-1")

    assert _on_hand() == {"NONE-1": Decimal(0)}


def test_records_counted_to_zero_add_up_to_zero():
    item = ItemFactory(sku="ZERO-1")
    location = LocationFactory()
    services.stock_receive(item=item, location=location, quantity=Decimal("3"))
    services.stock_count(item=item, location=location, counted_quantity=Decimal(0))

    assert _on_hand() == {"ZERO-1": Decimal(0)}


def test_other_items_stock_is_not_counted():
    first = ItemFactory(sku="A-1")
    ItemFactory(sku="B-1")
    location = LocationFactory()
    services.stock_receive(item=first, location=location, quantity=Decimal("7"))

    assert _on_hand() == {"A-1": Decimal("7"), "B-1": Decimal(0)}


def test_rows_that_point_at_an_item_name_its_id(django_assert_num_queries):
    item = ItemFactory()
    location = LocationFactory()
    services.stock_receive(item=item, location=location, quantity=Decimal("5"))
    services.stock_receive(item=item, location=location, quantity=Decimal("1"), lot="L1")

    with django_assert_num_queries(1):
        totals = list(
            StockMovement.objects.annotate(on_hand=on_hand_by_item("item_id")).values_list(
                "on_hand", flat=True
            )
        )

    assert totals == [Decimal("6"), Decimal("6")]
