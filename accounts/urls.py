"""Auth routes."""

from django.urls import re_path

from accounts import api

urlpatterns = [
    re_path(r"^auth/login/?$", api.LoginApi.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", api.RefreshApi.as_view(), name="auth-refresh"),
    re_path(r"^auth/logout/?$", api.LogoutApi.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", api.MeApi.as_view(), name="auth-me"),
]
