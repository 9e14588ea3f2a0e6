"""App config of items: the item master is audited (see inventory_project.audit)."""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self) -> None:
        from inventory_project import audit
        from items.fields import STAMPED_ON_CREATE
        from items.models import Item

        # The timestamps change with every save; the trail's own timestamp says when. The CSV
        # import writes its entries with the same fields (`items.item_csv`).
        audit.register(Item, exclude=STAMPED_ON_CREATE)
