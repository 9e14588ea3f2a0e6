"""Item services: the item master's rules, whichever source (API, admin, import) calls them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockMovement, StockRecord
from inventory.services import stock_receive
from inventory_project.service_errors import ConflictError, ServiceError
from items.error_codes import ItemErrorCode
from items.models import Item
from items.services import item_create, item_deactivate, item_update
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


# --- item_create -----------------------------------------------------------------------------


def test_item_create_stores_every_given_field():
    item = item_create(
        sku="SKU-2001",
        name="Olive oil",
        category="Oils",
        uom="l",
        reorder_min=Decimal("1.5"),
        reorder_max=Decimal("12"),
        par_level=Decimal("6.25"),
        active=False,
    )

    stored = Item.objects.get(pk=item.pk)
    assert stored.sku == "SKU-2001"
    assert stored.name == "Olive oil"
    assert stored.category == "Oils"
    assert stored.uom == "l"
    assert stored.reorder_min == Decimal("1.5")
    assert stored.reorder_max == Decimal("12")
    assert stored.par_level == Decimal("6.25")
    assert stored.active is False


def test_item_create_fills_defaults_for_omitted_fields():
    item = item_create(sku="SKU-2002", name="Salt")

    stored = Item.objects.get(pk=item.pk)
    assert stored.category == ""
    assert stored.uom == "each"
    assert stored.reorder_min == stored.reorder_max == stored.par_level == Decimal(0)
    assert stored.active is True


def test_item_create_strips_blanks_around_sku_and_name():
    item = item_create(sku="  SKU-2003 ", name="  Pepper  ")

    stored = Item.objects.get(pk=item.pk)
    assert stored.sku == "SKU-2003"
    assert stored.name == "Pepper"


def test_item_create_with_a_taken_sku_is_a_conflict_and_adds_nothing():
    ItemFactory(sku="SKU-2004", name="Original")

    with pytest.raises(ConflictError) as refused:
        item_create(sku="SKU-2004", name="Impostor")

    assert refused.value.status_code == 409
    assert refused.value.code == ItemErrorCode.DUPLICATE_SKU
    assert refused.value.field == "sku"
    assert Item.objects.count() == 1
    assert Item.objects.get().name == "Original"


def test_item_create_with_a_taken_sku_after_stripping_blanks_is_a_conflict():
    ItemFactory(sku="SKU-2005")

    with pytest.raises(ConflictError):
        item_create(sku=" SKU-2005 ", name="Same SKU, padded")

    assert Item.objects.count() == 1


@pytest.mark.parametrize(
    "sku",
    [
        pytest.param("A/B", id="slash"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("X" * 65, id="too-long"),
        pytest.param("A\tB", id="tab"),
        pytest.param("A\nB", id="newline"),
    ],
)
def test_item_create_refuses_a_malformed_sku_and_adds_nothing(sku):
    with pytest.raises(ServiceError) as refused:
        item_create(sku=sku, name="Bad SKU")

    assert refused.value.status_code == 400
    assert refused.value.code == ItemErrorCode.INVALID_SKU
    assert refused.value.field == "sku"
    assert not Item.objects.exists()


def test_item_create_accepts_a_sku_of_exactly_64_characters():
    item = item_create(sku="S" * 64, name="Long SKU")

    assert Item.objects.get(pk=item.pk).sku == "S" * 64


def test_item_create_refuses_reorder_min_above_reorder_max():
    with pytest.raises(ServiceError) as refused:
        item_create(
            sku="SKU-2006", name="Flour", reorder_min=Decimal("10"), reorder_max=Decimal("5")
        )

    assert refused.value.code == ItemErrorCode.INVALID_LEVELS
    assert refused.value.field == "reorder_max"
    assert not Item.objects.exists()


def test_item_create_treats_reorder_max_zero_as_no_maximum():
    item = item_create(
        sku="SKU-2007", name="Sugar", reorder_min=Decimal("10"), reorder_max=Decimal(0)
    )

    assert Item.objects.get(pk=item.pk).reorder_min == Decimal("10")


# --- item_update -----------------------------------------------------------------------------


def test_item_update_changes_the_given_fields():
    item = ItemFactory(name="Old name", category="Old", par_level=Decimal("3"))

    item_update(item=item, data={"name": "New name", "par_level": Decimal("7.5")})

    stored = Item.objects.get(pk=item.pk)
    assert stored.name == "New name"
    assert stored.par_level == Decimal("7.5")


def test_item_update_keeps_the_values_of_omitted_fields():
    item = ItemFactory(
        name="Basmati rice",
        category="Grains",
        uom="kg",
        reorder_min=Decimal("2"),
        reorder_max=Decimal("20"),
        par_level=Decimal("10"),
        active=True,
    )

    item_update(item=item, data={"name": "Jasmine rice"})

    stored = Item.objects.get(pk=item.pk)
    assert stored.category == "Grains"
    assert stored.uom == "kg"
    assert stored.reorder_min == Decimal("2")
    assert stored.reorder_max == Decimal("20")
    assert stored.par_level == Decimal("10")
    assert stored.active is True


def test_item_update_moves_updated_at():
    item = ItemFactory(name="Before")
    long_ago = timezone.now() - timedelta(days=3)
    Item.objects.filter(pk=item.pk).update(updated_at=long_ago)
    item.refresh_from_db()

    item_update(item=item, data={"name": "After"})

    assert Item.objects.get(pk=item.pk).updated_at > long_ago


def test_item_update_refuses_a_new_sku_and_keeps_the_old_one():
    item = ItemFactory(sku="SKU-2010", name="Keep me")

    with pytest.raises(ServiceError) as refused:
        item_update(item=item, data={"sku": "SKU-2011", "name": "Renamed"})

    assert refused.value.code == ItemErrorCode.SKU_IMMUTABLE
    assert refused.value.field == "sku"
    stored = Item.objects.get(pk=item.pk)
    assert stored.sku == "SKU-2010"
    assert stored.name == "Keep me"


def test_item_update_accepts_the_items_own_sku():
    item = ItemFactory(sku="SKU-2012", name="Same")

    item_update(item=item, data={"sku": "SKU-2012", "name": "Same, renamed"})

    assert Item.objects.get(pk=item.pk).name == "Same, renamed"


def test_item_update_refuses_reorder_min_above_reorder_max_and_changes_nothing():
    item = ItemFactory(reorder_min=Decimal("2"), reorder_max=Decimal("20"), name="Levels")

    with pytest.raises(ServiceError) as refused:
        item_update(item=item, data={"reorder_min": Decimal("30"), "name": "Changed"})

    assert refused.value.code == ItemErrorCode.INVALID_LEVELS
    stored = Item.objects.get(pk=item.pk)
    assert stored.reorder_min == Decimal("2")
    assert stored.name == "Levels"


def test_item_update_refuses_a_field_that_is_not_editable():
    item = ItemFactory(name="Fixed")

    with pytest.raises(ServiceError) as refused:
        item_update(item=item, data={"created_at": timezone.now()})

    assert refused.value.field == "created_at"


# --- item_deactivate -------------------------------------------------------------------------


def test_item_deactivate_keeps_the_item_but_makes_it_inactive():
    item = ItemFactory(sku="SKU-2020", active=True)

    item_deactivate(item=item)

    stored = Item.objects.get(sku="SKU-2020")
    assert stored.active is False


def test_item_deactivate_keeps_its_stock_and_ledger(item, location):
    stock_receive(item=item, location=location, quantity=Decimal("4"))

    item_deactivate(item=item)

    assert StockRecord.objects.get(item=item).quantity == Decimal("4")
    assert StockMovement.objects.filter(item=item).count() == 1


def test_item_create_refuses_a_negative_level_from_any_source():
    with pytest.raises(ServiceError) as refused:
        item_create(sku="SKU-NEG", name="Negative", par_level=Decimal(-1))

    assert refused.value.field == "par_level"
    assert not Item.objects.filter(sku="SKU-NEG").exists()


def test_item_create_refuses_a_blank_name_from_any_source():
    with pytest.raises(ServiceError) as refused:
        item_create(sku="SKU-BLANK", name="   ")

    assert refused.value.field == "name"
    assert not Item.objects.filter(sku="SKU-BLANK").exists()
