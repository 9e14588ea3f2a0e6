"""Inventory responses served from the cache (v20 key names), and the group of stock writes."""

from inventory import selectors
from inventory_project.cache import CachedEnvelope

STOCK_GROUP = "stock"

SUMMARY = CachedEnvelope(
    "inventory:summary:v1",
    "CACHE_TTL_SUMMARY",
    lambda: {"success": True, "data": selectors.inventory_summary()},
)
