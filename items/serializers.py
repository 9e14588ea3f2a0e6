"""Input and output shapes of the item API, built from the model's fields.

The output shape is a row of `items.selectors.ITEM_COLUMNS`, a serializer field for each of
its columns; the input shape has one for each editable field (`items.fields`), with the model
field's length, default and choices. A field added to `Item` appears in both.
"""

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import serializers

from inventory_project.service_errors import ServiceError
from items.fields import EDITABLE_FIELDS, IDENTITY_FIELD, NON_NEGATIVE_FIELDS, item_field
from items.selectors import ITEM_COLUMNS

# Model field kind -> serializer field, for the kinds without options of their own.
_PLAIN_FIELDS = {
    models.AutoField: serializers.IntegerField,
    models.BigAutoField: serializers.IntegerField,
    models.IntegerField: serializers.IntegerField,
    models.BooleanField: serializers.BooleanField,
    models.DateTimeField: serializers.DateTimeField,
    models.DateField: serializers.DateField,
}


def _serializer_field(field: models.Field, **kwargs) -> serializers.Field:
    """The serializer field of the item field `field`: its kind, choices, digits and minimum."""
    if field.null:
        kwargs["allow_null"] = True
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, **kwargs)
    if isinstance(field, models.CharField):
        return serializers.CharField(**kwargs)
    if isinstance(field, models.DecimalField):
        if field.name in NON_NEGATIVE_FIELDS:
            kwargs["min_value"] = Decimal(0)
        return serializers.DecimalField(
            max_digits=field.max_digits,
            decimal_places=field.decimal_places,
            coerce_to_string=False,
            **kwargs,
        )
    for kind in type(field).__mro__:
        if kind in _PLAIN_FIELDS:
            return _PLAIN_FIELDS[kind](**kwargs)
    raise ImproperlyConfigured(
        f"items/serializers.py has no API field for a {type(field).__name__} (item field "
        f"{field.name!r}): teach _serializer_field that kind of field."
    )


def _input_field(field: models.Field) -> serializers.Field:
    """An editable field as a request carries it: may be blank; omitted, the model's default."""
    kwargs = {}
    if isinstance(field, models.CharField):
        kwargs["allow_blank"] = True
        if not field.choices:
            kwargs["max_length"] = field.max_length
    if field.has_default():
        kwargs["default"] = field.get_default()
    return _serializer_field(field, **kwargs)


class ItemSerializer(serializers.Serializer):
    """An item as every item route renders it."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: _serializer_field(item_field(path)) for name, path in ITEM_COLUMNS.paths.items()
        }


class ItemCreatedSerializer(serializers.Serializer):
    """A create answers with just these three fields (the wire contract's create answer)."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()


class ItemWriteSerializer(serializers.Serializer):
    """Editable fields of an item; PUT sends them all (omitted ones take their defaults)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = {name: _input_field(item_field(name)) for name in EDITABLE_FIELDS}
        fields[IDENTITY_FIELD] = serializers.CharField(
            max_length=item_field(IDENTITY_FIELD).max_length,
            required=False,
            help_text="Optional on updates; must equal the item's SKU (SKUs are immutable).",
        )
        return fields

    def validate(self, attrs: dict) -> dict:
        if "name" in attrs and not attrs["name"].strip():
            raise serializers.ValidationError({"name": ["This field may not be blank."]})
        return attrs


class ItemCreateSerializer(ItemWriteSerializer):
    # v20 required these two together, with one sentence for both.
    V20_REQUIRED = (IDENTITY_FIELD, "name")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in self.V20_REQUIRED:
            fields[name] = serializers.CharField(
                max_length=item_field(name).max_length,
                required=False,
                allow_blank=True,
                allow_null=True,
            )
        return fields

    def validate(self, attrs: dict) -> dict:
        missing = [field for field in self.V20_REQUIRED if not (attrs.get(field) or "").strip()]
        if missing:
            # The wire contract's sentence, word for word: its consumers match on it.
            raise ServiceError(
                "SKU and name are required",
                code="required",
                details={field: ["This field is required."] for field in missing},
            )
        return attrs
