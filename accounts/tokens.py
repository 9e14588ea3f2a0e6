"""JWTs for API callers: simplejwt tokens that also carry the user's role, e-mail and name."""

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.selectors import user_role


def tokens_for_user(user) -> RefreshToken:
    """A refresh token (and through `.access_token` its access token) for `user`."""
    refresh = RefreshToken.for_user(user)
    role = user_role(user)
    refresh["role"] = role.value if role else None
    refresh["email"] = user.email
    refresh["name"] = user.name
    return refresh
