"""Query-string filters of the item list."""

import django_filters
from django.db.models import Q

from inventory_project.api.filters import StrictBooleanFilter
from items.models import Item


class ItemFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="sku", help_text="Exact SKU.")
    category = django_filters.CharFilter(field_name="category", help_text="Exact category.")
    active = StrictBooleanFilter(field_name="active")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Case-insensitive match in SKU or name."
    )

    class Meta:
        model = Item
        fields = ["sku", "category", "active", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))
