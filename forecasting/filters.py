"""Query-string filters of the forecast, run and promotion lists.

The forecast filters hand their values to `forecasting.selectors.filter_forecasts`, so the API
and any other reader narrow forecasts the same way.
"""

import django_filters

from forecasting import selectors
from forecasting.models import DEMAND_CLASS_CHOICES, ForecastRun, ItemForecast, Promotion
from inventory_project.api.filters import StrictBooleanFilter


class ForecastFilter(django_filters.FilterSet):
    high_variance = StrictBooleanFilter(
        method="narrow", help_text="Only items flagged high-variance (true) or only the others."
    )
    demand_class = django_filters.ChoiceFilter(choices=DEMAND_CLASS_CHOICES, method="narrow")
    category = django_filters.CharFilter(method="narrow", help_text="Exact item category.")

    class Meta:
        model = ItemForecast
        fields = ["high_variance", "demand_class", "category"]

    def narrow(self, queryset, name, value):
        return selectors.filter_forecasts(queryset, **{name: value})


class ForecastRunFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ForecastRun.Kind.choices)
    status = django_filters.ChoiceFilter(choices=ForecastRun.Status.choices)

    class Meta:
        model = ForecastRun
        fields = ["kind", "status"]


class PromotionFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="item__sku", help_text="Exact SKU.")
    active_from = django_filters.DateFilter(
        field_name="last_day",
        lookup_expr="gte",
        help_text="Promotions still running on or after this day.",
    )
    active_to = django_filters.DateFilter(
        field_name="first_day",
        lookup_expr="lte",
        help_text="Promotions started on or before this day.",
    )

    class Meta:
        model = Promotion
        fields = ["sku", "active_from", "active_to"]
