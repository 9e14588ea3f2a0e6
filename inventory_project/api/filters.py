"""Filter parts that refuse what they do not understand instead of silently ignoring it."""

import django_filters
from django import forms


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
