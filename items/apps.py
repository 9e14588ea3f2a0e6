"""App config of items: the item master is audited (see inventory_project.audit)."""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self) -> None:
        from inventory_project import audit
        from items.models import Item

        # The timestamps change with every save; the trail's own timestamp says when.
        audit.register(Item, exclude=["created_at", "updated_at"])
