"""Inventory routes, with or without a trailing slash."""

from django.urls import re_path

from inventory import api

urlpatterns = [
    re_path(r"^inventory/?$", api.StockViewSet.as_view({"get": "list"}), name="stock-list"),
    re_path(r"^inventory/import/?$", api.StockImportApi.as_view(), name="stock-import"),
    re_path(
        r"^inventory/export/?$", api.StockViewSet.as_view({"get": "export"}), name="stock-export"
    ),
    re_path(
        r"^inventory/export\.xlsx/?$",
        api.StockViewSet.as_view({"get": "export_xlsx"}),
        name="stock-export-xlsx",
    ),
    re_path(r"^inventory/summary/?$", api.InventorySummaryApi.as_view(), name="inventory-summary"),
    re_path(
        r"^inventory/movements/?$",
        api.MovementViewSet.as_view({"get": "list"}),
        name="movement-list",
    ),
    re_path(r"^inventory/movements/batch/?$", api.StockBatchApi.as_view(), name="stock-batch"),
    re_path(r"^inventory/receive/?$", api.StockReceiveApi.as_view(), name="stock-receive"),
    re_path(r"^inventory/issue/?$", api.StockIssueApi.as_view(), name="stock-issue"),
    re_path(
        r"^inventory/issue/reverse/?$",
        api.StockIssueReverseApi.as_view(),
        name="stock-issue-reverse",
    ),
    re_path(r"^inventory/waste/?$", api.StockWasteApi.as_view(), name="stock-waste"),
    re_path(r"^inventory/count/?$", api.StockCountApi.as_view(), name="stock-count"),
    re_path(r"^inventory/adjust/?$", api.StockAdjustApi.as_view(), name="stock-adjust"),
    re_path(r"^inventory/transfer/?$", api.StockTransferApi.as_view(), name="stock-transfer"),
    re_path(
        r"^locations/?$",
        api.LocationViewSet.as_view({"get": "list", "post": "create"}),
        name="location-list",
    ),
    re_path(
        r"^locations/(?P<code>[^/]+)/?$",
        api.LocationViewSet.as_view({"get": "retrieve"}),
        name="location-detail",
    ),
]
