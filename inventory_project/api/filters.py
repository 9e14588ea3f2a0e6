"""Filter parts that refuse what they do not understand instead of silently ignoring it."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is a validation error, not "no filter"."""

    TRUE = frozenset({"true", "1", "yes"})
    FALSE = frozenset({"false", "0", "no"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Must be true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, turned into UTC before it reaches the database.

    Python accepts UTC offsets up to ±23:59 (`...T06:26:28-18:49`); PostgreSQL refuses any beyond
    ±15:59 with an error that broke the request. In UTC every instant is fine, and one that
    leaves the calendar once converted (`0001-01-01T00:00+01:00`) is a 400.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
