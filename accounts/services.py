"""Writes about users and roles, and the password reset and change."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.emails import email_key, normalize_email
from accounts.roles import ROLE_ORDER, ROLE_PERMISSIONS, Role
from inventory_project.service_errors import ConflictError, ServiceError

logger = logging.getLogger(__name__)

INVALID_RESET_TOKEN = "The password reset link is invalid, already used or expired."
WRONG_CURRENT_PASSWORD = "The current password is wrong."
EMAIL_TAKEN = "A user with this e-mail address, or one that looks like it, already exists."


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
    # Only real changes of membership: each one is an entry of the audit trail.
    held = user.groups.filter(name__in=[r.value for r in ROLE_ORDER])
    user.groups.remove(*held.exclude(name=role.value))
    if not held.filter(name=role.value).exists():
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
    """Create a user with a role. The password is checked by Django's validators unless told.

    An address that is, or looks like, one of an existing user (`accounts.emails`) is refused
    (409 `email_taken`): the unique e-mail key decides, so two creations at once cannot both win.
    """
    user_model = get_user_model()
    user = user_model(email=normalize_email(email), name=name)
    if check_password_strength:
        _check_strength(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ConflictError(EMAIL_TAKEN, code="email_taken", field="email") from None
    user_set_role(user=user, role=role)
    return user


@transaction.atomic
def user_email_keys_rebuild(*, user_model=None) -> tuple[int, int]:
    """Give every account the key of its address as `accounts.emails` computes it today.

    Oldest account first: an account whose address looks like an older account's is left
    without a key (NULL) and still signs in with its own address. Answers (accounts whose key
    changed, accounts left without one). Used by migration 0005, which passes its historical
    model, and by `manage.py rekey_emails` after an upgrade of the look-alike table.
    """
    user_model = user_model or get_user_model()
    before = dict(user_model.objects.values_list("pk", "email_key"))
    # Keys are unique, so they are cleared first: a new key may be another account's old one.
    user_model.objects.update(email_key=None)
    taken = set()
    changed = unkeyed = 0
    for pk, email in user_model.objects.order_by("pk").values_list("pk", "email").iterator():
        key = email_key(email)
        if key in taken:
            key = None
            unkeyed += 1
        else:
            taken.add(key)
            user_model.objects.filter(pk=pk).update(email_key=key)
        changed += key != before.get(pk)
    return changed, unkeyed


# --- password reset and change ---------------------------------------------------------------
# The reset token is Django's `default_token_generator`: an HMAC of the user's id, password hash,
# last login and a timestamp. It is single use because setting the new password changes the
# hash, and it expires after PASSWORD_RESET_TIMEOUT seconds. Nothing is stored.


def user_revoke_tokens(*, user) -> int:
    """Blacklist every unexpired refresh token of the user; answers how many were revoked.

    A new password already revokes every token issued before it (the tokens carry a hash of
    the password hash, checked on each use); the blacklist says so in the database too.
    """
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


def _password_reset_message(*, user, email: str) -> EmailMultiAlternatives:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {
        "name": user.name or email,
        "email": email,
        "uid": uid,
        "token": token,
        "link": settings.PASSWORD_RESET_URL.replace("{uid}", uid).replace("{token}", token),
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("accounts/password_reset_subject.txt", context).strip(),
        body=render_to_string("accounts/password_reset_email.txt", context),
        to=[email],
    )
    message.attach_alternative(
        render_to_string("accounts/password_reset_email.html", context), "text/html"
    )
    return message


def password_reset_request(*, email: str) -> Callable[[], bool]:
    """Prepare the reset e-mail (link and token) of the active user with this address, if any.

    Answers the function that sends it (True when a mail went out, for the caller's logs
    only). The caller answers first and sends after: talking to the mail server only for known
    addresses would let anyone tell them apart by the answer's time. For an unknown or inactive
    address the same token and message are built and the function sends nothing. Like Django's
    own reset form, users without a usable password get no mail. A mail server failure is
    logged, not raised.
    """
    user_model = get_user_model()
    address = email.strip()
    try:
        user = user_model.objects.get_by_email(address)
    except user_model.DoesNotExist:
        user = None
    if user is not None and not (user.is_active and user.has_usable_password()):
        user = None
    message = _password_reset_message(
        user=user or user_model(email=normalize_email(address)),
        email=user.email if user else address,
    )
    if user is None:
        return lambda: False

    def send() -> bool:
        try:
            message.send()
        except Exception:
            logger.exception("Could not send the password reset e-mail of user %s", user.pk)
            return False
        return True

    return send


def _user_of_reset(uid: str):
    try:
        pk = urlsafe_base64_decode(uid).decode()
        return get_user_model().objects.select_for_update().get(pk=pk, is_active=True)
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, ValidationError):
        return None
    except get_user_model().DoesNotExist:
        return None


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, password: str):
    """Set a new password with an e-mailed reset token; every earlier token stops working.

    The user's row is locked first, so two confirmations of one token cannot both succeed.
    A weak password is refused (field "password") and leaves the token usable.
    """
    user = _user_of_reset(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ServiceError(INVALID_RESET_TOKEN, code="invalid_token")
    user_set_password(user=user, password=password)
    user_revoke_tokens(user=user)
    return user


@transaction.atomic
def password_change(*, user, current_password: str, new_password: str):
    """Change a signed-in user's password after checking the current one.

    Every token issued before stops working; the caller mints new ones for the answer.
    `user` may be the cache-built user of the API; the row is read again (and locked).
    """
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise ServiceError(WRONG_CURRENT_PASSWORD, code="wrong_password", field="current_password")
    user_set_password(user=user, password=new_password)
    user_revoke_tokens(user=user)
    return user
