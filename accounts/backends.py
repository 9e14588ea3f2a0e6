"""The authentication backend: Django's, with failed-login limits on every source.

The API login and the admin login both check passwords through `authenticate()`, so the limits
per e-mail and per IP hold for both. A blocked attempt is refused before the password is
hashed (no CPU for brute force) and marks the request, so the API can answer 429.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import ratelimit

BLOCKED_ATTRIBUTE = "login_rate_limited"


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not username:
            return super().authenticate(request, username, password, **kwargs)
        blocked = ratelimit.begin_login_attempt(request, username)
        if blocked is not None:
            setattr(request, BLOCKED_ATTRIBUTE, blocked)
            raise PermissionDenied("Too many failed sign-ins.")
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            ratelimit.end_login_attempt(request, username)
        return user
