"""System checks for settings that are wrong in production but fine on the embedded default."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def check_secret_key(app_configs, **kwargs):
    """With DEBUG off the built-in development SECRET_KEY must not be used."""
    if settings.DEBUG:
        return []
    if settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        return [
            Error(
                "SECRET_KEY is missing or weak while DEBUG is off.",
                hint="Set SECRET_KEY to at least 32 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
                id="inventory.E001",
            )
        ]
    return []


@register(Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    """Every TRUSTED_PROXIES and METRICS_ALLOWED_NETWORKS entry must be an address or a network."""
    errors = []
    for setting in ("TRUSTED_PROXIES", "METRICS_ALLOWED_NETWORKS"):
        for entry in getattr(settings, setting):
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                errors.append(
                    Error(
                        f"{setting} entry {entry!r} is not an address or a network.",
                        hint="List addresses or CIDR networks, e.g. 10.0.0.0/8.",
                        id="inventory.E002",
                    )
                )
    return errors
