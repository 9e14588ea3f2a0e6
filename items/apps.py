"""App config of items: declares which cached responses item writes make stale."""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self) -> None:
        from inventory_project import cache
        from items.cache_keys import ITEMS_ACTIVE, ITEMS_ALL, ITEMS_GROUP

        cache.register(ITEMS_ALL, groups=[ITEMS_GROUP])
        cache.register(ITEMS_ACTIVE, groups=[ITEMS_GROUP])
