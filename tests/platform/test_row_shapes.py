"""A list route's rows and its documented row are one shape.

A route built on `ColumnsListMixin` reads its rows as dicts straight from the database (its
`columns`, kept in the app's selectors) and documents them with a serializer that never renders
anything (its `serializer_class`, the OpenAPI row). The two are declared apart in most apps, so
this test holds them together: same field names, same order, for every such route of the
URLconf (the items route derives its serializer from its columns, and passes as well). The
list routes whose selectors build each row by hand (the audit trail, reorder suggestions) are
held to their serializers by reading a row.
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.audit_api import AuditEntrySerializer
from forecasting.models import ForecastRun
from forecasting.serializers import ReorderSuggestionSerializer
from inventory_project.api.viewsets import ColumnsListMixin
from tests.factories import ItemFactory
from tests.forecasting import support


def _views(patterns) -> set[type]:
    found: set[type] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found |= _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if isinstance(view, type) and issubclass(view, ColumnsListMixin):
                found.add(view)
    return found


LIST_VIEWS = sorted(_views(get_resolver().url_patterns), key=lambda view: view.__qualname__)


def test_the_urlconf_has_the_list_routes_this_test_is_about():
    names = {view.__name__ for view in LIST_VIEWS}

    assert {"ItemViewSet", "StockViewSet", "LocationViewSet", "ForecastViewSet"} <= names


@pytest.mark.parametrize("view", LIST_VIEWS, ids=lambda view: view.__name__)
def test_a_list_routes_documented_row_has_its_columns_in_their_order(view):
    documented = tuple(view.serializer_class().fields)

    assert documented == view.columns.names, (
        f"{view.__module__}.{view.__name__}: the columns of its rows ({view.columns.names}) and "
        f"the fields of {view.serializer_class.__name__} ({documented}) differ; change both."
    )


@pytest.mark.django_db
def test_an_audit_row_has_the_fields_of_its_documented_row(api_client):
    ItemFactory(sku="SKU-1", name="Flour")

    rows = api_client.get("/api/audit").json()["data"]

    assert rows
    assert {tuple(row) for row in rows} == {tuple(AuditEntrySerializer().fields)}


@pytest.mark.django_db
def test_a_reorder_suggestion_has_the_fields_of_its_documented_row(api_client, location):
    run = ForecastRun.objects.create(
        kind=ForecastRun.Kind.FORECAST,
        status=ForecastRun.Status.SUCCEEDED,
        history_end=timezone.localdate() - timedelta(days=1),
        config={"horizon_days": 14},
    )
    support.flat_forecast(run, support.item_with_stock(location, "1"), mean=3.0, horizon=14)

    [row] = api_client.get("/api/reorder-suggestions").json()["data"]

    assert tuple(row) == tuple(ReorderSuggestionSerializer().fields)
