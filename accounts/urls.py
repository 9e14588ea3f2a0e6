"""Auth routes, and the audit trail."""

from django.urls import re_path

from accounts import api
from accounts.audit_api import AuditViewSet

urlpatterns = [
    re_path(r"^auth/login/?$", api.LoginApi.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", api.RefreshApi.as_view(), name="auth-refresh"),
    re_path(r"^auth/logout/?$", api.LogoutApi.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", api.MeApi.as_view(), name="auth-me"),
    re_path(r"^audit/?$", AuditViewSet.as_view({"get": "list"}), name="audit-list"),
    re_path(
        r"^auth/password-reset/?$",
        api.PasswordResetRequestApi.as_view(),
        name="auth-password-reset",
    ),
    re_path(
        r"^auth/password-reset/confirm/?$",
        api.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    re_path(
        r"^auth/password-change/?$", api.PasswordChangeApi.as_view(), name="auth-password-change"
    ),
]
