"""The accounts' rate-limit keys: a bearer token's user, and the sign-in and password limits.

The limits themselves are rows of `settings.RATE_LIMITS`, counted by the platform
(`inventory_project.http.ratelimit`); this module knows what to count them on. Failed logins
count per e-mail and per IP, password reset requests per e-mail and per IP, reset confirmations
per IP and password changes per user. E-mail addresses count by their hashed key
(`accounts.emails`), so no address sits in the cache.
"""

from django.conf import settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.emails import email_key
from accounts.tokens import AccessToken
from inventory_project.http.ratelimit import client_ip, counter_key, over_limit, take_back

LOGIN_FAILURES_PER_EMAIL = "login-failures-per-email"
LOGIN_FAILURES_PER_IP = "login-failures-per-ip"
PASSWORD_RESET_PER_EMAIL = "password-reset-per-email"
PASSWORD_RESET_PER_IP = "password-reset-per-ip"
PASSWORD_RESET_CONFIRM_PER_IP = "password-reset-confirm-per-ip"
PASSWORD_CHANGE_PER_USER = "password-change-per-user"


def bearer_user_id(request) -> str | None:
    """The user id of a valid access token, checked without touching the database.

    The API tiers count a token's calls on its user (`RATE_LIMIT_USER_KEY`). `AccessToken` is
    ours, so a token signed with `JWT_SECRET_PREVIOUS` counts for its user too.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.split()
    if len(parts) != 2 or parts[0] not in jwt_settings.AUTH_HEADER_TYPES:
        return None
    try:
        token = AccessToken(parts[1])
    except TokenError:
        return None
    return str(token.get(jwt_settings.USER_ID_CLAIM, "")) or None


# --- failed logins -------------------------------------------------------------------------
# Every password check, whatever the source (API login, admin login), goes through
# `accounts.backends.EmailBackend`, which counts an attempt *before* checking the password and
# takes it back when the password was right. Counting first makes the limit hold under a burst
# of parallel guesses; taking successes back means an office signing in normally never hits it.


def _login_counters(request, email: str) -> list[tuple[str, str]]:
    # Per identity, the key the user lookup uses too (`User.objects.get_by_email`): every
    # spelling of an address that reaches an account counts on that account's counter.
    return [
        (LOGIN_FAILURES_PER_EMAIL, email_key(email)),
        (LOGIN_FAILURES_PER_IP, client_ip(request)),
    ]


def login_blocked(request, email: str) -> dict | None:
    """The exhausted counter when this e-mail or IP has failed too often (read only)."""
    return over_limit(request, _login_counters(request, email), increment=False)


def begin_login_attempt(request, email: str) -> dict | None:
    """Count one attempt; answers the exhausted counter when it went over the limit."""
    if not settings.RATELIMIT_ENABLE:
        return None
    counters = _login_counters(request, email)
    # The same counters are taken back on success, even if the window turned in between.
    _counted_attempts(request)[email_key(email)] = [counter_key(*c) for c in counters]
    return over_limit(request, counters)


def end_login_attempt(request, email: str) -> None:
    """The password was right: the attempt does not count as a failure."""
    if not settings.RATELIMIT_ENABLE:
        return
    keys = _counted_attempts(request).pop(email_key(email), None)
    if keys is None:
        keys = [counter_key(*c) for c in _login_counters(request, email)]
    take_back(keys)


def _counted_attempts(request) -> dict[str, list[str]]:
    """The counter keys each e-mail's attempt counted in this request."""
    if not hasattr(request, "_login_counter_keys"):
        request._login_counter_keys = {}
    return request._login_counter_keys


# --- password reset and change -------------------------------------------------------------
# Unlike failed logins, every request counts, and it counts before anything is done: a request
# over the limit sends no mail, checks no token and changes no password.


def password_reset_request_attempt(request, email: str) -> dict | None:
    """Count a reset request per e-mail and per IP; the exhausted counter when over a limit."""
    return over_limit(
        request,
        [(PASSWORD_RESET_PER_EMAIL, email_key(email)), (PASSWORD_RESET_PER_IP, client_ip(request))],
    )


def password_reset_confirm_attempt(request) -> dict | None:
    """Count a reset confirmation per IP (each one is a guess at a token)."""
    return over_limit(request, [(PASSWORD_RESET_CONFIRM_PER_IP, client_ip(request))])


def password_change_attempt(request, user_id) -> dict | None:
    """Count a password change per user."""
    return over_limit(request, [(PASSWORD_CHANGE_PER_USER, str(user_id))])
