"""JWTs for API callers: simplejwt tokens that also carry the user's role, e-mail and name.

Key rotation: tokens are always signed with the current key (`SIMPLE_JWT["SIGNING_KEY"]`, from
`JWT_SECRET`). While `JWT_SECRET_PREVIOUS` is set, a token whose signature fails with the current
key is checked once more with the previous one, so tokens issued before the rotation keep working
until they expire; emptying `JWT_SECRET_PREVIOUS` refuses them. Every entry point that reads a token
(API authentication, refresh, logout, the rate limiter) uses the classes of this module, and every
refusal of a token answers `TokenNotValid`: one sentence, code `token_not_valid`.

A refresh token works once. Refreshing blacklists it by inserting its `BlacklistedToken` row, in
the transaction that mints the new pair; the row's unique constraint lets exactly one of several
simultaneous refreshes of one token win, and the others are refused.

simplejwt builds its one `TokenBackend` when it is first imported and offers no setting to swap
it, so these token classes bring their own backend, built from the settings of the moment.
"""

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.selectors import user_role


class TokenNotValid(exceptions.AuthenticationFailed):
    """A 401 for any token that cannot be used: malformed, tampered, expired, revoked or spent.

    simplejwt's own refusals carry jargon ("Given token not valid for any token type") and a
    nested dict of messages; callers get one sentence and the stable code (simplejwt's) instead.
    """

    default_detail = "The token is invalid or expired; sign in again."
    default_code = "token_not_valid"


# Payloads of tokens whose signature this process has verified, by token and keys; emptied when
# full, so a flood of distinct tokens costs memory for at most this many.
VERIFIED_TOKENS_KEPT = 4096
_verified_payloads: dict[tuple, dict] = {}


class RotatingTokenBackend(TokenBackend):
    """simplejwt's backend, which also accepts signatures made with the previous secret.

    The previous key is tried only when the current one found a bad signature: a malformed or
    expired token is refused as before, and an old token is still checked for expiry (PyJWT
    checks the signature before the claims, so an expired old token fails as expired).
    """

    def __init__(self, *args, previous_signing_key: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.previous_signing_key = previous_signing_key
        self.previous = (
            TokenBackend(
                self.algorithm,
                previous_signing_key,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                json_encoder=self.json_encoder,
            )
            if previous_signing_key
            else None
        )

    def decode(self, token, verify: bool = True) -> dict:
        if not verify or not self.algorithm.startswith("HS"):
            return self._decode(token, verify)
        # A signature that held for these keys holds for ever: each token is checked once per
        # process, and each of its later requests costs a dict lookup instead of the base64,
        # JSON and HMAC work (a third of a cached read's time). Only the signature and the
        # claims that cannot turn bad with time are taken on trust: the token classes check
        # expiry themselves (`Token.verify`), on every request.
        # The authentication hands over the header's bytes, the rate limiter a str.
        key = (
            token.decode("latin-1") if isinstance(token, bytes) else token,
            self.algorithm,
            self.signing_key,
            self.previous_signing_key,
            self.audience,
            self.issuer,
        )
        payload = _verified_payloads.get(key)
        if payload is None:
            payload = self._decode(token, verify)
            if len(_verified_payloads) >= VERIFIED_TOKENS_KEPT:
                _verified_payloads.clear()
            _verified_payloads[key] = payload
        return dict(payload)  # the caller's own copy: a token class may change its claims

    def _decode(self, token, verify: bool) -> dict:
        try:
            return super().decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise
        except TokenBackendError as exc:
            bad_signature = isinstance(exc.__cause__, jwt.InvalidSignatureError)
            if not (verify and bad_signature and self.previous is not None):
                raise
        return self.previous.decode(token, verify=True)


def token_backend() -> RotatingTokenBackend:
    """The backend of the current settings (read each time, so a changed setting holds at once)."""
    jwt_settings = simplejwt_settings.api_settings  # replaced by simplejwt when SIMPLE_JWT changes
    return RotatingTokenBackend(
        jwt_settings.ALGORITHM,
        jwt_settings.SIGNING_KEY,
        jwt_settings.VERIFYING_KEY,
        jwt_settings.AUDIENCE,
        jwt_settings.ISSUER,
        jwt_settings.JWK_URL,
        jwt_settings.LEEWAY,
        jwt_settings.JSON_ENCODER,
        previous_signing_key=settings.JWT_SECRET_PREVIOUS,
    )


class _RotatingKeys:
    """Mixin of the token classes: sign and verify through `token_backend()`."""

    @property
    def token_backend(self) -> RotatingTokenBackend:
        return token_backend()


class AccessToken(_RotatingKeys, tokens.AccessToken):
    """An access token; `SIMPLE_JWT["AUTH_TOKEN_CLASSES"]` names this class."""


class RefreshToken(_RotatingKeys, tokens.RefreshToken):
    """A refresh token (blacklisted on rotation and logout) whose access tokens are ours."""

    access_token_class = AccessToken

    def blacklist(self) -> BlacklistedToken:
        """Blacklist this token; `TokenError` if it already is, even by a call running now.

        simplejwt's `get_or_create` lets each of several simultaneous calls find or make the
        row and carry on; a plain insert under the row's unique constraint lets one succeed
        (the others wait for it, then fail).
        """
        self.outstand()
        outstanding = OutstandingToken.objects.get(jti=self.payload[jwt_settings.JTI_CLAIM])
        try:
            with transaction.atomic():
                return BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise TokenError("Token is blacklisted") from None


class RotatingTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, reading the refresh token with our keys and signing new ones.

    The old token is blacklisted and the new one recorded in one transaction, so a refresh
    that fails half-way leaves the old token usable and mints nothing.
    """

    token_class = RefreshToken

    def validate(self, attrs: dict) -> dict:
        with transaction.atomic():
            return super().validate(attrs)


def tokens_for_user(user) -> RefreshToken:
    """A refresh token (and through `.access_token` its access token) for `user`."""
    refresh = RefreshToken.for_user(user)
    role = user_role(user)
    refresh["role"] = role.value if role else None
    refresh["email"] = user.email
    refresh["name"] = user.name
    return refresh
