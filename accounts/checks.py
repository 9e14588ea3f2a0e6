"""System checks of accounts: production refuses a missing or weak JWT secret (or previous one)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

JWT_SECRET_MIN_LENGTH = 32
SUPPORTED_JWT_ALGORITHMS = ("HS256", "HS384", "HS512")


@register(Tags.security)
def check_jwt_settings(app_configs, **kwargs):
    errors = []
    if settings.JWT_ALGORITHM not in SUPPORTED_JWT_ALGORITHMS:
        errors.append(
            Error(
                f"JWT_ALGORITHM={settings.JWT_ALGORITHM!r} is not supported.",
                hint=f"Use one of {', '.join(SUPPORTED_JWT_ALGORITHMS)}.",
                id="accounts.E002",
            )
        )
    if not settings.DEBUG and len(settings.JWT_SECRET) < JWT_SECRET_MIN_LENGTH:
        errors.append(
            Error(
                "JWT_SECRET is missing or weak while DEBUG is off.",
                hint=f"Set JWT_SECRET to at least {JWT_SECRET_MIN_LENGTH} random characters "
                "(openssl rand -base64 32).",
                id="accounts.E001",
            )
        )
    previous = settings.JWT_SECRET_PREVIOUS
    if previous and previous == settings.JWT_SECRET:
        errors.append(
            Error(
                "JWT_SECRET_PREVIOUS equals JWT_SECRET: the secret was not rotated.",
                hint="Set JWT_SECRET to a new secret and JWT_SECRET_PREVIOUS to the old one.",
                id="accounts.E003",
            )
        )
    elif previous and not settings.DEBUG and len(previous) < JWT_SECRET_MIN_LENGTH:
        errors.append(
            Error(
                "JWT_SECRET_PREVIOUS is weak while DEBUG is off: tokens signed with it are "
                "still accepted.",
                hint="Remove JWT_SECRET_PREVIOUS, or rotate from a strong secret.",
                id="accounts.E004",
            )
        )
    return errors
