"""Locations, stock records and the append-only movement ledger.

A `StockRecord` holds the quantity on hand of one item at one location for one lot. Every change
of that quantity writes one `StockMovement` in the same transaction (see `inventory.services`),
so the quantity of a record always equals the sum of its movements' deltas.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from items.models import Item, quantity_field

LOCATION_CODE_MAX_LENGTH = 64
LOT_MAX_LENGTH = 64


class Location(models.Model):
    code = models.CharField(max_length=LOCATION_CODE_MAX_LENGTH, unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class StockRecord(models.Model):
    # No single-column indexes on the keys: the unique (item, location, lot) and the
    # (location, item) indexes start with them and serve the same lookups, one write cheaper.
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="stock_records", db_index=False
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_records", db_index=False
    )
    # "" means "no lot": a NULL would let the unique constraint admit duplicates.
    lot = models.CharField(max_length=LOT_MAX_LENGTH, blank=True, default="")
    quantity = quantity_field(default=0)
    expires_at = models.DateField(null=True, blank=True)
    last_counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [("move_stock", "Can receive, issue, count, adjust and transfer stock")]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "location", "lot"], name="stock_record_item_location_lot_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["location", "item"], name="stock_location_item_idx"),
            models.Index(fields=["expires_at"], name="stock_expires_at_idx"),
        ]

    def __str__(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"{self.item.sku} @ {self.location.code}{lot}"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ISSUE = "issue", "Issue"
    COUNT = "count", "Count"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER = "transfer", "Transfer"
    WASTE = "waste", "Waste / write-off"


class MovementSource(models.TextChoices):
    """Where a change came from: the API, the admin, an import, a command or the system."""

    API = "api", "API"
    ADMIN = "admin", "Admin"
    IMPORT = "import", "CSV import"
    COMMAND = "command", "Management command"
    SYSTEM = "system", "System"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a ledger row."""


class StockMovementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The stock movement ledger is append-only.")

    def delete(self):
        raise AppendOnlyError("The stock movement ledger is append-only.")


class StockMovement(models.Model):
    """One row of the ledger: a change of one stock record's quantity, never edited afterwards."""

    stock_record = models.ForeignKey(
        StockRecord, on_delete=models.PROTECT, related_name="movements"
    )
    # Item and location are copied from the record so the ledger can be read (and forecast
    # demand aggregated) without joining through stock records. Their lookups use the
    # (item, created_at) and (location, created_at) indexes, so no single-column ones.
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    lot = models.CharField(max_length=LOT_MAX_LENGTH, blank=True, default="")
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    quantity_delta = quantity_field()
    quantity_after = quantity_field()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_movements",
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=16, choices=MovementSource.choices)
    # Both legs of a transfer share one id.
    transfer_id = models.UUIDField(null=True, blank=True)
    # The issue this row puts back (an issue booked by mistake): kind `issue` with a positive
    # delta, so forecast demand nets it on the original's day. Unique: reversed at most once.
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each index serves a filter of the ledger API (`inventory.filters.MovementFilter`):
        # sku -> item, location, kind, source, request_id, created_after/before and the default
        # order -> (created_at, id); item and kind also serve forecasting's demand reads. The
        # `lot` filter has none. Cost on import (PostgreSQL 15, COPY of 100,000 count rows,
        # 2.0-2.3 s with everything): dropping any one index saved no more than the runs'
        # spread (under 10%), all eight secondary ones together about 35%; the foreign-key
        # checks are about 58%.
        # tests/inventory/test_ledger_indexes.py keeps filters and indexes matched.
        indexes = [
            models.Index(fields=["item", "created_at"], name="movement_item_created_idx"),
            models.Index(fields=["location", "created_at"], name="movement_location_created_idx"),
            models.Index(fields=["kind", "created_at"], name="movement_kind_created_idx"),
            models.Index(fields=["source", "created_at"], name="movement_source_created_idx"),
            models.Index(fields=["created_at", "id"], name="movement_created_idx"),
            models.Index(fields=["request_id"], name="movement_request_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_delta:+} {self.item_id}@{self.location_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The stock movement ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The stock movement ledger is append-only.")
