"""Input and output shapes of the item API."""

from decimal import Decimal

from rest_framework import serializers

from inventory_project.service_errors import ServiceError
from items.models import QUANTITY_DIGITS, QUANTITY_PLACES, SKU_MAX_LENGTH


def level_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        min_value=Decimal(0),
        coerce_to_string=False,
        **kwargs,
    )


class ItemSerializer(serializers.Serializer):
    """An item as every item route renders it."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    uom = serializers.CharField()
    reorder_min = level_field()
    reorder_max = level_field()
    par_level = level_field()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ItemCreatedSerializer(serializers.Serializer):
    """A create answers with just these three fields (the wire contract's create answer)."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()


class ItemWriteSerializer(serializers.Serializer):
    """Editable fields of an item; PUT sends them all (omitted ones take their defaults)."""

    name = serializers.CharField(max_length=200, allow_blank=True)
    category = serializers.CharField(max_length=100, allow_blank=True, default="")
    uom = serializers.CharField(max_length=20, allow_blank=True, default="each")
    reorder_min = level_field(default=Decimal(0))
    reorder_max = level_field(default=Decimal(0))
    par_level = level_field(default=Decimal(0))
    active = serializers.BooleanField(default=True)
    sku = serializers.CharField(
        max_length=SKU_MAX_LENGTH,
        required=False,
        help_text="Optional on updates; must equal the item's SKU (SKUs are immutable).",
    )

    def validate(self, attrs: dict) -> dict:
        if "name" in attrs and not attrs["name"].strip():
            raise serializers.ValidationError({"name": ["This field may not be blank."]})
        return attrs


class ItemCreateSerializer(ItemWriteSerializer):
    sku = serializers.CharField(
        max_length=SKU_MAX_LENGTH, required=False, allow_blank=True, allow_null=True
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        missing = [field for field in ("sku", "name") if not (attrs.get(field) or "").strip()]
        if missing:
            # The wire contract's sentence, word for word: its consumers match on it.
            raise ServiceError(
                "SKU and name are required",
                code="required",
                details={field: ["This field is required."] for field in missing},
            )
        return attrs
