"""Demand history for forecasting that the ledger does not hold: imported daily usage.

The ledger's `issue` movements are the demand the system saw itself; `DailyUsage` holds usage
from before the system (or from a point-of-sale) loaded by `POST /api/usage/import` or
`manage.py import_usage`. One row per item, location (or none: the item as a whole) and day.
"""

from django.db import models

from inventory.models import Location
from items.models import Item, quantity_field


class DailyUsage(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="daily_usage")
    # NULL: the usage of the item across all locations.
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="daily_usage"
    )
    date = models.DateField()
    quantity = quantity_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daily usage"
        ordering = ["-date", "item_id"]
        constraints = [
            # A unique constraint over a NULL column admits duplicates, hence two partial ones.
            models.UniqueConstraint(
                fields=["item", "location", "date"],
                condition=models.Q(location__isnull=False),
                name="daily_usage_item_location_date_uniq",
            ),
            models.UniqueConstraint(
                fields=["item", "date"],
                condition=models.Q(location__isnull=True),
                name="daily_usage_item_date_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="daily_usage_quantity_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="daily_usage_date_idx")]

    def __str__(self) -> str:
        where = f" @ {self.location.code}" if self.location_id else ""
        return f"{self.item.sku}{where} {self.date}: {self.quantity}"
