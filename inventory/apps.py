"""App config of inventory: locations are audited; stock changes have the ledger instead."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from inventory.models import Location
        from inventory_project import audit

        audit.register(Location, exclude=["created_at"])
