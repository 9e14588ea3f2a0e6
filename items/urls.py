"""Item routes, answering both with and without a trailing slash."""

from django.urls import re_path

from items.api import ItemImportApi, ItemViewSet

item_list = ItemViewSet.as_view({"get": "list", "post": "create"})
item_detail = ItemViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    re_path(r"^items/?$", item_list, name="item-list"),
    # Before the detail route: "import" and "export" are reserved, never SKUs.
    re_path(r"^items/import/?$", ItemImportApi.as_view(), name="item-import"),
    re_path(r"^items/export/?$", ItemViewSet.as_view({"get": "export"}), name="item-export"),
    re_path(
        r"^items/export\.xlsx/?$",
        ItemViewSet.as_view({"get": "export_xlsx"}),
        name="item-export-xlsx",
    ),
    re_path(r"^items/(?P<sku>[^/]+)/?$", item_detail, name="item-detail"),
]
