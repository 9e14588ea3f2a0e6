"""The item admin: a thin layer over the item services, with the stock on hand beside each item."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory import services as stock_services
from items.admin import ItemAdminForm
from items.models import Item
from tests.conftest import user_with_role
from tests.factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:items_item_changelist"


def change_url(item: Item) -> str:
    return reverse("admin:items_item_change", args=[item.pk])


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def new_item(**fields) -> dict:
    data = {
        "sku": "SKU-7777",
        "name": "Smoked paprika",
        "category": "Spices",
        "uom": "kg",
        "active": "on",
        "reorder_min": "1",
        "reorder_max": "5",
        "par_level": "2",
    }
    data.update(fields)
    return data


def changeform_data(response) -> dict:
    """What the browser would send back for a change page as it was rendered, inlines included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def results(response) -> list:
    return list(response.context["cl"].result_list)


# --- the list -------------------------------------------------------------------------------


def test_the_item_list_finds_items_by_sku_or_name(admin_client):
    flour = ItemFactory(sku="FL-1", name="Bread flour")
    rice = ItemFactory(sku="RI-1", name="Basmati rice")

    by_sku = admin_client.get(reverse(CHANGELIST), {"q": "RI-1"})
    by_name = admin_client.get(reverse(CHANGELIST), {"q": "flour"})

    assert results(by_sku) == [rice]
    assert results(by_name) == [flour]


def test_the_item_list_filters_by_category_and_active(admin_client):
    milk = ItemFactory(category="Dairy")
    ItemFactory(category="Dairy", active=False)
    ItemFactory(category="Produce")

    response = admin_client.get(reverse(CHANGELIST), {"category": "Dairy", "active__exact": "1"})

    assert results(response) == [milk]


def test_the_item_list_shows_the_total_on_hand_over_all_locations(admin_client):
    item = ItemFactory(uom="kg")
    for location in (LocationFactory(), LocationFactory()):
        stock_services.stock_receive(item=item, location=location, quantity=Decimal("2.5"))
    ItemFactory(uom="kg")  # no stock at all

    response = admin_client.get(reverse(CHANGELIST))

    on_hand = {row.pk: row.on_hand for row in results(response)}
    assert on_hand[item.pk] == Decimal("5")
    assert sorted(on_hand.values()) == [Decimal("0"), Decimal("5")]
    assert "5 kg" in response.content.decode()


@pytest.mark.parametrize("items", [3, 40])
def test_the_item_list_takes_the_same_few_queries_for_any_number_of_items(
    admin_client, items, django_assert_max_num_queries
):
    location = LocationFactory()
    for _ in range(items):
        stock_services.stock_receive(item=ItemFactory(), location=location, quantity=Decimal("3"))

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse(CHANGELIST))

    assert len(results(response)) == items


# --- deactivating ---------------------------------------------------------------------------


def test_the_deactivate_action_deactivates_the_selected_items(admin_client):
    chosen = [ItemFactory(), ItemFactory()]
    other = ItemFactory()

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "deactivate_selected", "_selected_action": [item.pk for item in chosen]},
    )

    assert response.status_code == 302
    assert list(Item.objects.filter(active=False).order_by("pk")) == chosen
    other.refresh_from_db()
    assert other.active is True


def test_deactivating_is_for_admins_like_the_apis_delete(client):
    item = ItemFactory()
    client.force_login(user_with_role("staff", email="staff-items@example.com"))

    client.post(
        reverse(CHANGELIST), {"action": "deactivate_selected", "_selected_action": [item.pk]}
    )

    item.refresh_from_db()
    assert item.active is True


def test_items_cannot_be_deleted_in_the_admin(admin_client):
    item = ItemFactory()

    response = admin_client.post(
        reverse("admin:items_item_delete", args=[item.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


# --- adding and changing --------------------------------------------------------------------


def test_adding_an_item_creates_it(admin_client):
    response = admin_client.post(reverse("admin:items_item_add"), new_item(sku=" SKU-7777 "))

    assert response.status_code == 302
    item = Item.objects.get(sku="SKU-7777")
    assert (item.name, item.uom, item.reorder_max) == ("Smoked paprika", "kg", Decimal("5"))


def test_a_duplicate_sku_is_a_form_error(admin_client):
    ItemFactory(sku="SKU-7777", name="Original")

    response = admin_client.post(reverse("admin:items_item_add"), new_item())

    assert response.status_code == 200
    assert "sku" in form_errors(response)
    assert Item.objects.get().name == "Original"


def test_a_duplicate_created_after_the_form_check_is_a_form_error_too(admin_client, monkeypatch):
    # As if another request created the SKU between the form's check and the service's insert.
    monkeypatch.setattr(ItemAdminForm, "validate_unique", lambda form: None)
    ItemFactory(sku="SKU-7777", name="Original")

    response = admin_client.post(reverse("admin:items_item_add"), new_item())

    assert response.status_code == 200
    assert "already exists" in str(form_errors(response)["sku"])
    assert Item.objects.count() == 1


def test_an_sku_with_a_slash_is_a_form_error(admin_client):
    response = admin_client.post(reverse("admin:items_item_add"), new_item(sku="A/B"))

    assert response.status_code == 200
    assert "sku" in form_errors(response)
    assert not Item.objects.exists()


def test_reorder_max_below_reorder_min_is_a_form_error_on_add(admin_client):
    response = admin_client.post(
        reverse("admin:items_item_add"), new_item(reorder_min="10", reorder_max="4")
    )

    assert response.status_code == 200
    assert "reorder_max" in form_errors(response)
    assert not Item.objects.exists()


def test_reorder_max_below_reorder_min_is_a_form_error_and_changes_nothing(admin_client):
    item = ItemFactory(name="Before", reorder_min=Decimal("2"), reorder_max=Decimal("20"))
    data = changeform_data(admin_client.get(change_url(item)))
    data.update(name="After", reorder_min="30")

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 200
    assert "reorder_max" in form_errors(response)
    item.refresh_from_db()
    assert (item.name, item.reorder_min) == ("Before", Decimal("2"))


def test_changing_an_item_saves_the_changed_fields(admin_client, stocked, item):
    data = changeform_data(admin_client.get(change_url(item)))
    data.update(name="Chicken breast, skinless", par_level="12.5")

    response = admin_client.post(change_url(item), data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "Chicken breast, skinless"
    assert item.par_level == Decimal("12.5")
    stocked.refresh_from_db()
    assert stocked.quantity == Decimal("10")
    assert stocked.movements.count() == 1


def test_the_sku_of_an_existing_item_cannot_be_changed(admin_client):
    item = ItemFactory(sku="SKU-0001")
    data = changeform_data(admin_client.get(change_url(item)))
    data["sku"] = "SKU-0002"

    admin_client.post(change_url(item), data)

    item.refresh_from_db()
    assert item.sku == "SKU-0001"


def test_the_item_page_shows_its_stock_read_only_with_links_to_each_record(
    admin_client, stocked, item
):
    response = admin_client.get(change_url(item))

    (inline,) = response.context["inline_admin_formsets"]
    assert [form.original for form in inline] == [stocked]
    assert not inline.has_change_permission
    assert "quantity" not in inline.formset.forms[0].fields
    record_url = reverse("admin:inventory_stockrecord_change", args=[stocked.pk])
    assert record_url in response.content.decode()
