"""The auth routes: login (v20 shape), refresh, logout and me."""

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import ratelimit
from accounts.backends import BLOCKED_ATTRIBUTE
from accounts.selectors import user_role
from accounts.serializers import (
    LoginResultSerializer,
    LoginSerializer,
    RefreshResultSerializer,
    RefreshSerializer,
    UserSerializer,
)
from accounts.tokens import tokens_for_user
from inventory_project.api.responses import success_response
from inventory_project.api.schema import MessageEnvelopeSerializer, envelope, errors
from inventory_project.errors import ServiceError


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


class LoginApi(PublicApiView):
    @extend_schema(
        summary="Sign in (v20)",
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
            return ratelimit.too_many_requests(blocked)
        user = authenticate(request._request, username=email, password=password)
        blocked = getattr(request._request, BLOCKED_ATTRIBUTE, None)
        if blocked:
            return ratelimit.too_many_requests(blocked)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid credentials")
        update_last_login(None, user)
        refresh = tokens_for_user(user)
        return success_response(
            {
                "token": str(refresh.access_token),
                "refresh": str(refresh),
                "expiresIn": settings.JWT_EXPIRES_IN,
                "user": user_data(user),
            }
        )


def _refresh_owner(raw: str):
    """The active user a refresh token belongs to, if it was issued under their password.

    A password change revokes refresh tokens as it revokes access tokens.
    """
    try:
        token = RefreshToken(raw)
        user = get_user_model().objects.get(pk=token[jwt_settings.USER_ID_CLAIM])
    except (TokenError, KeyError, ValueError, ObjectDoesNotExist):
        raise exceptions.AuthenticationFailed("Token is invalid or expired") from None
    claim = token.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    if not user.is_active or claim != get_md5_hash_password(user.password):
        raise exceptions.AuthenticationFailed("Token is invalid or expired")
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
        serializer = TokenRefreshSerializer(data={"refresh": raw})
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        except (exceptions.ValidationError, ObjectDoesNotExist):
            raise exceptions.AuthenticationFailed("Token is invalid or expired") from None
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
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return success_response(None, message="Logged out")


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The signed-in user",
        responses={200: envelope(UserSerializer), **errors(401, 429, public=True)},
    )
    def get(self, request):
        return success_response(user_data(request.user))
