"""Reads about users (their role) and the audit trail."""

from auditlog.models import LogEntry
from django.db.models import QuerySet

from accounts.roles import ROLE_ORDER, Role


def user_role(user) -> Role | None:
    """The highest role the user holds; superusers are admins; None for anonymous or no role."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_role_cache", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in reversed(ROLE_ORDER) if r.value in names), None)
    user._role_cache = role
    return role


def request_role_name(request) -> str | None:
    """The caller's role for the access log: the token's role claim, else the user's groups.

    The claim is the role at sign-in; reading it keeps logging free of database queries.
    """
    token = getattr(request, "auth", None)
    claim = token.get("role") if hasattr(token, "get") else None
    if claim:
        return claim
    role = user_role(getattr(request, "user", None))
    return role.value if role else None


AUDIT_ACTIONS = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
    LogEntry.Action.ACCESS: "access",
}
_AUDIT_FIELDS = (
    "id",
    "timestamp",
    "action",
    "content_type__app_label",
    "content_type__model",
    "object_id",
    "object_repr",
    "changes",
    "actor_id",
    "actor_email",
    "cid",
    "remote_addr",
    "additional_data",
)


def audit_queryset() -> QuerySet[LogEntry]:
    return LogEntry.objects.order_by("-timestamp", "-id")


def audit_rows(entries) -> list[dict]:
    """API rows of audit entries (tuples of `audit_values`), in one pass and no extra query."""
    rows = []
    for (
        pk,
        timestamp,
        action,
        app_label,
        model,
        object_id,
        text,
        changes,
        actor_id,
        actor_email,
        cid,
        remote_addr,
        extra,
    ) in entries:
        rows.append(
            {
                "id": pk,
                "timestamp": timestamp,
                "action": AUDIT_ACTIONS.get(action, str(action)),
                "object_type": f"{app_label}.{model}",
                "object_id": object_id,
                "object_repr": text,
                "changes": changes or {},
                "user_id": actor_id,
                "user": actor_email,
                "request_id": cid,
                "remote_addr": remote_addr,
                "via": (extra or {}).get("via"),
                "details": {k: v for k, v in (extra or {}).items() if k != "via"},
            }
        )
    return rows


def audit_values(queryset: QuerySet[LogEntry]) -> QuerySet:
    return queryset.values_list(*_AUDIT_FIELDS)
