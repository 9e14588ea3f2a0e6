"""Inventory responses served from the cache (v20 key names), and the group of stock writes."""

from inventory import selectors
from inventory_project.http.response_cache import CachedEnvelope
from items.cached_responses import ITEMS_GROUP

STOCK_GROUP = "stock"

# The summary counts items (active, below par) as well as stock.
SUMMARY = CachedEnvelope(
    "inventory:summary:v1",
    "CACHE_TTL_SUMMARY",
    lambda: {"success": True, "data": selectors.inventory_summary()},
    groups=(ITEMS_GROUP, STOCK_GROUP),
)


def _stock_list() -> dict:
    rows = selectors.STOCK_COLUMNS.all(selectors.stock_queryset())
    return {"success": True, "data": rows, "count": len(rows)}


# The whole stock list (GET /api/inventory without parameters); rows carry item fields.
STOCK_LIST = CachedEnvelope(
    "inventory:stock:all", "CACHE_TTL_STOCK", _stock_list, groups=(ITEMS_GROUP, STOCK_GROUP)
)
