"""The auth routes: login, refresh, logout, me, and the password reset and change."""

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import ratelimit, services
from accounts.backends import BLOCKED_ATTRIBUTE
from accounts.selectors import user_role
from accounts.serializers import (
    LoginResultSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RefreshResultSerializer,
    RefreshSerializer,
    UserSerializer,
)
from accounts.tokens import (
    RefreshToken,
    RotatingTokenRefreshSerializer,
    TokenNotValid,
    tokens_for_user,
)
from inventory_project.api.responses import success_response
from inventory_project.api.schema import MessageEnvelopeSerializer, envelope, errors
from inventory_project.http.ratelimit import too_many_requests
from inventory_project.service_errors import ServiceError


class PublicApiView(APIView):
    """A route anyone may call; its failures still answer 401 with a Bearer challenge."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def user_data(user) -> dict:
    role = user_role(user)
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "role": role.value if role else None,
    }


def signed_in_data(user) -> dict:
    """A fresh token pair for `user`, in the shape of the login answer."""
    refresh = tokens_for_user(user)
    return {
        "token": str(refresh.access_token),
        "refresh": str(refresh),
        "expiresIn": settings.JWT_EXPIRES_IN,
        "user": user_data(user),
    }


class LoginApi(PublicApiView):
    @extend_schema(
        summary="Sign in",
        description="Failed attempts are limited per e-mail and per IP; success is never limited.",
        request=LoginSerializer,
        responses={200: envelope(LoginResultSerializer), **errors(400, 401, 429, public=True)},
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data.get("email", "").strip()
        password = serializer.validated_data.get("password", "")
        if not email or not password:
            raise ServiceError("Email and password are required", code="required")
        blocked = ratelimit.login_blocked(request, email)
        if blocked:
            return too_many_requests(blocked)
        user = authenticate(request._request, username=email, password=password)
        blocked = getattr(request._request, BLOCKED_ATTRIBUTE, None)
        if blocked:
            return too_many_requests(blocked)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid credentials")
        update_last_login(None, user)
        return success_response(signed_in_data(user))


def _refresh_owner(raw: str):
    """The active user a refresh token belongs to, if it was issued under their password.

    A password change revokes refresh tokens as it revokes access tokens.
    """
    try:
        token = RefreshToken(raw)
        user = get_user_model().objects.get(pk=token[jwt_settings.USER_ID_CLAIM])
    except (TokenError, KeyError, ValueError, ObjectDoesNotExist):
        raise TokenNotValid() from None
    claim = token.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    if not user.is_active or claim != get_md5_hash_password(user.password):
        raise TokenNotValid()
    return user


class RefreshApi(PublicApiView):
    @extend_schema(
        summary="Trade a refresh token for a new access token",
        request=RefreshSerializer,
        responses={200: envelope(RefreshResultSerializer), **errors(400, 401, public=True)},
    )
    def post(self, request):
        RefreshSerializer(data=request.data).is_valid(raise_exception=True)
        raw = request.data["refresh"]
        _refresh_owner(raw)
        serializer = RotatingTokenRefreshSerializer(data={"refresh": raw})
        try:
            serializer.is_valid(raise_exception=True)
        except (TokenError, exceptions.ValidationError, ObjectDoesNotExist):
            raise TokenNotValid() from None
        return success_response(
            {
                "token": serializer.validated_data["access"],
                "refresh": serializer.validated_data.get("refresh", request.data["refresh"]),
                "expiresIn": settings.JWT_EXPIRES_IN,
            }
        )


class LogoutApi(PublicApiView):
    @extend_schema(
        summary="Revoke a refresh token",
        description="The refresh token is blacklisted; access tokens expire on their own.",
        request=RefreshSerializer,
        responses={200: MessageEnvelopeSerializer, **errors(400, 401, public=True)},
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError:
            raise TokenNotValid() from None
        return success_response(None, message="Logged out")


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The signed-in user",
        responses={200: envelope(UserSerializer), **errors(401, 429, public=True)},
    )
    def get(self, request):
        return success_response(user_data(request.user))


PASSWORD_RESET_REQUESTED = (
    "If that address belongs to an active account, a password reset e-mail is on its way."
)


class PasswordResetRequestApi(PublicApiView):
    @extend_schema(
        summary="Ask for a password reset e-mail",
        description=(
            "Always answers 200 with the same message, whether the address has an active account "
            "or not. An active account receives a link (`PASSWORD_RESET_URL`) and, for API "
            "clients, the `uid` and `token` to send to /api/auth/password-reset/confirm; they "
            "work once, for `PASSWORD_RESET_TIMEOUT_MINUTES`. Limited per e-mail and per IP."
        ),
        request=PasswordResetRequestSerializer,
        responses={200: MessageEnvelopeSerializer, **errors(400, 429, public=True)},
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        blocked = ratelimit.password_reset_request_attempt(request, email)
        if blocked:
            return too_many_requests(blocked)
        send = services.password_reset_request(email=email)
        response = success_response(None, message=PASSWORD_RESET_REQUESTED)
        # Sent once the answer is out (the server closes the response after its last byte), so
        # the answer takes as long for an unknown address as for a known one.
        response._resource_closers.append(send)
        return response


class PasswordResetConfirmApi(PublicApiView):
    @extend_schema(
        summary="Set a new password with the token of a reset e-mail",
        description=(
            "An invalid, used or expired token is a 400 with code `invalid_token`; a weak "
            "password a 400 with code `weak_password` (the token stays usable). On success every "
            "token issued before stops working: sign in again. Limited per IP."
        ),
        request=PasswordResetConfirmSerializer,
        responses={200: MessageEnvelopeSerializer, **errors(400, 429, public=True)},
    )
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        blocked = ratelimit.password_reset_confirm_attempt(request)
        if blocked:
            return too_many_requests(blocked)
        services.password_reset_confirm(**serializer.validated_data)
        return success_response(None, message="Password changed; sign in with the new password.")


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change the signed-in user's password",
        description=(
            "A wrong `current_password` is a 400 with code `wrong_password` (not a 401: the "
            "caller's token is fine) and counts as a failed sign-in for the login limits. Every "
            "token issued before stops working; the answer carries a new pair, as a login does. "
            "Limited per user."
        ),
        request=PasswordChangeSerializer,
        responses={200: envelope(LoginResultSerializer), **errors(400, 401, 429, public=True)},
    )
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = request.user.email
        blocked = ratelimit.password_change_attempt(request, request.user.pk)
        blocked = blocked or ratelimit.login_blocked(request, email)
        if blocked:
            return too_many_requests(blocked)
        # Counted as a failed sign-in before the check (so parallel guesses all count), and
        # taken back unless the current password was wrong, as the login backend does.
        blocked = ratelimit.begin_login_attempt(request, email)
        if blocked:
            return too_many_requests(blocked)
        try:
            user = services.password_change(
                user=request.user,
                current_password=serializer.validated_data["current_password"],
                new_password=serializer.validated_data["new_password"],
            )
        except ServiceError as exc:
            if exc.code != "wrong_password":
                ratelimit.end_login_attempt(request, email)
            raise
        ratelimit.end_login_attempt(request, email)
        return success_response(signed_in_data(user), message="Password changed")
