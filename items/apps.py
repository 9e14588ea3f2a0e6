"""App config of items: declares which cached responses item writes make stale."""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self) -> None:
        from inventory_project import cache
        from items.cached import ITEM_LIST_ACTIVE, ITEM_LIST_ALL, ITEMS_GROUP

        cache.register(ITEM_LIST_ALL.key, groups=[ITEMS_GROUP])
        cache.register(ITEM_LIST_ACTIVE.key, groups=[ITEMS_GROUP])
