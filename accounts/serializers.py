"""Input and output shapes of the auth API."""

from rest_framework import serializers


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, trim_whitespace=False
    )


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=["admin", "staff", "viewer"], allow_null=True)


class LoginResultSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Access token: send as `Authorization: Bearer`.")
    refresh = serializers.CharField(help_text="Refresh token for /api/auth/refresh and logout.")
    expiresIn = serializers.CharField(help_text='Access token lifetime, e.g. "12h".')  # noqa: N815
    user = UserSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class RefreshResultSerializer(serializers.Serializer):
    token = serializers.CharField()
    refresh = serializers.CharField(help_text="A new refresh token; the old one is now revoked.")
    expiresIn = serializers.CharField()  # noqa: N815


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="The `uid` of the reset e-mail.")
    token = serializers.CharField(max_length=128, help_text="The `token` of the reset e-mail.")
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, help_text="The new password."
    )


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)
