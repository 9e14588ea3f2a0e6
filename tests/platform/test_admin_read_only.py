"""`ReadOnlyAdmin`: the pages of rows only services and jobs write refuse every edit, to anyone."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from inventory.admin import StockRecordInline
from inventory_project.admin_helpers import ReadOnlyAdmin
from items.models import Item
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

READ_ONLY_MODELS = {
    "forecasting.dailyusage",
    "forecasting.forecastrun",
    "forecasting.itemforecast",
    "forecasting.itemmodelchoice",
    "inventory.stockmovement",
    "inventory_project.alert",
    "inventory_project.jobrun",
}


@pytest.fixture
def superuser_request(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    return request


def test_the_read_only_pages_are_the_ledger_the_jobs_and_the_forecasts():
    read_only = {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ReadOnlyAdmin)
    }

    assert read_only == READ_ONLY_MODELS


@pytest.mark.parametrize("label", sorted(READ_ONLY_MODELS))
def test_a_superuser_may_view_but_not_add_change_or_delete(label, superuser_request):
    model_admin = next(
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.label_lower == label
    )

    assert model_admin.has_view_permission(superuser_request)
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)


def test_the_stock_inline_of_an_item_is_read_only_for_a_superuser(superuser_request):
    item = ItemFactory()
    inline = StockRecordInline(Item, admin.site)

    assert inline.has_view_permission(superuser_request, item)
    assert not inline.has_add_permission(superuser_request, item)
    assert not inline.has_change_permission(superuser_request, item)
    assert not inline.has_delete_permission(superuser_request, item)
