"""Item routes; both with and without a trailing slash, as v20 answered."""

from django.urls import re_path

from items.api import ItemViewSet

item_list = ItemViewSet.as_view({"get": "list", "post": "create"})
item_detail = ItemViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    re_path(r"^items/?$", item_list, name="item-list"),
    re_path(r"^items/(?P<sku>[^/]+)/?$", item_detail, name="item-detail"),
]
