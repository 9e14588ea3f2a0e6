"""The API's permission class: each view names the Django permission every method needs.

Views declare `required_permissions = {"GET": "items.view_item", ...}`; the role table in
`accounts.roles` decides who holds each permission (read directly, see `role_allows`). A method
a view does not map is refused (fail closed); a denial names the least role that would have
been allowed.
"""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import ROLE_PERMISSIONS, lowest_role_with
from accounts.selectors import user_role


def role_allows(user, permission: str) -> bool:
    """Whether the user's role holds `permission`, read from the role table.

    One query (the user's groups) instead of Django's two for all permissions: the API's
    answer follows `accounts.roles` exactly (permissions given to a user directly, outside the
    roles, open the admin only).
    """
    if not user.is_active:
        return False
    role = user_role(user)
    return role is not None and permission in ROLE_PERMISSIONS[role]


class RolePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        method = "GET" if request.method == "HEAD" else request.method
        if not hasattr(view, method.lower()):
            return True  # the view answers 405 Method Not Allowed
        required = getattr(view, "required_permissions", {}).get(method)
        if required is None:
            return False
        if settings.API_ANONYMOUS_READ and method in SAFE_METHODS:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated("Authentication required")
        if role_allows(user, required):
            return True
        role = lowest_role_with(required)
        raise exceptions.PermissionDenied(
            f"Insufficient permissions. Required roles: {role.value if role else 'none'}"
        )


def read_write_permissions(app_model: str, *, delete: bool = True) -> dict[str, str]:
    """The usual map for a model route: view to read, add to create, change to edit."""
    app_label, model = app_model.split(".")
    permissions = {
        "GET": f"{app_label}.view_{model}",
        "POST": f"{app_label}.add_{model}",
        "PUT": f"{app_label}.change_{model}",
        "PATCH": f"{app_label}.change_{model}",
    }
    if delete:
        permissions["DELETE"] = f"{app_label}.delete_{model}"
    return permissions
