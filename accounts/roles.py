"""The roles, and what each may do: the single source of truth for permissions.

A role is a Django group of the same name. The data migration creates the groups from this table
and a post-migrate hook keeps them equal to it, so the admin, the API's permission classes and
this table can never disagree. Roles are cumulative: staff can do all a viewer can, and more.
"""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    STAFF = "staff"
    ADMIN = "admin"


# Lowest role first: a user's role is the highest one they hold.
ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.STAFF, Role.ADMIN)

_VIEWER = {
    "items.view_item",
    "inventory.view_location",
    "inventory.view_stockrecord",
    "inventory.view_stockmovement",
    "forecasting.view_dailyusage",
    "forecasting.view_forecastrun",
    "forecasting.view_itemforecast",
    "forecasting.view_itemmodelchoice",
    "forecasting.view_promotion",
}
_STAFF = _VIEWER | {
    "items.add_item",
    "items.change_item",
    "inventory.add_location",
    "inventory.change_location",
    "inventory.add_stockrecord",
    "inventory.change_stockrecord",
    "inventory.move_stock",
    "forecasting.add_dailyusage",
    "forecasting.change_dailyusage",
    "forecasting.add_promotion",
    "forecasting.change_promotion",
    "forecasting.delete_promotion",
}
_ADMIN = _STAFF | {
    "items.delete_item",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.delete_user",
    "auth.view_group",
    "accounts.run_jobs",
    "auditlog.view_logentry",
    "inventory_project.view_jobrun",
    "inventory_project.view_alert",
    "inventory_project.change_alert",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.STAFF: frozenset(_STAFF),
    Role.ADMIN: frozenset(_ADMIN),
}


def lowest_role_with(permission: str) -> Role | None:
    """The least role that holds `permission` (what a 403 tells the caller to ask for)."""
    for role in ROLE_ORDER:
        if permission in ROLE_PERMISSIONS[role]:
            return role
    return None
