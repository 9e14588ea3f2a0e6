"""App config of inventory: declares which cached responses stock and item writes make stale."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from inventory.cached import STOCK_GROUP, SUMMARY
        from inventory_project import cache
        from items.cached import ITEMS_GROUP

        # The summary counts items (active, below par) as well as stock.
        cache.register(SUMMARY.key, groups=[ITEMS_GROUP, STOCK_GROUP])
