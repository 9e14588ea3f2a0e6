"""Input and output shapes of the inventory API."""

import copy
from decimal import Decimal

from rest_framework import serializers

from inventory.models import (
    LOCATION_CODE_MAX_LENGTH,
    LOT_MAX_LENGTH,
    Location,
    MovementKind,
    MovementSource,
    StockMovement,
)
from inventory.selectors import item_and_location
from inventory.services import BATCH_MAX_OPERATIONS, REASON_MAX_LENGTH
from inventory_project.api.fields import NaturalKeyField
from inventory_project.codes import storable_text
from inventory_project.text_length import max_length
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES, Item


def quantity_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        coerce_to_string=False,
        **kwargs,
    )


def sku_field() -> NaturalKeyField:
    return NaturalKeyField(
        slug_field="sku",
        queryset=Item.objects.all(),
        error_messages={"does_not_exist": "Unknown SKU {value}.", "invalid": "Invalid SKU."},
        help_text="SKU of an existing item.",
    )


def location_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(
        slug_field="code",
        queryset=Location.objects.all(),
        error_messages={
            "does_not_exist": "Unknown location {value}.",
            "invalid": "Invalid location code.",
        },
        help_text="Code of a location (stock may leave an inactive one, not enter it).",
        **kwargs,
    )


# --- output -------------------------------------------------------------------------------


class StockSerializer(serializers.Serializer):
    """A stock row: the quantity of one item at one location for one lot."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    location = serializers.CharField()
    quantity = quantity_field()
    lot = serializers.CharField(help_text='"" when the stock has no lot.')
    expires_at = serializers.DateField(allow_null=True)
    last_counted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    item_name = serializers.CharField()
    category = serializers.CharField()
    uom = serializers.CharField()
    par_level = quantity_field()


class MovementSerializer(serializers.Serializer):
    """A ledger row: one change of one stock row, never edited."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    location = serializers.CharField()
    lot = serializers.CharField()
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    quantity_delta = quantity_field()
    quantity_after = quantity_field()
    created_at = serializers.DateTimeField()
    created_by = serializers.EmailField(allow_null=True, help_text="Who made the change.")
    reason = serializers.CharField()
    source = serializers.ChoiceField(choices=MovementSource.choices)
    request_id = serializers.CharField()
    transfer_id = serializers.UUIDField(allow_null=True)
    reverses = serializers.IntegerField(
        allow_null=True, help_text="Id of the issue this row puts back (an issue reversal)."
    )


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SummarySerializer(serializers.Serializer):
    total_items = serializers.IntegerField(help_text="Active items.")
    total_quantity = quantity_field(help_text="Sum of all stock rows.")
    total_locations = serializers.IntegerField(help_text="Locations that hold stock rows.")
    low_stock_count = serializers.IntegerField(
        help_text="Active items whose total on hand is below par, or that have no stock."
    )
    timestamp = serializers.DateTimeField()


class StockChangeSerializer(serializers.Serializer):
    """What a stock operation answers: its ledger row and the stock row after it."""

    movement = MovementSerializer()
    stock = StockSerializer()


class TransferResultSerializer(serializers.Serializer):
    movements = MovementSerializer(many=True, help_text="Outgoing leg, then incoming leg.")
    from_stock = StockSerializer()
    to_stock = StockSerializer()


class StockBatchLineResultSerializer(serializers.Serializer):
    """What became of one operation of a batch."""

    index = serializers.IntegerField(help_text="Its place in `operations`, from 0.")
    status = serializers.ChoiceField(choices=["applied", "refused"])
    movement = MovementSerializer(required=False, help_text="The ledger row, when applied.")
    code = serializers.CharField(required=False, help_text="Why it was refused (error code).")
    error = serializers.CharField(required=False, help_text="Why it was refused, in words.")
    field = serializers.CharField(
        required=False, allow_null=True, help_text="The field of the operation refused."
    )


class StockBatchResultSerializer(serializers.Serializer):
    atomic = serializers.BooleanField()
    applied = serializers.IntegerField(help_text="Operations done.")
    refused = serializers.IntegerField(help_text="Operations refused (0 when atomic).")
    results = StockBatchLineResultSerializer(many=True, help_text="One per operation, in order.")
    stock = StockSerializer(many=True, help_text="Each stock row changed, as it is now.")


# --- input --------------------------------------------------------------------------------


class LocationCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=LOCATION_CODE_MAX_LENGTH)
    name = serializers.CharField(
        max_length=max_length(Location, "name"), required=False, allow_blank=True, default=""
    )
    active = serializers.BooleanField(default=True)


class _StockOperationSerializer(serializers.Serializer):
    sku = sku_field()
    location = location_field()
    lot = serializers.CharField(
        max_length=LOT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )

    def get_fields(self):
        # DRF deep-copies the declared fields for every serializer, rebuilding each from its
        # arguments: a third of a stock operation's validation. These fields are flat and keep
        # nothing between requests, so a shallow copy (bound to this serializer) does.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    def to_internal_value(self, data):
        # The item and the location in one query instead of one each: a stock operation's
        # statements are few and counted (BENCHMARKS.md). A key that is not a usable string
        # is left to its field to refuse.
        sku, code = (
            data.get(name) if hasattr(data, "get") else None for name in ("sku", "location")
        )
        if all(isinstance(key, str) and key.strip() and storable_text(key) for key in (sku, code)):
            item, location = item_and_location(sku=sku.strip(), code=code.strip())
            self.prefetched_natural_keys = {
                name: (key.strip(), found)
                for name, key, found in (("sku", sku, item), ("location", code, location))
                if found is not None
            }
        return super().to_internal_value(data)


class StockReceiveSerializer(_StockOperationSerializer):
    quantity = quantity_field(min_value=Decimal("0.001"))
    expires_at = serializers.DateField(required=False, allow_null=True, default=None)


class StockIssueSerializer(_StockOperationSerializer):
    quantity = quantity_field(min_value=Decimal("0.001"))
    allow_negative = serializers.BooleanField(
        default=False, help_text="Let the quantity go below zero instead of refusing."
    )


class StockCountSerializer(_StockOperationSerializer):
    quantity = quantity_field(min_value=Decimal(0), help_text="The quantity counted (absolute).")
    expires_at = serializers.DateField(required=False, allow_null=True, default=None)


class StockAdjustSerializer(_StockOperationSerializer):
    quantity_delta = quantity_field(help_text="Signed change: negative removes stock.")
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
    allow_negative = serializers.BooleanField(default=False)


class StockWasteSerializer(_StockOperationSerializer):
    quantity = quantity_field(min_value=Decimal("0.001"))
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
    allow_negative = serializers.BooleanField(default=False)


class StockIssueReverseSerializer(serializers.Serializer):
    movement_id = serializers.PrimaryKeyRelatedField(
        queryset=StockMovement.objects.all(),
        error_messages={"does_not_exist": "Unknown movement {pk_value}."},
        help_text="Id of the issue to reverse (its ledger row).",
    )
    quantity = quantity_field(
        min_value=Decimal("0.001"),
        required=False,
        default=None,
        help_text="How much to put back; all the issue took when left out.",
    )
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class StockTransferSerializer(serializers.Serializer):
    sku = sku_field()
    from_location = location_field()
    to_location = location_field()
    quantity = quantity_field(min_value=Decimal("0.001"))
    lot = serializers.CharField(
        max_length=LOT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class StockBatchOperationSerializer(serializers.Serializer):
    """One operation of a batch, with the fields and rules of its single route.

    (For the schema: the service checks the values line by line, so that one bad line is that
    line's refusal.)
    """

    operation = serializers.ChoiceField(choices=["receive", "issue", "waste"])
    sku = serializers.CharField(help_text="SKU of an existing item.")
    location = serializers.CharField(help_text="Code of a location.")
    quantity = quantity_field(min_value=Decimal("0.001"), help_text="Always positive.")
    lot = serializers.CharField(max_length=LOT_MAX_LENGTH, required=False, allow_blank=True)
    expires_at = serializers.DateField(
        required=False, allow_null=True, help_text="Receipts only: the lot's expiry date."
    )
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Required for `waste`.",
    )
    allow_negative = serializers.BooleanField(required=False, default=False)


class StockBatchSerializer(serializers.Serializer):
    atomic = serializers.BooleanField(
        default=True,
        help_text="true (the default): all operations or none. false: each operation on its "
        "own; the refused ones are reported and the others done.",
    )
    operations = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=BATCH_MAX_OPERATIONS,
        help_text=f"1 to {BATCH_MAX_OPERATIONS} operations, applied in order.",
    )


class StockBatchSchemaSerializer(StockBatchSerializer):
    """The request as the schema shows it: every operation's fields."""

    operations = StockBatchOperationSerializer(many=True)
