"""API authentication: simplejwt's access tokens, with the user's state kept in the cache.

Every API request authenticates. simplejwt reads the user from the database, and the role check
reads its groups: two queries (three with the connection health check) on every request, which
is most of the cost of serving a cached response. Here the facts those checks need (active,
superuser, role, a hash of the password hash) are kept in the cache for `AUTH_CACHE_SECONDS`,
and dropped at once whenever the user or its groups change (signals in `accounts.apps`), so a
deactivation, a role change or a new password takes effect on the next request.

A token that cannot be used (malformed, tampered, expired, of the wrong kind, revoked by a new
password, of a deleted user) answers `TokenNotValid`; an inactive user's token `user_inactive`.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.roles import Role
from accounts.selectors import user_role
from accounts.tokens import TokenNotValid
from inventory_project.http.ratelimit import read_ahead
from inventory_project.http.response_cache import guarded

logger = logging.getLogger(__name__)


def _key(user_id) -> str:
    return f"auth:user:{user_id}"


def state_cache_keys(user_id: str) -> list[str]:
    """The cache key of the user's state, read along with its rate-limit counter."""
    return [_key(user_id)] if settings.AUTH_CACHE_SECONDS else []


def forget_user(user_id) -> None:
    """Drop a user's cached state, now and again after the transaction commits."""

    def drop() -> None:
        try:
            cache.delete(_key(user_id))
        except Exception:
            logger.warning("Could not drop the cached state of user %s", user_id, exc_info=True)

    drop()
    transaction.on_commit(drop)


def _state_of(user) -> dict:
    role = user_role(user)
    return {
        "email": user.email,
        "name": user.name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "role": role.value if role else None,
        "password_md5": get_md5_hash_password(user.password),
    }


def _read_only(*args, **kwargs):
    raise RuntimeError(
        "This user was rebuilt from the authentication cache and has no password hash: "
        "load it from the database to change it."
    )


def _user_from(user_id, state: dict):
    model = get_user_model()
    user = model(
        # The token carries the id as a string; the user answers its real (integer) id, as it
        # does when it is read from the database.
        pk=model._meta.pk.to_python(user_id),
        email=state["email"],
        name=state["name"],
        is_active=state["is_active"],
        is_staff=state["is_staff"],
        is_superuser=state["is_superuser"],
    )
    user._state.adding = False
    user._state.db = "default"
    user._role_cache = Role(state["role"]) if state["role"] else None
    # Saving it would overwrite the stored password with an empty one: refuse instead.
    user.save = user.set_password = _read_only
    return user


# simplejwt's refusals of a token that stands for nobody (any more).
_TOKEN_REFUSALS = ("user_not_found", "password_changed")
USER_INACTIVE = "This account is inactive."


def _code_of(exc: AuthenticationFailed) -> str:
    # simplejwt's exceptions carry their code inside a dict detail.
    detail = exc.detail
    return str(detail.get("code", "")) if isinstance(detail, dict) else str(exc.get_codes())


class CachedUserJWTAuthentication(JWTAuthentication):
    # DRF makes the authenticators of each request anew: the request is this one's own.
    request = None

    def authenticate(self, request):
        self.request = request
        return super().authenticate(request)

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken:
            raise TokenNotValid() from None

    def get_user(self, validated_token):
        try:
            return self._user_of(validated_token)
        except InvalidToken:
            raise TokenNotValid() from None
        except AuthenticationFailed as exc:
            code = _code_of(exc)
            if code in _TOKEN_REFUSALS:
                raise TokenNotValid() from None
            if code == "user_inactive":
                raise exceptions.AuthenticationFailed(USER_INACTIVE, code=code) from None
            raise

    def _user_of(self, validated_token):
        if not settings.AUTH_CACHE_SECONDS:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise TokenNotValid() from None
        # A cache that is away (or backing off) means: ask the database. On Redis the state
        # was read along with the caller's rate-limit counter, in the same round trip.
        state = read_ahead(
            self.request,
            _key(user_id),
            lambda: guarded("auth state", lambda: cache.get(_key(user_id))),
        )
        if state is None:
            user = super().get_user(validated_token)
            guarded(
                "auth state",
                lambda: cache.set(_key(user_id), _state_of(user), settings.AUTH_CACHE_SECONDS),
            )
            return user
        if not state["is_active"]:
            raise AuthenticationFailed(code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != state["password_md5"]:
            raise TokenNotValid()
        return _user_from(user_id, state)


class CachedUserJWTScheme(SimpleJWTScheme):
    """Document the Bearer scheme in the OpenAPI schema, as for simplejwt's own class."""

    target_class = CachedUserJWTAuthentication
