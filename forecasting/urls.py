"""Forecasting routes, with or without a trailing slash."""

from django.urls import re_path

from forecasting import api

urlpatterns = [
    re_path(r"^usage/import/?$", api.UsageImportApi.as_view(), name="usage-import"),
    re_path(r"^forecasts/?$", api.ForecastViewSet.as_view({"get": "list"}), name="forecast-list"),
    # Before the detail route: "runs" is reserved, never a SKU.
    re_path(
        r"^forecasts/runs/?$",
        api.ForecastRunViewSet.as_view({"get": "list"}),
        name="forecast-run-list",
    ),
    re_path(
        r"^forecasts/(?P<sku>[^/]+)/?$",
        api.ForecastViewSet.as_view({"get": "retrieve"}),
        name="forecast-detail",
    ),
    re_path(
        r"^promotions/?$",
        api.PromotionViewSet.as_view({"get": "list", "post": "create"}),
        name="promotion-list",
    ),
    re_path(
        r"^reorder-suggestions/?$",
        api.ReorderSuggestionApi.as_view(),
        name="reorder-suggestions",
    ),
]
