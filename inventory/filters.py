"""Query-string filters of the stock list and the ledger."""

import django_filters
from django.db.models import Q

from inventory.models import MovementKind, MovementSource, StockMovement, StockRecord
from inventory_project.api.filters import StrictBooleanFilter, UtcIsoDateTimeFilter


class StockFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="item__sku", help_text="Exact SKU.")
    location = django_filters.CharFilter(field_name="location__code", help_text="Location code.")
    category = django_filters.CharFilter(field_name="item__category")
    active = StrictBooleanFilter(field_name="item__active", help_text="Item is active.")
    lot = django_filters.CharFilter(field_name="lot")
    expires_before = django_filters.DateFilter(field_name="expires_at", lookup_expr="lte")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Case-insensitive match in SKU or item name."
    )

    class Meta:
        model = StockRecord
        fields = ["sku", "location", "category", "active", "lot", "expires_before", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(item__sku__icontains=value) | Q(item__name__icontains=value))


class MovementFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="item__sku")
    location = django_filters.CharFilter(field_name="location__code")
    lot = django_filters.CharFilter(field_name="lot")
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices)
    source = django_filters.ChoiceFilter(choices=MovementSource.choices)
    request_id = django_filters.CharFilter(field_name="request_id")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = [
            "sku",
            "location",
            "lot",
            "kind",
            "source",
            "request_id",
            "created_after",
            "created_before",
        ]
