"""Serializer fields shared by the API modules."""

from rest_framework import serializers


class NaturalKeyField(serializers.SlugRelatedField):
    """Look an object up by its natural key (SKU, location code) given as a plain string.

    Refuses non-strings and NUL characters before querying: PostgreSQL cannot even compare a
    text column with a string holding NUL, and that must be a 400, not a 500.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data.strip())
