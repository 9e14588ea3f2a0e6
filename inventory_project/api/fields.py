"""Serializer fields shared by the API modules."""

from rest_framework import serializers

from inventory_project.codes import storable_text


class NaturalKeyField(serializers.SlugRelatedField):
    """Look an object up by its natural key (SKU, location code) given as a plain string.

    Refuses non-strings, NUL characters and lone surrogates before querying: PostgreSQL cannot
    even compare a text column with such a string, and that must be a 400, not a 500.

    A serializer that found its objects together, in one query, hands them over in
    `prefetched_natural_keys` ({field name: (key, object)}); a field whose key matches takes
    its object from there instead of querying.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or not storable_text(data):
            self.fail("invalid")
        key = data.strip()
        prefetched = getattr(self.parent, "prefetched_natural_keys", {}).get(self.field_name)
        if prefetched is not None and prefetched[0] == key:
            return prefetched[1]
        return super().to_internal_value(key)
