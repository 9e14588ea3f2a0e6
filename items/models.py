"""The item master: what a kitchen or warehouse stocks, identified by its SKU."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

# Quantities are decimals: kilograms and litres are fractional. 14 digits, 3 after the point,
# so every stored value is exactly representable as a JSON number.
QUANTITY_DIGITS = 14
QUANTITY_PLACES = 3
SKU_MAX_LENGTH = 64
# Largest magnitude such a field can hold.
MAX_QUANTITY = Decimal(10) ** (QUANTITY_DIGITS - QUANTITY_PLACES) - Decimal("0.001")


def quantity_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, **kwargs)


def item_label(sku: str, name: str) -> str:
    """How an item is named in the admin and the audit trail."""
    return f"{sku} · {name}"


class Item(models.Model):
    sku = models.CharField("SKU", max_length=SKU_MAX_LENGTH, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True, default="")
    uom = models.CharField("unit of measure", max_length=20, default="each")
    reorder_min = quantity_field(default=Decimal(0), validators=[MinValueValidator(0)])
    reorder_max = quantity_field(default=Decimal(0), validators=[MinValueValidator(0)])
    par_level = quantity_field(default=Decimal(0), validators=[MinValueValidator(0)])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The list route orders by name and filters by active and category.
            models.Index(fields=["name", "id"], name="item_name_id_idx"),
            models.Index(fields=["active", "name"], name="item_active_name_idx"),
            models.Index(fields=["category", "name"], name="item_category_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reorder_min__gte=0)
                & models.Q(reorder_max__gte=0)
                & models.Q(par_level__gte=0),
                name="item_levels_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return item_label(self.sku, self.name)
