"""Inventory responses served from the cache (v20 key names), and the group of stock writes."""

from inventory import selectors
from inventory_project.cache import CachedEnvelope
from items.cached import ITEMS_GROUP

STOCK_GROUP = "stock"

# The summary counts items (active, below par) as well as stock.
SUMMARY = CachedEnvelope(
    "inventory:summary:v1",
    "CACHE_TTL_SUMMARY",
    lambda: {"success": True, "data": selectors.inventory_summary()},
    groups=(ITEMS_GROUP, STOCK_GROUP),
)
