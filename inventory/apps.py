"""App config of inventory: declares which cached responses stock and item writes make stale."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from inventory.cache_keys import STOCK_GROUP, SUMMARY
        from inventory_project import cache
        from items.cache_keys import ITEMS_GROUP

        # The summary counts items (active, below par) as well as stock.
        cache.register(SUMMARY, groups=[ITEMS_GROUP, STOCK_GROUP])
