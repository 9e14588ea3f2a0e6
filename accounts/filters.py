"""Query-string filters of the audit trail (`GET /api/audit`)."""

import django_filters
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from inventory_project.api.filters import UtcIsoDateTimeFilter

ACTION_NAMES = {
    "create": LogEntry.Action.CREATE,
    "update": LogEntry.Action.UPDATE,
    "delete": LogEntry.Action.DELETE,
}


def audited_types() -> dict[str, type]:
    """The audited models by their public name, `app_label.model` (e.g. `items.item`)."""
    return {model._meta.label_lower: model for model in auditlog.get_models()}


class AuditFilter(django_filters.FilterSet):
    object_type = django_filters.CharFilter(
        method="filter_object_type",
        help_text="What was changed: `items.item`, `inventory.location` or `accounts.user`.",
    )
    object_id = django_filters.NumberFilter(field_name="object_id", help_text="Its id.")
    user = django_filters.CharFilter(
        method="filter_user", help_text="Who changed it: an e-mail address or a user id."
    )
    action = django_filters.ChoiceFilter(
        method="filter_action", choices=[(name, name) for name in ACTION_NAMES]
    )
    request_id = django_filters.CharFilter(
        field_name="cid", help_text="The request (or command run) that made the change."
    )
    created_after = UtcIsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = LogEntry
        fields = [
            "object_type",
            "object_id",
            "user",
            "action",
            "request_id",
            "created_after",
            "created_before",
        ]

    def filter_object_type(self, queryset, name, value):
        model = audited_types().get(value.lower())
        if model is None:
            raise ValidationError(
                {"object_type": [f"Choose one of {', '.join(sorted(audited_types()))}."]}
            )
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))

    def filter_user(self, queryset, name, value):
        # ASCII digits only: "²" is a digit to Python but no number to int().
        if value.isascii() and value.isdigit() and len(value) < 19:
            return queryset.filter(actor_id=int(value))
        return queryset.filter(actor_email__iexact=value)

    @extend_schema_field(serializers.ChoiceField(choices=list(ACTION_NAMES)))
    def filter_action(self, queryset, name, value):
        return queryset.filter(action=ACTION_NAMES[value])
