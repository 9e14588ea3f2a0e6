"""Forecasting routes, with or without a trailing slash."""

from django.urls import re_path

from forecasting import api

urlpatterns = [
    re_path(r"^usage/import/?$", api.UsageImportApi.as_view(), name="usage-import"),
]
