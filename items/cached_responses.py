"""Item responses served from the cache (v20 key names); item writes make them all stale."""

from inventory_project.http.response_cache import CachedEnvelope
from items import selectors

ITEMS_GROUP = "items"


def _item_list(*, active_only: bool) -> dict:
    queryset = selectors.item_queryset()
    if active_only:
        queryset = queryset.filter(active=True)
    rows = selectors.ITEM_COLUMNS.all(queryset)
    return {"success": True, "data": rows, "count": len(rows)}


ITEM_LIST_ALL = CachedEnvelope(
    "items:all:all",
    "CACHE_TTL_ITEMS",
    lambda: _item_list(active_only=False),
    groups=(ITEMS_GROUP,),
)
ITEM_LIST_ACTIVE = CachedEnvelope(
    "items:all:active",
    "CACHE_TTL_ITEMS",
    lambda: _item_list(active_only=True),
    groups=(ITEMS_GROUP,),
)


def item_detail(sku: str) -> CachedEnvelope:
    def build() -> dict:
        item = selectors.item_get(sku=sku)  # a 404 raises here, so it is never cached
        return {"success": True, "data": selectors.item_row(item_id=item.pk)}

    return CachedEnvelope(f"items:sku:{sku}", "CACHE_TTL_ITEMS", build, groups=(ITEMS_GROUP,))
