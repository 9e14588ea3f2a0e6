"""Writes about users and roles."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.roles import ROLE_ORDER, ROLE_PERMISSIONS, Role
from inventory_project.errors import ServiceError


def sync_role_groups(*, group_model=Group, permission_model=Permission, strict=True) -> None:
    """Make the groups admin/staff/viewer hold exactly the permissions of `ROLE_PERMISSIONS`.

    Takes the model classes so the data migration can pass its historical models. `strict`
    refuses a table naming a permission that does not exist; the migration is not strict, as
    models of later migrations do not exist yet when it runs (the post-migrate sync completes it).
    """
    for role in ROLE_ORDER:
        wanted = ROLE_PERMISSIONS[role]
        pairs = {tuple(name.split(".", 1)) for name in wanted}
        permissions = [
            p
            for p in permission_model.objects.filter(
                codename__in=[codename for _app, codename in pairs]
            ).select_related("content_type")
            if (p.content_type.app_label, p.codename) in pairs
        ]
        found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if found != wanted and strict:
            raise RuntimeError(f"Role {role}: unknown permissions {sorted(wanted - found)}")
        group, _created = group_model.objects.get_or_create(name=role.value)
        group.permissions.set(permissions)


@transaction.atomic
def user_set_role(*, user, role: Role | str) -> None:
    """Give the user exactly this role; every role may sign in to the admin (viewers read only)."""
    try:
        role = Role(role)
    except ValueError:
        raise ServiceError(
            f"Unknown role {role!r}; choose from {', '.join(r.value for r in ROLE_ORDER)}.",
            code="invalid_role",
            field="role",
        ) from None
    role_names = [r.value for r in ROLE_ORDER]
    user.groups.remove(*Group.objects.filter(name__in=role_names))
    user.groups.add(Group.objects.get(name=role.value))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user._role_cache = role


def _check_strength(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password", field="password") from None


def user_set_password(*, user, password: str, check_password_strength: bool = True) -> None:
    """Set a new password (checked by Django's validators unless told); old tokens stop working."""
    if check_password_strength:
        _check_strength(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    name: str = "",
    role: Role | str = Role.VIEWER,
    check_password_strength: bool = True,
):
    """Create a user with a role. The password is checked by Django's validators unless told."""
    user_model = get_user_model()
    user = user_model(email=user_model.objects.normalize_email(email).lower(), name=name)
    if check_password_strength:
        _check_strength(password, user)
    user.set_password(password)
    user.save()
    user_set_role(user=user, role=role)
    return user
