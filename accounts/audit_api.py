"""`GET /api/audit`: the audit trail of items, locations and users, for admins.

The entries are written by django-auditlog and `inventory_project.audit` (every source: API,
admin, imports, commands); this route only reads them, newest first and always paged.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from accounts.filters import ACTION_NAMES, AuditFilter
from accounts.selectors import audit_queryset, audit_rows, audit_values
from inventory_project.api.pagination import AlwaysLimitOffsetPagination
from inventory_project.api.schema import errors

VIEW_AUDIT = "auditlog.view_logentry"


class AuditEntrySerializer(serializers.Serializer):
    """One audited change (documentation of the row; rows are built by the selector)."""

    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=[*ACTION_NAMES, "access"])
    object_type = serializers.CharField(help_text="`app_label.model`, e.g. `items.item`.")
    object_id = serializers.IntegerField(allow_null=True)
    object_repr = serializers.CharField(help_text="The object's name at the time.")
    changes = serializers.JSONField(
        help_text="Field deltas: `{field: [old, new]}` as text (old is `None` on create); "
        'a role change is `{groups: {type: "m2m", operation: "add"|"delete", objects: [...]}}`.'
    )
    user_id = serializers.IntegerField(allow_null=True, help_text="Who made the change.")
    user = serializers.CharField(allow_null=True, help_text="Their e-mail address.")
    request_id = serializers.CharField(
        allow_null=True, help_text="The X-Request-ID of the request, or the id of a command run."
    )
    remote_addr = serializers.CharField(allow_null=True)
    via = serializers.CharField(
        allow_null=True, help_text='"api", "admin", "command:<name>" or "system".'
    )
    details = serializers.DictField(
        help_text="E.g. `bulk` for rows written by a CSV import, `os_user` for commands."
    )


@extend_schema(
    summary="The audit trail",
    description="Who created, changed or deleted which item, location or user, when, how and "
    "through which request. Newest first; always paged (100 rows unless `limit` says "
    "otherwise). Admins only. Stock quantities have the ledger (`/api/inventory/movements`).",
    responses={200: AuditEntrySerializer(many=True), **errors(400, 401, 403)},
)
class AuditViewSet(viewsets.GenericViewSet):
    required_permissions = {"GET": VIEW_AUDIT}
    filterset_class = AuditFilter
    pagination_class = AlwaysLimitOffsetPagination
    serializer_class = AuditEntrySerializer
    ordering_fields = ["timestamp"]
    ordering = ["-timestamp", "-id"]

    def get_queryset(self):
        return audit_queryset()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(audit_values(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(audit_rows(page))
