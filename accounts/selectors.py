"""Reads about users: their role."""

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
